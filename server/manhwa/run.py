"""`manhwa run`: which parts start, in which order and with what environment.

Redis is embedded and the demo source started unless REDIS_URL / MANGAPI_URL name real ones;
then a worker (with the periodic tasks) and the API. `supervisor.py` keeps them running.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .config import get_settings
from .processes import LOOPBACK, free_port, redis_command
from .supervisor import Supervisor

DEMO_RELEASE_SECONDS = 180  # the demo's releasing series gets a chapter this often (Library)


def run_stack(run_dir: Path, concurrency: int) -> int:
    """Start every part, print the URL, keep the parts running (a part that exits is restarted
    with a back-off, see supervisor.py), and stop all of them on Ctrl-C or SIGTERM."""
    settings = get_settings()
    parts = Supervisor(dict(os.environ))
    env = parts.env  # what the parts started after this point (and every restart) get
    parts.install_signal_handlers()
    try:
        if not settings.redis_url:
            port = free_port(6379)
            parts.start(
                "redis", redis_command(port, run_dir / "redis"), port=(LOOPBACK, port), timeout=15
            )
            env["REDIS_URL"] = f"redis://{LOOPBACK}:{port}/0"
            print(f"redis     embedded on {LOOPBACK}:{port} (data in {run_dir / 'redis'})")
        if "mangapi_url" not in settings.model_fields_set:
            port = free_port(8100)
            url = f"http://{LOOPBACK}:{port}"
            parts.start(
                "demo-source",
                [
                    *(sys.executable, "-m", "demo_source", "--host", LOOPBACK),
                    *("--port", str(port), "--release-every", str(DEMO_RELEASE_SECONDS)),
                ],
                port=(LOOPBACK, port),
            )
            env["MANGAPI_URL"] = url
            # The demo's images are on loopback: allow exactly that address, nothing more.
            allowed = settings.allow_private_hosts
            if allowed is not True:
                nets = [str(n) for n in allowed] if isinstance(allowed, list) else []
                env["ALLOW_PRIVATE_HOSTS"] = ",".join([*nets, f"{LOOPBACK}/32"])
            print(f"source    demo Consumet source on {url} (set MANGAPI_URL for a real one)")
        else:
            print(f"source    {settings.mangapi_url}")
        parts.start(
            "worker",
            [sys.executable, "-m", "manhwa.cli", "worker", "--beat", "--concurrency",
             str(concurrency)],
        )  # fmt: skip
        listen = LOOPBACK if settings.host == "0.0.0.0" else settings.host
        parts.start(
            "api",
            [sys.executable, "-m", "manhwa.cli", "api", "--host", settings.host, "--port",
             str(settings.port)],
            port=(listen, settings.port),
            timeout=60,
        )  # fmt: skip
        shown = "localhost" if settings.host in ("127.0.0.1", "0.0.0.0") else settings.host
        print(f"\nManhwa Downloader is running: http://{shown}:{settings.port}  (Ctrl-C stops)\n")
        parts.watch()
    except KeyboardInterrupt:
        print("\nstopping…", flush=True)
        code = 0
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        code = 1
    finally:
        parts.stop()
    return code

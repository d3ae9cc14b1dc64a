"""The processes a benchmark runs against: Redis, the demo source, a Celery worker, the API.

Same approach as the integration tests (`server/tests/stack.py`): real processes on free
loopback ports, each in its own session so stopping it takes its children along, all inside
one temporary folder. Settings reach them as environment variables, exactly as in production;
the folder is their working directory, so a developer's `.env` does not leak into the figures.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Self

import httpx
import psutil
from redis import Redis

from manhwa.processes import (
    LOOPBACK,
    Process,
    free_port,
    redis_command,
    spawn,
    stop,
    wait_for_port,
    wait_http,
)

__all__ = ["LOOPBACK", "Stack", "cpu_seconds"]


def cpu_seconds(processes: list[psutil.Process]) -> float:
    """User + system CPU seconds of `processes` (those that have exited count nothing)."""
    total = 0.0
    for proc in processes:
        try:
            times = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


@dataclass
class Stack:
    """Redis + demo source always; worker and API started on demand with their own settings."""

    settings: dict[str, str] = field(default_factory=dict)
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="manhwa-bench-")))
    redis_port: int = field(default_factory=free_port)
    source_port: int = field(default_factory=free_port)
    api_port: int = field(default_factory=free_port)
    redis: Process | None = None
    source: Process | None = None
    api: Process | None = None
    worker: Process | None = None
    _db: int = 0

    @property
    def source_url(self) -> str:
        return f"http://{LOOPBACK}:{self.source_port}"

    @property
    def api_url(self) -> str:
        return f"http://{LOOPBACK}:{self.api_port}"

    @property
    def download_dir(self) -> Path:
        return self.root / f"downloads-{self._db}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MANGAPI", "REDIS"))}
        env.update(
            {
                "REDIS_URL": f"redis://{LOOPBACK}:{self.redis_port}/{self._db}",
                "MANGAPI_URL": self.source_url,
                "DOWNLOAD_DIR": str(self.download_dir),
                "ALLOW_PRIVATE_HOSTS": f"{LOOPBACK}/32",
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(self.settings)
        return env

    def start(self) -> Self:
        """Redis and the demo source; they stay up for the whole benchmark."""
        command = redis_command(self.redis_port, self.root / "redis", persistent=False)
        self.redis = spawn(command, self.env(), self.root / "redis.log", cwd=self.root)
        wait_for_port(LOOPBACK, self.redis_port, 15, self.redis)
        self.source = spawn(
            [
                sys.executable,
                "-m",
                "demo_source",
                "--host",
                LOOPBACK,
                "--port",
                str(self.source_port),
            ],
            self.env(),
            self.root / "source.log",
            cwd=self.root,
        )
        wait_http(self.source_url + "/", self.source, timeout=60)
        return self

    def fresh(self, settings: dict[str, str] | None = None) -> None:
        """Stop API and worker, and move to an empty Redis database and download folder."""
        self.stop_app()
        self._db = (self._db + 1) % 16
        self.settings = dict(settings or {})
        self.download_dir.mkdir(parents=True, exist_ok=True)
        with Redis.from_url(f"redis://{LOOPBACK}:{self.redis_port}/{self._db}") as client:
            client.flushdb()

    def start_worker(
        self, concurrency: int, queues: str = "downloads,cleanup", *, beat: bool = False
    ) -> None:
        """`beat`: the worker also runs Celery beat (the sweep and the library's due checks)."""
        self.worker = spawn(
            [
                sys.executable,
                "-m",
                "manhwa.cli",
                "worker",
                "--concurrency",
                str(concurrency),
                "--queues",
                queues,
                "--hostname",
                f"bench{self.api_port}@%h",
                *(["--beat"] if beat else []),
            ],
            self.env(),
            self.root / "worker.log",
            cwd=self.root,
        )

    def start_api(self, workers: int = 1) -> None:
        self.api = spawn(
            [
                sys.executable,
                "-m",
                "manhwa.cli",
                "api",
                "--host",
                LOOPBACK,
                "--port",
                str(self.api_port),
                "--workers",
                str(workers),
            ],
            self.env(),
            self.root / "api.log",
            cwd=self.root,
        )
        wait_http(self.api_url + "/api/sources", self.api, timeout=60)

    def wait_worker(self, timeout: float = 60.0) -> None:
        """Until the health endpoint sees a worker answer a Celery ping."""
        assert self.worker is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.worker.poll() is not None:
                raise RuntimeError(f"worker exited: {self.log_tail('worker.log')}")
            health = httpx.get(self.api_url + "/api/health", timeout=10).json()
            if isinstance(health.get("workers"), int) and health["workers"] >= 1:
                return
            time.sleep(0.3)
        raise RuntimeError(f"worker did not come up: {self.log_tail('worker.log')}")

    def pool_processes(self) -> list[psutil.Process]:
        """This process's descendants but the stack's own (Redis, the demo source, API, worker):
        a page pool started in this process (its forkserver and workers)."""
        ours = {p.pid for p in (self.redis, self.source, self.api, self.worker) if p is not None}
        return [c for c in psutil.Process().children(recursive=True) if c.pid not in ours]

    def redis_commands(self) -> int:
        """Commands the bench Redis has processed so far (every client: API, worker, broker)."""
        with Redis.from_url(f"redis://{LOOPBACK}:{self.redis_port}/{self._db}") as client:
            return int(client.info("stats")["total_commands_processed"])

    def faults(self, **config: object) -> None:
        httpx.put(self.source_url + "/_control/faults", json=config, timeout=10).raise_for_status()

    def source_hits(self) -> int:
        stats = httpx.get(self.source_url + "/_control/stats", timeout=10).json()
        return int(stats["total"])

    def log_tail(self, name: str) -> str:
        path = self.root / name
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def stop_worker(self) -> None:
        stop(self.worker, signal.SIGQUIT, timeout=15)  # warm shutdown would wait for a running job
        self.worker = None

    def stop_app(self) -> None:
        stop(self.api, timeout=15)
        stop(self.worker, signal.SIGQUIT, timeout=15)  # warm shutdown would wait for a running job
        self.api = self.worker = None

    def stop(self) -> None:
        self.stop_app()
        stop(self.source, timeout=15)
        stop(self.redis, timeout=15)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

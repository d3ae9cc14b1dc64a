"""`manhwa run` (what `make run` starts) as a user runs it: a worker stopped with `kill -TERM`
comes back on its own and downloads still complete; Ctrl-C stops every part and leaves no
process behind. Settings come from the environment alone (it runs in an empty folder, so no
`.env` is read); Redis and the demo source are its embedded ones, as on a fresh clone."""

from __future__ import annotations

import os
import re
import signal
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from manhwa import processes

from ..stack import free_port
from .helpers import FINAL, TOWER

pytestmark = pytest.mark.integration


@dataclass
class Run:
    proc: processes.Process
    url: str
    log: Path

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def parts(self) -> list[psutil.Process]:
        """`manhwa run`'s children (one per part) and everything they started."""
        return psutil.Process(self.proc.pid).children(recursive=True)

    def part(self, name: str) -> psutil.Process:
        """The running process of a part, by its subcommand (`worker`, `api`)."""
        for child in psutil.Process(self.proc.pid).children():
            try:
                if name in child.cmdline()[3:4]:
                    return child
            except psutil.NoSuchProcess:
                continue
        raise AssertionError(f"no {name} running\n{self.text()}")

    def wait_for(self, what: Callable[[], object], timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while not what():
            assert self.proc.poll() is None, f"manhwa run exited\n{self.text()}"
            assert time.monotonic() < deadline, f"gave up waiting\n{self.text()}"
            time.sleep(0.2)


@pytest.fixture
def manhwa_run(tmp_path: Path) -> Iterator[Run]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MANGAPI", "REDIS"))}
    env.update(
        HOST="127.0.0.1",
        PORT=str(port),
        DOWNLOAD_DIR=str(tmp_path / "downloads"),
        PYTHONUNBUFFERED="1",
    )
    command = [sys.executable, "-m", "manhwa.cli", "run", "--concurrency", "1",
               "--run-dir", str(tmp_path / "run")]  # fmt: skip
    log = tmp_path / "run.log"
    proc = processes.spawn(command, env, log, cwd=tmp_path)
    run = Run(proc, f"http://127.0.0.1:{port}", log)
    try:
        run.wait_for(lambda: "is running" in run.text())
        yield run
    finally:
        if proc.poll() is None:  # the test failed before its Ctrl-C: clear up by force
            for child in run.parts():
                child.kill()
            proc.kill()
        proc.wait()


def download_one_chapter(url: str) -> bytes:
    """One chapter of the demo's series, downloaded through the API: the archive's bytes."""
    info = httpx.get(f"{url}/api/manga/mangadex/info", params={"id": TOWER}, timeout=60)
    info.raise_for_status()
    chapter = next(c for c in info.json()["chapters"] if c.get("pages"))
    body = {"source": "mangadex", "ids": [chapter["id"]], "title": f"Run {uuid.uuid4().hex[:8]}"}
    answer = httpx.post(f"{url}/api/download", json=body, timeout=30)
    assert answer.status_code == 202, answer.text
    task_id = answer.json()["task_id"]
    deadline = time.monotonic() + 180
    state: dict[str, Any] = {}
    while state.get("state") not in FINAL and time.monotonic() < deadline:
        time.sleep(0.3)
        state = httpx.get(f"{url}/api/download/status/{task_id}", timeout=10).json()
    assert state.get("state") == "SUCCESS", state
    archive = httpx.get(f"{url}/api/download/file/{task_id}", timeout=60)
    assert archive.status_code == 200
    return archive.content


def test_a_stopped_worker_comes_back_and_ctrl_c_leaves_no_process(manhwa_run: Run) -> None:
    run = manhwa_run
    first = run.part("worker")
    run.wait_for(first.children)  # booted: its pool is up
    first.send_signal(signal.SIGTERM)  # what `kill -TERM <worker>` does
    first.wait(60)

    exited = re.compile(r"^\S+ worker exited with code 0; restarting it in 1 s$", re.M)
    run.wait_for(lambda: exited.search(run.text()))
    run.wait_for(lambda: "worker restarted (pid" in run.text())
    second = run.part("worker")
    assert second.pid != first.pid
    for name in ("api", "redis", "demo-source"):
        assert f"{name} exited" not in run.text(), "only the worker stopped"

    archive = download_one_chapter(run.url)  # the new worker ran it
    assert archive.startswith(b"PK\x03\x04")

    everything = [*run.parts()]
    assert len(everything) >= 5  # redis, demo source, API, worker (and its pool)
    os.kill(run.proc.pid, signal.SIGINT)  # Ctrl-C: the terminal signals `manhwa run` alone
    assert run.proc.wait(60) == 0, run.text()
    _gone, alive = psutil.wait_procs(everything, timeout=30)
    assert not alive, f"left behind: {alive}\n{run.text()}"
    assert "stopping" in run.text()

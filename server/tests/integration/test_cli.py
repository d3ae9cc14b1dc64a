"""Operator commands against a real stack: `manhwa status`, `manhwa purge`, and Flower (started
by `manhwa flower`, as docker-compose's `flower` service does) seeing our workers and tasks."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import redis

from ..stack import SERVER, DemoSource, Stack, free_port, spawn, stop, wait_http
from .helpers import chapters_with_pages, request, status, wait_final, wait_until

pytestmark = pytest.mark.integration
FLOWER_AUTH = ("ops", "flower-test-password")
STATES = {"PENDING", "PROGRESS", "SUCCESS", "FAILURE", "CANCELLED", "EXPIRED"}


def manhwa(stack: Stack, *args: str) -> str:
    """Run `python -m manhwa.cli ARGS` with the stack's settings; its stdout."""
    result = subprocess.run(
        [sys.executable, "-m", "manhwa.cli", *args],
        env=stack.env(),
        cwd=SERVER,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def parse_status(output: str) -> dict[str, Any]:
    """`workers: 1 w0@h` / `queues:  downloads=0, cleanup=0` / `jobs:    SUCCESS=2` → dict."""
    lines = dict(line.split(":", 1) for line in output.strip().splitlines())
    count, *names = lines["workers"].split()
    pairs = {
        key: [p.strip().split("=") for p in lines[key].split(",") if "=" in p]
        for key in ("queues", "jobs")
    }
    return {
        "workers": (int(count), names),
        "queues": {k: int(v) for k, v in pairs["queues"]},
        "jobs": {k: int(v) for k, v in pairs["jobs"]},
        "jobs_text": lines["jobs"].strip(),
    }


def unique_title(label: str) -> str:
    """Titles are part of the dedup key: a fresh one makes the job run instead of being reused."""
    return f"{label} {uuid.uuid4().hex[:8]}"


def test_status_shows_workers_queues_and_jobs_by_state(stack: Stack, source: DemoSource) -> None:
    chapter = chapters_with_pages(stack)[0]
    job = request(stack, [chapter["id"]], title=unique_title("Status"))
    assert wait_final(stack, job["task_id"])["state"] == "SUCCESS"

    report = parse_status(manhwa(stack, "status"))
    count, names = report["workers"]
    assert count == len(names) == sum(proc.poll() is None for proc in stack.workers)
    assert all(f"-{stack.api_port}@" in name for name in names), "only this stack's workers"
    assert set(report["queues"]) == {"downloads", "cleanup", "library"}
    assert report["jobs"]["SUCCESS"] >= 1
    assert set(report["jobs"]) <= STATES


def test_purge_keeps_running_jobs_and_purge_all_cancels_them(
    make_stack: Callable[..., Stack], source: DemoSource
) -> None:
    private = make_stack()
    first, *rest = chapters_with_pages(private)[:8]
    assert len(rest) >= 3
    done = request(private, [first["id"]], title="Purge done")
    finished = wait_final(private, done["task_id"])
    assert finished["state"] == "SUCCESS"
    files = list(private.download_dir.glob(f"{done['task_id']}.*"))
    assert len(files) == 1

    # Slow pages (below the stack's 3 s read timeout) keep the second job running throughout.
    source.faults(latency_ms=2500)
    running = request(private, [c["id"] for c in rest], title="Purge running")
    wait_until(private, running["task_id"], {"PROGRESS"}, timeout=60)

    assert manhwa(private, "purge").strip() == "purged 1 job(s)"
    assert httpx.get(f"{private.url}/api/download/status/{done['task_id']}").status_code == 404
    assert not files[0].exists()
    assert status(private, running["task_id"])["state"] == "PROGRESS"
    report = parse_status(manhwa(private, "status"))
    assert report["jobs"] == {"PROGRESS": 1}

    output = manhwa(private, "purge", "--all")
    assert output.strip() == "purged 1 job(s) and the queues"
    assert httpx.get(f"{private.url}/api/download/status/{running['task_id']}").status_code == 404
    report = parse_status(manhwa(private, "status"))
    assert report["jobs_text"] == "none"
    assert report["queues"] == {"downloads": 0, "cleanup": 0, "library": 0}

    # The worker stood down before the record went: nothing of the job comes back.
    time.sleep(2)
    store = redis.Redis.from_url(private.redis_url)
    try:
        assert store.exists(f"manhwa:job:{running['task_id']}") == 0
    finally:
        store.close()
    assert not list(private.download_dir.glob(f"{running['task_id']}*"))
    assert not (private.download_dir / ".work" / running["task_id"]).exists()


# --- Flower ------------------------------------------------------------------------------------


@pytest.fixture
def flower(stack: Stack) -> Iterator[str]:
    """Flower on loopback, started the way compose starts it, with basic auth (which is what
    turns its HTTP API on); the blank FLOWER_ variable must be dropped by `manhwa flower`."""
    port = free_port()
    env = stack.env() | {
        "FLOWER_BASIC_AUTH": ":".join(FLOWER_AUTH),
        "FLOWER_UNAUTHENTICATED_API": "",
    }
    proc = spawn(
        [sys.executable, "-m", "manhwa.cli", "flower", "--address", "127.0.0.1", "--port",
         str(port)],
        env,
        stack.workdir / "flower.log",
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/healthcheck", proc, timeout=60)
        yield url
    finally:
        stop(proc)


def flower_get(url: str, path: str, **params: str) -> Any:
    response = httpx.get(url + path, params=params, auth=FLOWER_AUTH, timeout=30)
    response.raise_for_status()
    return response.json()


def test_flower_sees_our_workers_and_tasks(stack: Stack, source: DemoSource, flower: str) -> None:
    assert httpx.get(flower + "/api/workers", timeout=10).status_code == 401

    ours = f"w0-{stack.api_port}@"
    deadline = time.monotonic() + 30
    workers: dict[str, Any] = {}
    while not any(name.startswith(ours) for name in workers) and time.monotonic() < deadline:
        workers = flower_get(flower, "/api/workers", refresh="1")
        time.sleep(0.5)
    name = next((n for n in workers if n.startswith(ours)), None)
    assert name, f"flower lists {list(workers)}\n{stack.logs()}"
    queues = {q["name"] for q in workers[name]["active_queues"]}
    assert queues == {"downloads", "cleanup", "library"}
    assert "downloads.fetch_chapters" in workers[name]["registered"]

    chapter = chapters_with_pages(stack)[0]
    job = request(stack, [chapter["id"]], title=unique_title("Flower"))
    assert wait_final(stack, job["task_id"])["state"] == "SUCCESS"

    task: dict[str, Any] = {}
    deadline = time.monotonic() + 30
    while task.get("state") != "SUCCESS" and time.monotonic() < deadline:
        tasks = flower_get(flower, "/api/tasks", limit="1000")
        task = tasks.get(job["celery_task_id"], {})
        time.sleep(0.5)
    log = (stack.workdir / "flower.log").read_text(errors="replace")[-3000:]
    assert task.get("state") == "SUCCESS", f"flower saw {task}\n{log}"
    assert task["name"] == "downloads.fetch_chapters"
    assert task["worker"] == name
    assert job["task_id"] in task["args"]

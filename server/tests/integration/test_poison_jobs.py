"""No job is re-queued forever: a job whose worker dies, or whose delivery raises something
unexpected, MAX_JOB_ATTEMPTS times ends FAILURE with the reason, while other jobs finish."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable

import pytest
import redis

from ..stack import DemoSource, Stack, stop
from .helpers import chapters_with_pages, request, status, wait_final

pytestmark = pytest.mark.integration


def _kill_each_delivery(stack: Stack, task_id: str, timeout: float = 120) -> int:
    """SIGKILL the pool process running the job each time one holds its lease; the kill count."""
    store = redis.Redis.from_url(stack.redis_url, decode_responses=True)
    killed: set[str] = set()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if status(stack, task_id)["state"] not in ("PENDING", "PROGRESS"):
                return len(killed)
            owner = store.get(f"manhwa:lease:{task_id}")
            if owner and owner not in killed:
                pid = int(owner.split(":")[1])  # hostname:pid:celery task id
                killed.add(owner)
                os.kill(pid, signal.SIGKILL)  # a pool child of our own worker
            time.sleep(0.05)
    finally:
        store.close()
    raise AssertionError(f"job never ended after {len(killed)} kills\n{stack.logs()}")


def test_job_whose_worker_always_dies_ends_after_max_attempts(
    make_stack: Callable[..., Stack], source: DemoSource
) -> None:
    stack = make_stack(MAX_JOB_ATTEMPTS="3")
    poison, healthy = chapters_with_pages(stack)[:2]
    # Its pages hang, so each delivery is still running when it is killed.
    source.faults(rules=[{"match": "/img/", "action": "slow", "delay_ms": 2000}])
    job = request(stack, [poison["id"]], title="poison")
    kills = _kill_each_delivery(stack, job["task_id"])
    final = wait_final(stack, job["task_id"])
    assert final["state"] == "FAILURE", final
    assert final["error"] == "worker died 3 times while running this job"
    assert kills == 3
    source.reset()
    other = request(stack, [healthy["id"]], title="healthy after poison")
    assert wait_final(stack, other["task_id"])["state"] == "SUCCESS"


def test_job_whose_delivery_always_raises_ends_after_max_attempts(
    make_stack: Callable[..., Stack],
) -> None:
    stack = make_stack(MAX_JOB_ATTEMPTS="3")
    chapter = chapters_with_pages(stack)[0]
    stop(stack.workers.pop())  # the job waits in the queue while its record is spoiled
    job = request(stack, [chapter["id"]], title="unfinishable")
    # A record no delivery can finish (say, written by a newer version): an unknown format.
    store = redis.Redis.from_url(stack.redis_url, decode_responses=True)
    store.hset(f"manhwa:job:{job['task_id']}", "format", "bogus")
    stack.start_worker(beat=True)
    final = wait_final(stack, job["task_id"])
    assert final["state"] == "FAILURE", final
    assert final["error"] == "ValueError: unknown format 'bogus'"
    assert store.hget(f"manhwa:job:{job['task_id']}", "attempts") == "3"
    store.close()
    assert not list(stack.download_dir.glob(f"{job['task_id']}.*"))

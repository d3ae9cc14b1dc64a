"""A job that kills its whole worker every time it runs ends FAILURE within MAX_JOB_ATTEMPTS
leases, while the other jobs, sharing those workers, all finish.

Each time a delivery of the poison job holds the lease, the test SIGKILLs that worker's whole
process group (as an out-of-memory kill would) and starts it again.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from ..integration.helpers import FINAL, request, status
from ..stack import DemoSource, Stack
from .report import record

pytestmark = pytest.mark.chaos

MAX_ATTEMPTS = 3
HEALTHY = 12
SERIES = f"bench_{HEALTHY + 1}x4_24"
POISON = f"{SERIES}/c{HEALTHY + 1:03d}"
DEADLINE = 240.0


@pytest.fixture
def two_workers(make_stack: Any) -> Iterator[Stack]:
    yield make_stack(workers=2, MAX_JOB_ATTEMPTS=str(MAX_ATTEMPTS))


def _submit(stack: Stack, chapter: str, title: str) -> str:
    job = request(stack, [chapter], source="mangahere", series_id=SERIES, title=title)
    task_id: str = job["task_id"]
    return task_id


def test_poison_job_ends_within_max_attempts_while_the_others_finish(
    two_workers: Stack, source: DemoSource
) -> None:
    stack = two_workers
    # The poison chapter's pages dribble out, so each delivery is caught holding its lease.
    source.faults(
        latency_ms=20,
        rules=[{"match": f"/img/mangahere/{POISON}/", "action": "slow", "delay_ms": 1000}],
    )
    started = time.monotonic()
    poison = _submit(stack, POISON, "Poison")
    healthy = [_submit(stack, f"{SERIES}/c{n:03d}", f"Healthy {n:02d}") for n in range(1, 13)]

    store = redis.Redis.from_url(stack.redis_url, decode_responses=True)
    leases: set[str] = set()
    try:
        while time.monotonic() - started < DEADLINE:
            if status(stack, poison)["state"] in FINAL:
                break
            owner = store.get(f"manhwa:lease:{poison}")
            if owner and owner not in leases:
                leases.add(owner)
                group = os.getpgid(int(owner.split(":")[1]))
                slot = next(i for i, w in enumerate(stack.workers) if w.pid == group)
                os.killpg(group, signal.SIGKILL)  # our own worker, and all its pool children
                stack.workers[slot].wait()
                stack.workers[slot] = stack.start_worker(beat=slot == 0)
                stack.workers.pop()  # start_worker appended it; it lives in its slot
            time.sleep(0.05)
        poisoned = status(stack, poison)
        while time.monotonic() - started < DEADLINE:
            states = [status(stack, t)["state"] for t in healthy]
            if all(s in FINAL for s in states):
                break
            time.sleep(0.5)
        finished = time.monotonic() - started
        attempts = store.hget(f"manhwa:job:{poison}", "attempts")
    finally:
        store.close()
    done = [status(stack, t) for t in healthy]
    record(
        f"poison job: state={poisoned['state']} leases={len(leases)} attempts={attempts} "
        f"max={MAX_ATTEMPTS} healthy_success="
        f"{sum(1 for d in done if d['state'] == 'SUCCESS')}/{HEALTHY} run={finished:.0f}s"
    )
    assert poisoned["state"] == "FAILURE", poisoned
    assert poisoned["error"] == f"worker died {MAX_ATTEMPTS} times while running this job"
    assert len(leases) <= MAX_ATTEMPTS and attempts == str(MAX_ATTEMPTS)
    assert [d["state"] for d in done] == ["SUCCESS"] * HEALTHY, stack.logs()

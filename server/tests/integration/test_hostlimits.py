"""Host budgets across real worker processes sharing one Redis: concurrency is fleet-wide, a
SIGKILLed worker's permits lapse with their lease, a 429 pauses the host for every job, and a
bad HOST_LIMITS stops a worker at start-up."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from redis import Redis

from ..stack import SERVER, DemoSource, Stack
from .helpers import chapters_with_pages, request, status, wait_final

pytestmark = pytest.mark.integration
PERMITS = "hl:{127.0.0.1}:permits"


def _host(source: DemoSource) -> dict[str, Any]:
    data: dict[str, Any] = httpx.get(source.url + "/_control/host", timeout=5).json()
    return data


def _live_permits(stack: Stack) -> int:
    with Redis.from_url(stack.redis_url) as redis:
        seconds, micros = redis.time()
        now_ms = seconds * 1000 + micros // 1000
        return int(redis.zcount(PERMITS, f"({now_ms}", "+inf"))


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_two_workers_never_exceed_the_hosts_concurrency(
    make_stack: Callable[..., Stack], source: DemoSource
) -> None:
    stack = make_stack(workers=2, HOST_LIMITS="127.0.0.1=2")
    source.faults(latency_ms=80)
    chapters = chapters_with_pages(stack)[:4]
    jobs = [request(stack, [c["id"]], title=f"budget {n}") for n, c in enumerate(chapters)]
    finals = [wait_final(stack, job["task_id"], timeout=180) for job in jobs]
    assert [f["state"] for f in finals] == ["SUCCESS"] * 4
    assert _host(source)["max_concurrent"] == 2, "four jobs on two workers, two at once"
    assert _live_permits(stack) == 0, "every permit was given back"


def test_a_sigkilled_workers_permits_come_back_within_its_lease(
    make_stack: Callable[..., Stack], source: DemoSource
) -> None:
    stack = make_stack(workers=1, HOST_LIMITS="127.0.0.1=2", HOST_PERMIT_LEASE_SECONDS="3")
    source.faults(latency_ms=20_000)  # every image hangs: the worker holds both permits
    first, second = chapters_with_pages(stack)[:2]
    held = request(stack, [first["id"]], title="killed holding permits")
    _wait(lambda: _live_permits(stack) == 2, 60, "the worker never held the host's permits")
    worker = stack.workers[0]
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()
    killed = time.monotonic()
    _wait(lambda: _live_permits(stack) == 0, 10, "permits outlived their lease")
    assert time.monotonic() - killed <= 3 + 1.5
    source.faults(latency_ms=0)
    stack.start_worker(beat=True)  # the killed worker carried the sweep
    later = request(stack, [second["id"]], title="after the kill")
    assert wait_final(stack, later["task_id"], timeout=120)["state"] == "SUCCESS"
    assert wait_final(stack, held["task_id"], timeout=120)["state"] == "SUCCESS"


def test_a_429_with_x_ratelimit_retry_after_pauses_the_host_for_the_other_job(
    make_stack: Callable[..., Stack], source: DemoSource
) -> None:
    stack = make_stack(workers=2, HOST_LIMITS="127.0.0.1=2")
    # Two requests pass, the third is a 429 announcing (MangaDex style) a wait of ~4 s.
    limit = {"rate": 0.25, "burst": 2, "header": "x-ratelimit-retry-after"}
    source.faults(latency_ms=50, rate_limit=limit)
    chapters = chapters_with_pages(stack)[:2]
    jobs = [request(stack, [c["id"]], title=f"paused {n}") for n, c in enumerate(chapters)]

    def first_429() -> list[float] | None:
        return next((e for e in _host(source)["log"] if e[1] == 429), None)

    _wait(lambda: first_429() is not None, 60, "the host never answered 429")
    said: set[str] = set()
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        said.update(status(stack, job["task_id"])["status"] for job in jobs)
        time.sleep(0.1)
    log = _host(source)["log"]
    event = first_429()
    assert event is not None
    at, _, wait = event
    asked = [t for t, _, _ in log if at + 0.3 < t < at + wait - 0.2]
    assert asked == [], f"requests during the {wait:.1f} s cool-down at {at:.1f}: {log}"
    assert any("waiting for host 127.0.0.1 (rate limit, resumes in" in s for s in said), said
    source.faults(latency_ms=0)  # the host forgives: both jobs finish
    assert [wait_final(stack, j["task_id"], timeout=180)["state"] for j in jobs] == [
        "SUCCESS",
        "SUCCESS",
    ]


@pytest.mark.parametrize("command", [["worker", "--concurrency", "1"], ["api", "--port", "1"]])
def test_bad_host_limits_stop_the_process_at_start_with_the_rule_named(
    command: list[str],
) -> None:
    env = {**os.environ, "HOST_LIMITS": "*.mangadex.network=6@5/s, 127.0.0.1=lots"}
    done = subprocess.run(
        [sys.executable, "-m", "manhwa.cli", *command],
        env=env,
        cwd=SERVER,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "HOST_LIMITS rule '127.0.0.1=lots': N (requests at once) must be" in done.stderr
    assert "Traceback" not in done.stderr, "one line naming the rule, not a traceback"


def test_429s_that_keep_coming_are_a_ban_the_chapter_waits_out_and_the_job_says_so(
    make_stack: Callable[..., Stack], source: DemoSource
) -> None:
    stack = make_stack(workers=1, HOST_LIMITS="127.0.0.1=2", IMAGE_RETRIES="1")
    # A host that bans after two violations and says nothing about how long.
    source.faults(rate_limit={"rate": 0.2, "burst": 1, "ban_after": 2, "ban_seconds": 600,
                              "header": "none"})  # fmt: skip
    chapter = chapters_with_pages(stack)[0]
    job = request(stack, [chapter["id"]], title="banned")
    deadline = time.monotonic() + 60
    current = status(stack, job["task_id"])
    while "likely a ban" not in current["status"]:
        assert time.monotonic() < deadline, current
        assert current["state"] == "PROGRESS" or current["state"] == "PENDING", current
        time.sleep(0.2)
        current = status(stack, job["task_id"])
    assert "waiting for host 127.0.0.1 (it keeps answering 429: likely a ban" in current["status"]
    assert current["failed"] == [], "no retries burnt: the chapter waits"
    assert _host(source)["limited"] >= 4, "more 429s than IMAGE_RETRIES allows"
    httpx.delete(f"{stack.url}/api/download/{job['task_id']}", timeout=10)
    assert wait_final(stack, job["task_id"])["state"] == "CANCELLED"

"""`GET /api/health` reports the workers in one typed shape, and says what a missing one means."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from manhwa.api.health import NO_WORKER, worker_status

from ..stack import Stack

pytestmark = pytest.mark.integration


def test_workers_running(stack: Stack) -> None:
    answer = httpx.get(f"{stack.url}/api/health", timeout=10)
    body = answer.json()
    assert answer.status_code == 200
    assert body["workers"] == body["worker_status"]["count"] >= 1
    assert body["worker_status"]["state"] == "ok"
    assert body["worker_status"]["message"].endswith("running")


def test_no_worker_is_explained(make_stack: Callable[..., Stack]) -> None:
    bare = make_stack(workers=0)
    answer = httpx.get(f"{bare.url}/api/health", timeout=10)
    body = answer.json()
    assert answer.status_code == 503
    assert body["status"] == "degraded"
    assert body["workers"] == 0, "still a number: scripts compare it with an int"
    assert body["worker_status"] == {"count": 0, "state": "none", "message": NO_WORKER}
    assert body["redis"] == "ok" and body["consumet"] == "ok"


def test_a_failed_ping_is_an_error_state_not_a_count() -> None:
    failed = worker_status("error: TimeoutError")
    assert (failed.count, failed.state) == (0, "error")
    assert "TimeoutError" in failed.message
    assert worker_status(2).message == "2 workers are running"

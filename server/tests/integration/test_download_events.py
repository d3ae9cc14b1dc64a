"""`GET /api/downloads/events`: one stream for many jobs, on a real Redis and a real worker."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ..stack import DemoSource, Stack
from .helpers import chapters_with_pages, request, status, wait_final

pytestmark = pytest.mark.integration


def sse(
    url: str, headers: dict[str, str] | None = None, timeout: float = 120
) -> Iterator[tuple[str | None, str, Any]]:
    """(id, event, data) of each event of a stream, until it ends."""
    with httpx.stream("GET", url, headers=headers, timeout=timeout) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        event_id, event, data = None, "message", ""
        for line in response.iter_lines():
            if line == "":
                if data:
                    yield event_id, event, json.loads(data)
                event_id, event, data = None, "message", ""
            elif line.startswith("id: "):
                event_id = line[4:]
            elif line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                data += line[6:]


def test_one_stream_follows_three_jobs_to_their_end(stack: Stack, source: DemoSource) -> None:
    chapters = chapters_with_pages(stack)
    source.faults(latency_ms=60)
    jobs = [request(stack, [c["id"]], title=f"Multiplexed {i}") for i, c in enumerate(chapters[:3])]
    ids = [j["task_id"] for j in jobs]

    seen = list(sse(f"{stack.url}/api/downloads/events?ids={','.join(ids)}"))
    source.reset()

    assert seen[-1][1] == "end", "the stream ends once every job is final"
    assert seen[-1][2]["task_ids"] == ids
    progress = [(data["task_id"], data) for _, event, data in seen if event == "progress"]
    assert {task_id for task_id, _ in progress} == set(ids)
    for task_id in ids:
        own = [data for t, data in progress if t == task_id]
        done = [d["pages_done"] for d in own]
        assert done == sorted(done), "a job's progress never goes back"
        assert own[-1]["state"] == status(stack, task_id)["state"] == "SUCCESS"
    cursors = [float(event_id) for event_id, event, _ in seen if event_id is not None]
    assert cursors == sorted(cursors), "event ids only grow: they are the resume cursor"


def test_resuming_sends_only_what_changed(stack: Stack) -> None:
    chapter = chapters_with_pages(stack)[-1]
    job = request(stack, [chapter["id"]], title="Resumed")
    final = wait_final(stack, job["task_id"])
    url = f"{stack.url}/api/downloads/events?ids={job['task_id']}"

    fresh = list(sse(url))
    assert [event for _, event, _ in fresh] == ["progress", "end"]
    assert fresh[0][2]["state"] == final["state"]

    later = str(final["updated_at"] + 60)
    resumed = list(sse(url, headers={"Last-Event-ID": later}))
    assert [event for _, event, _ in resumed] == ["end"], "nothing changed since that id"
    by_query = list(sse(f"{url}&last_event_id={later}"))
    assert [event for _, event, _ in by_query] == ["end"]


def test_unknown_and_bad_ids(stack: Stack) -> None:
    seen = list(sse(f"{stack.url}/api/downloads/events?ids=nosuchjob123"))
    assert [(event, data) for _, event, data in seen] == [
        ("gone", {"task_id": "nosuchjob123"}),
        ("end", {"task_ids": ["nosuchjob123"]}),
    ]
    missing = httpx.get(f"{stack.url}/api/downloads/events", timeout=10)
    assert missing.status_code == 422 and "detail" in missing.json(), "a stream needs its jobs"
    for bad in ("", "../etc", ",".join(f"job{i:08d}" for i in range(61))):
        response = httpx.get(f"{stack.url}/api/downloads/events", params={"ids": bad}, timeout=10)
        assert response.status_code in (400, 422), bad
        assert "detail" in response.json()

"""Bad input gets a clear 4xx `{"detail"}` and writes nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ..stack import Stack

pytestmark = pytest.mark.integration


def _jobs(stack: Stack) -> int:
    return len(httpx.get(f"{stack.url}/api/downloads", params={"limit": 500}).json()["jobs"])


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"source": "nosuchsource", "ids": ["a"]}, "unknown source"),
        ({"source": 99, "ids": ["a"]}, "unknown source index 99"),
        ({"source": "mangadex", "ids": []}, "ids"),
        ({"source": "mangadex"}, "ids"),
        ({"source": "mangadex", "ids": [f"id{i}" for i in range(501)]}, "at most 500"),
        ({"source": "mangadex", "ids": "not-a-list"}, "ids"),
        ({"source": "mangadex", "ids": [123]}, "ids"),
        ({"source": "mangadex", "ids": ["../../etc/passwd"]}, "../../etc/passwd"),
        ({"source": "mangadex", "ids": ["/etc/passwd"]}, "starts with '/'"),
        ({"source": "mangadex", "ids": ["a\\b"]}, "backslash"),
        ({"source": "mangadex", "ids": ["a\x00b"]}, "control characters"),
        ({"source": "mangadex", "ids": ["x" * 201]}, "longer than 200"),
        ({"source": "mangadex", "ids": ["ok"], "format": "rar"}, "format"),
    ],
)
def test_bad_download_request_is_422_and_queues_nothing(
    stack: Stack, body: dict[str, Any], says: str
) -> None:
    before = _jobs(stack)
    answer = httpx.post(f"{stack.url}/api/download", json=body)
    assert answer.status_code == 422, answer.text
    assert says in answer.json()["detail"]
    assert _jobs(stack) == before
    assert not [p for p in stack.download_dir.iterdir() if p.suffix in (".zip", ".cbz")]


def test_body_that_is_not_json_is_422(stack: Stack) -> None:
    answer = httpx.post(
        f"{stack.url}/api/download", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert answer.status_code == 422
    assert answer.json() == {"detail": "body is not valid JSON"}


@pytest.mark.parametrize("path", ["status/", "file/", "events/"])
@pytest.mark.parametrize("task_id", ["doesnotexist12345", "..%2F..%2Fetc", "x"])
def test_unknown_task_is_404(stack: Stack, path: str, task_id: str) -> None:
    answer = httpx.get(f"{stack.url}/api/download/{path}{task_id}")
    assert answer.status_code == 404
    assert answer.json()["detail"]


def test_unknown_routes_and_sources_answer_json(stack: Stack) -> None:
    answer = httpx.get(f"{stack.url}/api/nothing-here")
    assert answer.status_code == 404 and "detail" in answer.json()
    answer = httpx.get(f"{stack.url}/api/manga/nosuch/info", params={"id": "x"})
    assert answer.status_code == 404 and "unknown source" in answer.json()["detail"]
    answer = httpx.get(f"{stack.url}/api/search", params={"q": ""})
    assert answer.status_code == 422 and "q" in answer.json()["detail"]
    answer = httpx.get(f"{stack.url}/api/manga/mangadex/read", params={"chapterId": "../x"})
    assert answer.status_code == 422 and "'..'" in answer.json()["detail"]


def test_upstream_failure_is_502_not_404(stack: Stack) -> None:
    answer = httpx.get(f"{stack.url}/api/manga/mangahere/info", params={"id": "no_such_series"})
    assert answer.status_code == 502
    assert "500" in answer.json()["detail"]

"""Bad input gets a clear 4xx `{"detail"}` and writes nothing."""

from __future__ import annotations

import time
from collections.abc import Iterator
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


def _json_detail(answer: httpx.Response, status: int) -> str:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    body = answer.json()
    assert set(body) == {"detail"}
    return str(body["detail"])


@pytest.mark.parametrize(
    "content",
    [b"[" * 100_000 + b"]" * 100_000, b'{"ids": ["\xff\xfe"]}', b"\x00" * 64, b'{"a": 1}' * 3],
    ids=["nested-100000-deep", "invalid-utf8", "nul-bytes", "trailing-data"],
)
def test_malformed_json_bodies_are_422_not_500(stack: Stack, content: bytes) -> None:
    answer = httpx.post(
        f"{stack.url}/api/download", content=content, headers={"content-type": "application/json"}
    )
    assert _json_detail(answer, 422) == "body is not valid JSON"


def test_bodies_over_the_cap_are_413_declared_or_chunked(stack: Stack) -> None:
    big = b'{"source": "mangadex", "ids": ["' + b"a" * (2 * 1024 * 1024) + b'"]}'
    url = f"{stack.url}/api/download"
    headers = {"content-type": "application/json"}
    assert "larger than" in _json_detail(httpx.post(url, content=big, headers=headers), 413)

    def chunks() -> Iterator[bytes]:  # no Content-Length: the cap is counted while reading
        for start in range(0, len(big), 65536):
            yield big[start : start + 65536]

    answer = httpx.post(url, content=chunks(), headers=headers)
    assert "larger than" in _json_detail(answer, 413)


def test_many_ids_are_counted_before_they_are_checked(stack: Stack) -> None:
    ids = [f"i{n}" for n in range(90_000)]  # just under the body cap
    started = time.monotonic()
    answer = httpx.post(f"{stack.url}/api/download", json={"source": "mangadex", "ids": ids})
    assert "at most 500 chapters" in _json_detail(answer, 422)
    assert time.monotonic() - started < 5


def test_wrong_methods_are_405_with_a_detail(stack: Stack) -> None:
    for method, path in [
        ("PUT", "/api/download"),
        ("PATCH", "/api/sources"),
        ("POST", "/api/health"),
    ]:
        # A bodiless POST must first prove it is no cross-site form (access/csrf.py).
        proof = {"X-Requested-With": "XMLHttpRequest"}
        _json_detail(httpx.request(method, stack.url + path, headers=proof), 405)

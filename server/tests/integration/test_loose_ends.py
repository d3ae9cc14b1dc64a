"""The loose ends a hostile-source run found: an equal request and a file that is gone, stale
`read` answers, search and series titles that disagree, external chapters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from ..stack import DemoSource, Stack
from .helpers import chapters_with_pages, download, request, wait_final

pytestmark = pytest.mark.integration


def test_equal_request_gets_a_new_job_when_the_old_file_is_gone(
    stack: Stack, source: DemoSource
) -> None:
    chapter = chapters_with_pages(stack)[2]
    first = request(stack, [chapter["id"]], title="file gone")
    assert wait_final(stack, first["task_id"])["state"] == "SUCCESS"
    for path in stack.download_dir.glob(f"{first['task_id']}.*"):
        path.unlink()  # a manual delete, or a changed DOWNLOAD_DIR
    again = request(stack, [chapter["id"]], title="file gone")
    assert again["task_id"] != first["task_id"] and again["deduplicated"] is False
    assert wait_final(stack, again["task_id"])["state"] == "SUCCESS"
    response, body = download(stack, again["task_id"])
    assert response.status_code == 200 and body.startswith(b"PK")
    third = httpx.post(
        f"{stack.url}/api/download",
        json={"source": "mangadex", "ids": [chapter["id"]], "title": "file gone"},
        timeout=30,
    ).json()
    assert third["task_id"] == again["task_id"] and third["deduplicated"] is True


def test_search_and_series_page_show_the_same_title(stack: Stack, source: DemoSource) -> None:
    found = httpx.get(
        f"{stack.url}/api/search", params={"q": "Caretaker", "source": "mangadex"}, timeout=30
    ).json()["results"]
    caretaker = next(r for r in found if "Saebyeok Gwanriin" in [r["title"], *r["alt_titles"]])
    series = httpx.get(
        f"{stack.url}/api/manga/mangadex/info", params={"id": caretaker["id"]}, timeout=30
    ).json()
    assert caretaker["title"] == series["title"] == "The Dawn Caretaker"
    assert "Saebyeok Gwanriin" in caretaker["alt_titles"]


def _read_answers_dead_urls(stack: Stack, source: DemoSource) -> tuple[dict[str, Any], str]:
    """Make the source's `read` of a chapter answer page URLs that 404; the chapter and the
    source path of its `read`."""
    chapter = chapters_with_pages(stack)[1]
    read_path = f"/manga/mangadex/read/{chapter['id']}"
    gone = [f"http://127.0.0.1:{{port}}/img/expired/{n}.jpg" for n in range(chapter["pages"])]
    source.faults(rules=[{"match": read_path, "action": "pages", "urls": gone}])
    return chapter, read_path


def test_chapter_failing_from_a_cached_read_is_read_again_once(
    make_stack: Callable[..., Stack], source: DemoSource
) -> None:
    stack = make_stack(CACHE_SECONDS="300")
    # The reader primes the shared cache with an answer whose URLs no longer work, as a
    # MangaDex@Home URL past its 15 minutes, or a source that has moved since.
    chapter, read_path = _read_answers_dead_urls(stack, source)
    primed = httpx.get(
        f"{stack.url}/api/manga/mangadex/read", params={"chapterId": chapter["id"]}, timeout=30
    )
    assert primed.status_code == 200 and len(primed.json()["pages"]) == chapter["pages"]
    source.reset()  # the source itself answers with working URLs again
    job = request(stack, [chapter["id"]], title="stale read")
    final = wait_final(stack, job["task_id"])
    assert final["state"] == "SUCCESS", final
    assert final["pages_done"] == chapter["pages"]
    assert source.stats().get(read_path) == 1, "read again once, from the source"


def test_chapter_failing_from_a_fresh_read_is_not_read_again(
    make_stack: Callable[..., Stack], source: DemoSource
) -> None:
    stack = make_stack(CACHE_SECONDS="300")
    chapter, read_path = _read_answers_dead_urls(stack, source)
    job = request(stack, [chapter["id"]], title="fresh but broken")
    final = wait_final(stack, job["task_id"])
    assert final["state"] == "FAILURE", final
    assert final["failed"][0]["reason"] == "page 1: HTTP 404"
    assert source.stats().get(read_path) == 1

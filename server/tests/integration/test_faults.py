"""Faults injected by the demo source: what is retried, what fails a chapter, and how."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from ..stack import DemoSource, Stack
from .helpers import (
    archive_chapters,
    cbz_pages,
    chapters_with_pages,
    download,
    request,
    source_pages,
    wait_final,
)

pytestmark = pytest.mark.integration


def _page_paths(source: DemoSource, chapter_id: str) -> list[str]:
    pages = httpx.get(f"{source.url}/manga/mangadex/read/{chapter_id}", timeout=30).json()
    return [httpx.URL(p["img"]).path for p in pages]


def test_500s_then_success_are_retried(stack: Stack, source: DemoSource) -> None:
    chapter = chapters_with_pages(stack)[0]
    path = _page_paths(source, chapter["id"])[2]
    source.faults(rules=[{"match": path, "action": "status", "status": 503, "times": 2}])
    job = request(stack, [chapter["id"]], title="retry 500")
    final = wait_final(stack, job["task_id"])
    assert final["state"] == "SUCCESS", final
    assert source.stats()[path] == 3, "two 503s, then the page"
    _, images, _ = cbz_pages(download(stack, job["task_id"])[1])
    assert images == source_pages(source, "mangadex", chapter["id"])


def test_429_with_retry_after_is_honoured(stack: Stack, source: DemoSource) -> None:
    chapter = chapters_with_pages(stack)[1]
    path = _page_paths(source, chapter["id"])[0]
    source.faults(
        rules=[{"match": path, "action": "status", "status": 429, "times": 1, "retry_after": 1}]
    )
    job = request(stack, [chapter["id"]], title="retry 429")
    assert wait_final(stack, job["task_id"])["state"] == "SUCCESS"
    assert source.stats()[path] == 2


def test_404_page_is_not_retried_and_fails_only_its_chapter(
    stack: Stack, source: DemoSource
) -> None:
    good, bad = chapters_with_pages(stack)[:2]
    path = _page_paths(source, bad["id"])[4]
    source.faults(rules=[{"match": path, "action": "status", "status": 404}])
    job = request(stack, [good["id"], bad["id"]], title="one bad page", format="zip")
    final = wait_final(stack, job["task_id"])
    assert final["state"] == "SUCCESS"
    assert final["done_chapters"] == 1
    assert [f["chapter_id"] for f in final["failed"]] == [bad["id"]]
    assert "page 5" in final["failed"][0]["reason"] and "404" in final["failed"][0]["reason"]
    assert source.stats()[path] == 1, "a 404 is final"
    entries = archive_chapters(download(stack, job["task_id"])[1])
    folders = {name.split("/")[0] for name in entries}
    assert len(folders) == 1, "the failed chapter is absent, never short"
    images = [entries[n] for n in sorted(entries)]
    assert images == source_pages(source, "mangadex", good["id"])


def test_one_chapter_left_of_several_is_that_chapters_own_cbz(
    stack: Stack, source: DemoSource
) -> None:
    """The ZIP built while chapters finish is dropped when only one chapter makes it."""
    good, bad = chapters_with_pages(stack)[:2]
    path = _page_paths(source, bad["id"])[0]
    source.faults(rules=[{"match": path, "action": "status", "status": 404}])
    job = request(stack, [good["id"], bad["id"]], title="one left")
    final = wait_final(stack, job["task_id"])
    assert final["state"] == "SUCCESS"
    assert final["done_chapters"] == 1
    assert final["file_name"].endswith(".cbz")
    assert not list(stack.download_dir.glob(f".tmp-{job['task_id']}*"))
    _, images, _ = cbz_pages(download(stack, job["task_id"])[1])
    assert images == source_pages(source, "mangadex", good["id"])


@pytest.mark.parametrize(
    ("action", "reason"),
    [
        ("truncate", ""),
        ("not_image", "not an image"),
        ("huge", "large"),
        ("endless", "image larger than 32 MiB"),  # streams until the cap
        ("oversize", "image larger than 32 MiB"),  # declares 2 GiB
    ],
)
def test_bad_bodies_are_rejected(
    stack: Stack, source: DemoSource, action: str, reason: str
) -> None:
    chapter = chapters_with_pages(stack)[2]
    path = _page_paths(source, chapter["id"])[1]
    source.faults(rules=[{"match": path, "action": action}])
    job = request(stack, [chapter["id"]], title=f"bad body {action}")
    final = wait_final(stack, job["task_id"])
    assert final["state"] == "FAILURE", final
    assert final["failed"][0]["chapter_id"] == chapter["id"]
    assert final["failed"][0]["reason"].startswith("page 2:")
    assert reason in final["failed"][0]["reason"]
    assert httpx.get(f"{stack.url}/api/download/file/{job['task_id']}").status_code == 409
    assert not list(stack.download_dir.glob(f"{job['task_id']}*"))


def test_truncated_once_then_whole_succeeds(stack: Stack, source: DemoSource) -> None:
    chapter = chapters_with_pages(stack)[3]
    path = _page_paths(source, chapter["id"])[3]
    source.faults(rules=[{"match": path, "action": "truncate", "times": 1}])
    job = request(stack, [chapter["id"]], title="truncated once")
    assert wait_final(stack, job["task_id"])["state"] == "SUCCESS"
    _, images, _ = cbz_pages(download(stack, job["task_id"])[1])
    assert images == source_pages(source, "mangadex", chapter["id"])


def test_referer_requiring_host_works(stack: Stack, source: DemoSource) -> None:
    series = httpx.get(
        f"{stack.url}/api/search", params={"q": "webtoon", "source": "mangahere"}
    ).json()
    assert series["results"], series
    slug = series["results"][0]["id"]
    info = httpx.get(f"{stack.url}/api/manga/mangahere/info", params={"id": slug}).json()
    chapter = info["chapters"][-1]
    job = request(stack, [chapter["id"]], source="mangahere", series_id=slug)
    final = wait_final(stack, job["task_id"])
    assert final["state"] == "SUCCESS", final
    _, images, _ = cbz_pages(download(stack, job["task_id"])[1])
    assert images == source_pages(source, "mangahere", chapter["id"])


def test_timeouts_are_bounded(make_stack: Callable[..., Stack], source: DemoSource) -> None:
    stack = make_stack(IMAGE_RETRIES="1", IMAGE_READ_TIMEOUT="1", IMAGE_TOTAL_TIMEOUT="2")
    chapter = chapters_with_pages(stack)[0]
    path = _page_paths(source, chapter["id"])[0]
    source.faults(rules=[{"match": path, "action": "hang"}])
    job = request(stack, [chapter["id"]], title="hangs")
    final = wait_final(stack, job["task_id"], timeout=60)
    assert final["state"] == "FAILURE"
    assert "timed out" in final["failed"][0]["reason"]
    assert source.stats()[path] == 2, "one try and one retry"


def test_empty_chapter_is_reported_by_name(stack: Stack, source: DemoSource) -> None:
    from .helpers import info

    external = next(c for c in info(stack)["chapters"] if c["pages"] == 0)
    good = chapters_with_pages(stack)[0]
    job = request(
        stack, [external["id"], good["id"]], series_id="60c01dc6-0a5c-4e46-a115-a934ebc404f2"
    )
    final = wait_final(stack, job["task_id"])
    assert final["state"] == "SUCCESS"
    assert final["failed"] == [
        {
            "chapter_id": external["id"],
            "title": external["title"],
            "reason": "no pages (chapter is empty, external or blocked at the source)",
        }
    ]

"""A source whose `read` answers list page URLs in every hostile spelling: each such page fails
with a short reason, the job ends, and the reader's image proxy answers a 4xx (never a 5xx or a
reset), with production settings and with the test allow-list alike."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from ..stack import DemoSource, Stack
from .helpers import request, wait_final

pytestmark = pytest.mark.integration

# Every host here is refused or unusable before any lookup: no request leaves loopback.
HOSTILE = [
    "http://0177.0.0.1:{port}/img/x.jpg",  # octal: 127.0.0.1 to libc, an error to httpx
    "http://127.000.000.001:{port}/img/x.jpg",
    "http://0x7f.0.0.1:{port}/img/x.jpg",
    "http://0.0.0.0:{port}/img/x.jpg",
    "http://[::ffff:127.0.0.1]:{port}/img/x.jpg",
    "http://1.1.1.1.1:{port}/img/x.jpg",
    "http:///img/x.jpg",  # empty host
    "http://" + "a" * 300 + ":{port}/img/x.jpg",
    "http://127.0.0.1:99999/img/x.jpg",
    "http://%00:{port}/img/x.jpg",
    "http://127.0.0.1:{port}/" + "x" * 9000 + ".jpg",
]
SERIES = f"bench_{len(HOSTILE) + 1}x1_10"  # a demo mangahere series, one page per chapter


def _chapter(number: int) -> str:
    return f"{SERIES}/c{number:03d}"


def _hostile_source(source: DemoSource) -> None:
    """Chapter n's read answer lists the n-th hostile URL; the last chapter stays good."""
    rules = [
        {"match": f"chapterId={_chapter(n)}", "action": "pages", "urls": [url]}
        for n, url in enumerate(HOSTILE, start=1)
    ]
    # The rules match the decoded query too, so "/" in the chapter id needs no escaping.
    source.faults(rules=rules)


def _assert_every_hostile_page_failed(stack: Stack, title: str) -> None:
    ids = [_chapter(n) for n in range(1, len(HOSTILE) + 2)]
    job = request(stack, ids, source="mangahere", title=title)
    final = wait_final(stack, job["task_id"], timeout=90)
    assert final["state"] == "SUCCESS", final
    assert final["done_chapters"] == 1
    failed = {f["chapter_id"]: f["reason"] for f in final["failed"]}
    assert sorted(failed) == ids[:-1], final["failed"]
    for reason in failed.values():
        assert reason.startswith("page 1: "), reason
        assert len(reason) < 200, reason


def _assert_proxy_answers_4xx(stack: Stack) -> None:
    for number, url in enumerate(HOSTILE, start=1):
        listing = httpx.get(
            f"{stack.url}/api/manga/mangahere/read",
            params={"chapterId": _chapter(number)},
            timeout=30,
        )
        assert listing.status_code == 200, listing.text
        for page in listing.json()["pages"]:
            answer = httpx.get(stack.url + page["url"], timeout=30)
            assert 400 <= answer.status_code < 500, (url, answer.status_code, answer.text)
            assert answer.json()["detail"], url
            if "refused" in answer.json()["detail"]:
                assert answer.status_code == 403, (url, answer.text)


def test_hostile_page_urls_fail_their_pages_with_the_test_allow_list(
    stack: Stack, source: DemoSource
) -> None:
    _hostile_source(source)
    _assert_every_hostile_page_failed(stack, "hostile allow-list")
    _assert_proxy_answers_4xx(stack)
    assert not [p for p in source.stats() if p.startswith("/img/x.jpg")]


def test_hostile_page_urls_fail_their_pages_in_production_settings(
    make_stack: Callable[..., Stack], source: DemoSource
) -> None:
    stack = make_stack(ALLOW_PRIVATE_HOSTS="")
    _hostile_source(source)
    ids = [_chapter(n) for n in range(1, len(HOSTILE) + 1)]
    job = request(stack, ids, source="mangahere", title="hostile production")
    final = wait_final(stack, job["task_id"], timeout=90)
    assert final["state"] == "FAILURE", final
    assert sorted(f["chapter_id"] for f in final["failed"]) == ids
    assert all(len(f["reason"]) < 200 for f in final["failed"])
    _assert_proxy_answers_4xx(stack)
    assert not [p for p in source.stats() if p.startswith("/img/")]

"""The reader's image proxy answers within READER_IMAGE_TIMEOUT, not the download's minutes."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import httpx
import pytest

from ..stack import DemoSource, Stack
from .helpers import chapters_with_pages

pytestmark = pytest.mark.integration


def test_a_hung_image_ends_in_a_502_after_the_interactive_budget(
    make_stack: Callable[..., Stack], source: DemoSource
) -> None:
    # The download's own limits are far longer than the client waits below: only the
    # reader's budget can end this request in time.
    stack = make_stack(
        workers=0,
        READER_IMAGE_TIMEOUT="2",
        IMAGE_READ_TIMEOUT="120",
        IMAGE_TOTAL_TIMEOUT="300",
        IMAGE_RETRIES="4",
    )
    chapter = chapters_with_pages(stack)[0]
    upstream = httpx.get(f"{source.url}/manga/mangadex/read/{chapter['id']}", timeout=30).json()
    hung, fine = urlsplit(upstream[0]["img"]).path, urlsplit(upstream[1]["img"]).path
    source.faults(rules=[{"match": hung, "action": "hang"}])

    pages = httpx.get(
        f"{stack.url}/api/manga/mangadex/read", params={"chapterId": chapter["id"]}, timeout=30
    ).json()["pages"]
    answer = httpx.get(stack.url + pages[0]["url"], timeout=60)
    assert answer.status_code == 502
    assert answer.json() == {"detail": "the image host did not answer within 2 s"}

    other = httpx.get(stack.url + pages[1]["url"], timeout=60)
    assert (
        other.status_code == 200
        and other.content == httpx.get(f"{source.url}{fine}", timeout=30).content
    )

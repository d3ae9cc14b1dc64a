"""With production settings (ALLOW_PRIVATE_HOSTS unset) no loopback or private image is fetched."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from ..stack import DemoSource, Stack
from .helpers import chapters_with_pages, request, wait_final

pytestmark = pytest.mark.integration


def test_loopback_images_are_refused_in_production_settings(
    make_stack: Callable[..., Stack], source: DemoSource
) -> None:
    stack = make_stack(ALLOW_PRIVATE_HOSTS="false")
    chapter = chapters_with_pages(stack)[0]  # the Consumet API itself is trusted configuration
    job = request(stack, [chapter["id"]], title="ssrf")
    final = wait_final(stack, job["task_id"])
    assert final["state"] == "FAILURE"
    reason = final["failed"][0]["reason"]
    assert "refused to fetch from a private or local address" in reason
    assert not [p for p in source.stats() if p.startswith("/img/")], "no image was requested"


def test_loopback_spellings_and_redirects_are_refused(
    make_stack: Callable[..., Stack], source: DemoSource
) -> None:
    stack = make_stack(ALLOW_PRIVATE_HOSTS="false")
    pages = httpx.get(
        f"{source.url}/manga/mangahere/read", params={"chapterId": "ssrf_lab/c001"}
    ).json()
    assert len(pages) >= 5
    job = request(stack, ["ssrf_lab/c001"], source="mangahere", title="lab")
    final = wait_final(stack, job["task_id"])
    assert final["state"] == "FAILURE"
    assert "refused" in final["failed"][0]["reason"]
    assert not [p for p in source.stats() if p.startswith("/img/")]


def test_image_proxy_refuses_loopback_in_production_settings(
    make_stack: Callable[..., Stack], source: DemoSource
) -> None:
    stack = make_stack(ALLOW_PRIVATE_HOSTS="false")
    chapter = chapters_with_pages(stack)[0]
    pages = httpx.get(
        f"{stack.url}/api/manga/mangadex/read", params={"chapterId": chapter["id"]}
    ).json()["pages"]
    answer = httpx.get(stack.url + pages[0]["url"])
    assert answer.status_code == 403
    assert "private or local address" in answer.json()["detail"]

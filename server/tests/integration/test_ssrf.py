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


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.2:{port}{path}",  # loopback, but outside the test allow-list
        "http://2130706434:{port}{path}",  # the same, as one number
        "http://[::1]:{port}{path}",
        "http://[::ffff:127.0.0.2]:{port}{path}",
        "file:///etc/passwd",
        "gopher://127.0.0.1:{port}/_GET%20/",
    ],
)
def test_redirects_out_of_the_allow_list_are_refused(
    stack: Stack, source: DemoSource, target: str
) -> None:
    # The test stack allows exactly 127.0.0.1 (the demo source): every hop is checked.
    chapter = chapters_with_pages(stack)[1]
    pages = httpx.get(f"{source.url}/manga/mangadex/read/{chapter['id']}").json()
    path = httpx.URL(pages[2]["img"]).path
    location = target.format(port=source.port, path=path)
    source.faults(rules=[{"match": path, "action": "redirect", "location": location}])
    job = request(stack, [chapter["id"]], title=f"redirect {target}")
    final = wait_final(stack, job["task_id"])
    assert final["state"] == "FAILURE", final
    reason = final["failed"][0]["reason"]
    assert reason.startswith("page 3: refused"), reason
    assert source.stats()[path] == 1, "the redirect was not followed"

"""Follow from the series page in real headless Chromium; the demo source releases a chapter;
the Library page shows it arriving in the library."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from ..integration.test_library import RELEASING, library_env, release
from ..stack import DemoSource, Stack
from .test_reader_flow import browser, page, shot

pytestmark = pytest.mark.e2e
__all__ = ["browser", "page"]  # the fixtures, shared with the reader flow


def test_follow_from_series_page_and_see_the_new_chapter(
    make_stack: Callable[..., Stack], source: DemoSource, page: Page, tmp_path: Path
) -> None:
    stack = make_stack(**library_env(tmp_path / "library"))
    page.goto(f"{stack.url}/series/mangadex/{RELEASING}")
    expect(page.get_by_role("heading", level=1, name="Night Shift No. 8")).to_be_visible(
        timeout=20_000
    )
    page.get_by_role("button", name="Follow", exact=True).click()
    page.get_by_label("New chapters only").check()
    page.get_by_role("form", name="Follow this series").get_by_role("button", name="Follow").click()
    expect(page.get_by_role("link", name="In the library")).to_be_visible()

    released = release(source)
    page.get_by_role("link", name="In the library").click()
    card = page.get_by_role("article", name="Night Shift No. 8")
    expect(card).to_be_visible()
    name = f"Night Shift No. 8 Ch. {int(released['number']):03d}.cbz"
    # The Library page polls; the check runs every few seconds in this stack.
    expect(card.get_by_role("list", name="New chapters")).to_contain_text(name, timeout=90_000)
    expect(card.get_by_text("1 chapter", exact=True)).to_be_visible()
    shot(page, "library")

"""The whole reader flow in real headless Chromium against the real stack: search → series →
read (images render, scrolling loads more) → select 3 chapters → download → progress reaches
100% → the downloaded file is a valid archive. Screenshots land in test-artifacts/."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, Page, expect

from ..stack import DemoSource, Stack
from .chromium import browser, page, shot

pytestmark = pytest.mark.e2e
__all__ = ["browser", "page"]  # the fixtures, from chromium.py


def test_search_read_select_download(stack: Stack, source: DemoSource, page: Page) -> None:
    page.goto(stack.url)
    expect(page.get_by_role("img", name="Server health: ok")).to_be_visible(timeout=20_000)
    page.get_by_role("combobox", name="Source").select_option("mangadex")
    page.get_by_role("searchbox", name="Search").fill("dawn")
    page.get_by_role("button", name="Search", exact=True).click()
    result = page.get_by_role("link", name="Tower of Dawn", exact=True)
    expect(result).to_be_visible()
    shot(page, "1-search")

    result.click()
    expect(page.get_by_role("heading", level=1, name="Tower of Dawn")).to_be_visible()
    shot(page, "2-series")

    page.get_by_role("link", name="Read Chapter 2", exact=False).first.click()
    first = page.get_by_role("img", name="Page 1", exact=True)
    expect(first).to_be_visible()
    page.wait_for_function(
        "() => { const i = document.querySelector('img[alt=\"Page 1\"]'); "
        "return i && i.complete && i.naturalWidth > 0; }"
    )
    shot(page, "3-reader")

    def loaded() -> int:
        count: int = page.evaluate(
            "() => [...document.querySelectorAll('img[alt^=\"Page \"]')]"
            ".filter(i => i.complete && i.naturalWidth > 0).length"
        )
        return count

    before = loaded()
    for _ in range(12):
        page.mouse.wheel(0, 2500)
        page.wait_for_timeout(150)
    page.wait_for_function(
        f"() => [...document.querySelectorAll('img[alt^=\"Page \"]')]"
        f".filter(i => i.complete && i.naturalWidth > 0).length > {before}"
    )
    assert loaded() > before, "scrolling loads more pages"
    page.wait_for_function(
        "() => { const i = document.querySelector('img[alt=\"Page 8\"]'); "
        "return i && i.complete && i.naturalWidth > 0; }"
    )

    page.get_by_role("link", name="Back to Tower of Dawn").click()
    expect(page.get_by_role("heading", level=1, name="Tower of Dawn")).to_be_visible()
    for label in ("Select Chapter 2", "Select Chapter 3", "Select Chapter 5"):
        page.get_by_role("checkbox", name=label).first.check()
    page.get_by_role("button", name="Download CBZ").click()
    page.get_by_role("link", name="See progress").click()

    job = page.get_by_role("article", name="Tower of Dawn").first
    bar = job.get_by_role("progressbar")
    expect(bar).to_have_attribute("aria-valuenow", "100", timeout=60_000)
    link = job.get_by_role("link", name="Download Tower of Dawn")
    expect(link).to_be_visible()
    shot(page, "4-downloads")

    with page.expect_download() as waiting:
        link.click()
    saved = Path(waiting.value.path())
    assert waiting.value.suggested_filename == "Tower of Dawn - Ch. 002-005.zip"
    with zipfile.ZipFile(saved) as outer:
        assert outer.testzip() is None
        names = outer.namelist()
        assert names == [f"Tower of Dawn - Ch. {n:03d}.cbz" for n in (2, 3, 5)]
        for name in names:
            with zipfile.ZipFile(io.BytesIO(outer.read(name))) as cbz:
                assert cbz.testzip() is None
                pages = [n for n in cbz.namelist() if n != "ComicInfo.xml"]
                assert pages == [f"{i:03d}.jpg" for i in range(1, 9)]


def test_phone_width_has_no_horizontal_scroll(stack: Stack, browser: Browser) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    page.goto(f"{stack.url}/?q=dawn&source=mangadex")
    expect(page.get_by_role("link", name="Tower of Dawn", exact=True)).to_be_visible()
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    shot(page, "5-phone-search")
    context.close()
    assert overflow <= 0


LONG_SERIES = "bench_1x300_5"  # a made-up demo series: 300 short slices (1200x86 px)
LONG_CHAPTER = f"{LONG_SERIES}/c001"


def reader_url(stack: Stack, series: str, chapter: str) -> str:
    return f"{stack.url}/read/mangahere/{quote(series, safe='')}/{quote(chapter, safe='')}"


SAVED_PAGE = (
    "(key) => (JSON.parse(localStorage.getItem('manhwa.lastPages.v1') || '{}')[key] || {}).page"
)


def saved_page(page: Page, chapter: str) -> int | None:
    saved: int | None = page.evaluate(SAVED_PAGE, f"mangahere:{chapter}")
    return saved


def image_loaded(page: Page, number: int) -> None:
    page.wait_for_function(
        f"() => {{ const i = document.querySelector('img[alt=\"Page {number}\"]'); "
        "return i && i.complete && i.naturalWidth > 0; }"
    )


def test_long_strip_end_is_saved_as_the_last_page(
    stack: Stack, source: DemoSource, page: Page
) -> None:
    # Pages that arrive one by one, as from a real source: the layout settles for a while.
    source.faults(latency_ms=300, spike_rate=0.3, spike_ms=700, seed=7)
    page.goto(reader_url(stack, LONG_SERIES, LONG_CHAPTER))
    expect(page.get_by_text("Page 1 / 300")).to_be_visible(timeout=20_000)
    image_loaded(page, 1)

    page.keyboard.press("End")
    expect(page.get_by_text("Page 300 / 300")).to_be_visible(timeout=15_000)
    image_loaded(page, 300)  # the pages at the end have loaded and changed the layout
    page.wait_for_function(f"(key) => ({SAVED_PAGE})(key) === 299", arg=f"mangahere:{LONG_CHAPTER}")
    expect(page.get_by_text("Page 300 / 300")).to_be_visible()
    shot(page, "6-strip-end")

    page.reload()
    expect(page.get_by_role("status")).to_contain_text("Resumed at page 300.")
    expect(page.get_by_text("Page 300 / 300")).to_be_visible()
    image_loaded(page, 300)
    assert saved_page(page, LONG_CHAPTER) == 299


def test_failed_page_recovers_with_its_retry_button(
    stack: Stack, source: DemoSource, browser: Browser
) -> None:
    series = "bench_1x6_5"
    chapter = f"{series}/c001"
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    context.add_init_script("localStorage.setItem('manhwa.readerMode', 'paged')")
    page = context.new_page()
    failed: list[str] = []  # the page's own 502s are expected; anything else is not
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # Every request for page 2 fails upstream until the fault is lifted.
    source.faults(rules=[{"match": f"{chapter}/002.jpg", "action": "status", "status": 500}])
    try:
        page.goto(reader_url(stack, series, chapter))
        image_loaded(page, 1)
        page.keyboard.press("ArrowRight")
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text("Page 2 failed to load.", timeout=30_000)
        shot(page, "7-page-failed")

        source.reset()
        page.get_by_role("button", name="Retry page 2").click()
        image_loaded(page, 2)
        expect(alert).to_have_count(0)
        expect(page.get_by_text("Page 2 / 6")).to_be_visible()
    finally:
        context.close()
    assert errors == []
    assert failed and all("/api/image/" in url for url in failed), failed

"""The Downloads page under load, in real Chromium: 30 jobs open on a slow source share ONE
event stream, so Cancel and the health check still get a connection (a browser allows six per
host over HTTP/1.1). Also: a stack without a worker is explained, and long file names fit a
phone's width."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Request, expect

from ..integration.helpers import chapters_with_pages, request, status, wait_until
from ..stack import DemoSource, Stack
from .chromium import chromium, shot, watched_page

pytestmark = pytest.mark.e2e
JOBS = 30


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def test_thirty_jobs_one_stream_cancel_and_health_answer(
    make_stack: Callable[..., Stack], source: DemoSource, browser: Browser
) -> None:
    stack = make_stack()  # private: thirty slow jobs would hold the shared worker
    chapters = chapters_with_pages(stack)
    source.faults(latency_ms=1500)
    ids = [
        request(stack, [chapters[i % len(chapters)]["id"]], title=f"Slow job {i:02d}")["task_id"]
        for i in range(JOBS)
    ]
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    streams: list[str] = []

    def on_request(sent: Request) -> None:
        if "/events" in sent.url:
            streams.append(sent.url)

    with watched_page(context) as (page, errors):
        page.on("request", on_request)
        page.goto(f"{stack.url}/downloads")
        jobs = page.get_by_role("list", name="Download jobs")
        expect(jobs.get_by_role("article")).to_have_count(JOBS, timeout=20_000)
        last = page.get_by_role("article", name="Slow job 29", exact=True)
        expect(last.get_by_text("Queued", exact=True)).to_be_visible()
        page.wait_for_timeout(500)  # let every card settle; a stream per card would open now
        shot(page, "downloads-30-jobs")

        # Cancel on a queued card takes effect while every other job is still open.
        last.get_by_role("button", name="Cancel").click()
        expect(last.get_by_text("Cancelled", exact=True)).to_be_visible(timeout=15_000)
        assert status(stack, ids[-1])["state"] == "CANCELLED"

        # Other requests still get a connection: eight at once, each bounded by 10 s.
        answers = page.evaluate(
            """async () => Promise.all(Array.from({length: 8}, (_, i) =>
                fetch(i % 2 ? '/api/health' : '/api/downloads?limit=5',
                      {signal: AbortSignal.timeout(10000)})
                  .then(r => r.status, e => String(e))))"""
        )
        assert all(code in (200, 503) for code in answers), answers
        dot = page.get_by_role("img", name=re.compile(r"^Server health: (ok|degraded)$"))
        expect(dot).to_be_visible()

        # A job the API calls finished is shown finished, not Queued.
        wait_until(stack, ids[0], {"SUCCESS"}, timeout=120)
        first = page.get_by_role("article", name="Slow job 00", exact=True)
        expect(first.get_by_text("Done", exact=True)).to_be_visible(timeout=15_000)

        per_job = [url for url in streams if "/api/download/events/" in url]
        shared = [url for url in streams if "/api/downloads/events" in url]
        assert per_job == [], "no card opens a stream of its own"
        assert 1 <= len(shared) <= 3, shared  # reopened only when the set of jobs grows
    context.close()
    for task_id in ids:
        httpx.delete(f"{stack.url}/api/download/{task_id}", timeout=10)
    assert errors == [], errors


def test_a_stack_without_a_worker_says_downloads_will_wait(
    make_stack: Callable[..., Stack], browser: Browser
) -> None:
    stack = make_stack(workers=0)
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    # The health answer is a 503 (degraded); Chromium logs every non-2xx fetch as an error.
    with watched_page(context, allowed=("503",)) as (page, errors):
        page.goto(f"{stack.url}/series/mangadex/60c01dc6-0a5c-4e46-a115-a934ebc404f2")
        expect(page.get_by_role("heading", level=1, name="Tower of Dawn")).to_be_visible()
        dot = page.get_by_role("img", name="Server health: degraded")
        expect(dot).to_be_visible(timeout=20_000)
        expect(page.locator(".health")).to_have_attribute(
            "title", re.compile("no worker is running: downloads will wait")
        )
        expect(page.get_by_role("note")).to_have_text("No worker is running: downloads will wait.")
        shot(page, "series-no-worker")
    context.close()
    assert errors == [], errors


def test_phone_width_fits_long_file_names(stack: Stack, browser: Browser) -> None:
    chapters = chapters_with_pages(stack)
    long_title = "The Extraordinarily Long-Winded Chronicle of a Tower Climber " * 3
    job = request(stack, [chapters[0]["id"]], title=long_title.strip()[:290])
    wait_until(stack, job["task_id"], {"SUCCESS"}, timeout=120)
    context = browser.new_context(viewport={"width": 375, "height": 800})
    with watched_page(context) as (page, errors):
        page.goto(f"{stack.url}/downloads")
        link = page.get_by_role("link", name=re.compile("^Download The Extraordinarily")).first
        expect(link).to_be_visible(timeout=20_000)
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        box = link.bounding_box()
        clipped = link.evaluate("el => el.scrollWidth - el.clientWidth")
        shot(page, "downloads-phone-long-name")
    context.close()
    assert overflow <= 0
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375
    assert clipped <= 0, "the whole file name can be read"
    assert errors == [], errors

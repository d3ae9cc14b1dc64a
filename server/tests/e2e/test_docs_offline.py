"""`/docs` renders with every request off the machine refused: its assets are served by the app."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Route, expect

from ..stack import Stack
from .chromium import chromium, shot, watched_page

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def test_docs_render_with_the_network_blocked(stack: Stack, browser: Browser) -> None:
    html = httpx.get(f"{stack.url}/docs", timeout=10).text
    assert "cdn.jsdelivr.net" not in html and "unpkg.com" not in html
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    refused: list[str] = []

    def only_loopback(route: Route) -> None:
        if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    context.route("**/*", only_loopback)
    with watched_page(context) as (page, errors):
        page.goto(f"{stack.url}/docs")
        expect(page.get_by_role("heading", name="Manhwa Downloader")).to_be_visible(timeout=20_000)
        expect(page.get_by_text("/api/downloads/events").first).to_be_visible()
        shot(page, "docs-offline")
    context.close()
    assert refused == [], f"/docs asked the internet: {refused}"
    assert errors == [], errors

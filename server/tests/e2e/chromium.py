"""Chromium for the browser suite: launch flags, the `browser` and `page` fixtures, console
errors made failures. A test module imports the fixtures it uses (and lists them in `__all__`)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, sync_playwright

from ..stack import REPO

ARTIFACTS = REPO / "test-artifacts"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def chromium() -> Iterator[Browser]:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:  # never a silent skip: `make test-e2e` installs it
        pytest.fail("Chromium is not installed (make browser installs Debian's chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, headless=True, args=FLAGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A desktop-sized page that takes downloads; any console error fails the test."""
    context = browser.new_context(accept_downloads=True, viewport={"width": 1200, "height": 900})
    with watched_page(context) as (opened, errors):
        yield opened
    context.close()
    assert errors == [], f"console errors: {errors}"


@contextmanager
def watched_page(
    context: BrowserContext, allowed: tuple[str, ...] = ()
) -> Iterator[tuple[Page, list[str]]]:
    """A page whose console errors are collected (`allowed` substrings excepted)."""
    page = context.new_page()
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and not any(a in message.text for a in allowed):
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page, errors


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)

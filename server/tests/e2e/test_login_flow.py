"""The browser suite with AUTH_MODE=password: the app shows the login page, the owner logs in,
and then everything the reader flow uses works on the session cookie alone — search with proxied
covers, the reader's images, a download with live progress over SSE, the file — and logging out
brings the login page back while the API answers 401 again."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from ..stack import SERVER, DemoSource, RedisServer, Stack
from .chromium import browser, page, shot

pytestmark = pytest.mark.e2e
PASSWORD = "e2e owner password"
__all__ = ["browser", "page"]  # the fixtures, from chromium.py


@pytest.fixture(scope="module")
def password_stack(redis_server: RedisServer, demo: DemoSource) -> Iterator[Stack]:
    stack = Stack(redis_server, demo, db=11, env_overrides={"AUTH_MODE": "password"}).start()
    done = subprocess.run(
        [sys.executable, "-m", "manhwa.cli", "set-password", "--stdin"],
        input=PASSWORD + "\n", env=stack.env(), cwd=SERVER, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    yield stack
    stack.stop()


def log_in(page: Page, url: str, password: str) -> None:
    """What the browser suite does first against a stack with AUTH_MODE=password."""
    page.goto(url)
    expect(page.get_by_role("heading", level=1, name="Log in")).to_be_visible(timeout=20_000)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_login_then_search_read_download_and_logout(
    password_stack: Stack, source: DemoSource, page: Page
) -> None:
    stack = password_stack
    assert httpx.get(f"{stack.url}/api/downloads").status_code == 401
    log_in(page, stack.url, PASSWORD)
    shot(page, "login-1-logged-in")
    expect(page.get_by_role("img", name="Server health: ok")).to_be_visible(timeout=20_000)

    page.get_by_role("combobox", name="Source").select_option("mangadex")
    page.get_by_role("searchbox", name="Search").fill("dawn")
    page.get_by_role("button", name="Search", exact=True).click()
    page.get_by_role("link", name="Tower of Dawn", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="Tower of Dawn")).to_be_visible()

    page.get_by_role("link", name="Read Chapter 2", exact=False).first.click()
    expect(page.get_by_role("img", name="Page 1", exact=True)).to_be_visible()
    page.wait_for_function(  # the image proxy took the session cookie
        "() => { const i = document.querySelector('img[alt=\"Page 1\"]'); "
        "return i && i.complete && i.naturalWidth > 0; }"
    )

    page.get_by_role("link", name="Back to Tower of Dawn").click()
    page.get_by_role("checkbox", name="Select Chapter 3").first.check()
    page.get_by_role("button", name="Download CBZ").click()
    page.get_by_role("link", name="See progress").click()
    job = page.get_by_role("article", name="Tower of Dawn").first
    expect(job.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "100", timeout=60_000)
    link = job.get_by_role("link", name="Download Tower of Dawn")
    with page.expect_download() as waiting:
        link.click()
    with zipfile.ZipFile(Path(waiting.value.path())) as archive:
        assert archive.testzip() is None and "ComicInfo.xml" in archive.namelist()

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", level=1, name="Log in")).to_be_visible()
    shot(page, "login-2-logged-out")
    assert all(c["name"] != "manhwa_session" for c in page.context.cookies())
    page.reload()
    expect(page.get_by_label("Password")).to_be_visible()

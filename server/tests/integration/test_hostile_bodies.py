"""Hostile image bodies against the real fetcher: rejected within the caps, memory bounded.

The fetcher runs in this process (so its memory can be measured with tracemalloc) against the
demo source on loopback, which streams endless or 2 GiB-declared bodies without holding them.
"""

from __future__ import annotations

import asyncio
import time
import tracemalloc
from typing import Any

import httpx
import pytest

from manhwa.config import Settings
from manhwa.errors import ImageFetchError
from manhwa.fetch import ImageFetcher

from ..stack import DemoSource

pytestmark = pytest.mark.integration

CAP = 4 * 1024 * 1024
CHAPTER = "e5fab167-6ebc-43aa-8e5d-6f77ef875948"  # a Tower of Dawn chapter on the demo source


def _settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "allow_private_hosts": "127.0.0.1/32",
        "image_max_bytes": CAP,
        "image_retries": 1,
        "retry_base_delay": 0.01,
        "image_read_timeout": 5.0,
        "image_total_timeout": 1.5,
    }
    values.update(overrides)
    return Settings(**values)


def _page(source: DemoSource) -> tuple[str, str]:
    pages = httpx.get(f"{source.url}/manga/mangadex/read/{CHAPTER}", timeout=10).json()
    url = pages[0]["img"]
    return url, httpx.URL(url).path


def _fetch(url: str, settings: Settings) -> tuple[str, float, int]:
    """(rejection reason, seconds taken, peak bytes allocated while fetching)."""

    async def run() -> str:
        async with ImageFetcher(settings) as fetcher:
            with pytest.raises(ImageFetchError) as info:
                await fetcher.fetch(url, 0, {})
            return info.value.detail

    tracemalloc.start()
    started = time.monotonic()
    try:
        reason = asyncio.run(run())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return reason, time.monotonic() - started, peak


def test_endless_body_stops_at_the_size_cap(source: DemoSource) -> None:
    url, path = _page(source)
    source.faults(rules=[{"match": path, "action": "endless"}])
    reason, took, peak = _fetch(url, _settings())
    assert reason == "image larger than 4 MiB"
    assert source.stats()[path] == 1, "a body over the cap is final, not retried"
    assert peak < CAP + 3 * 1024 * 1024, f"held {peak} bytes for a {CAP}-byte cap"
    assert took < 5


def test_declared_2_gib_body_is_refused_from_its_headers(source: DemoSource) -> None:
    url, path = _page(source)
    source.faults(rules=[{"match": path, "action": "oversize"}])
    reason, took, peak = _fetch(url, _settings())
    assert reason == "image larger than 4 MiB"
    assert peak < 1024 * 1024, "nothing of the body was read"
    assert took < 2


def test_endless_slow_body_is_cut_by_the_whole_image_timeout(source: DemoSource) -> None:
    url, path = _page(source)
    # 64 KiB every 100 ms: never idle long enough for the read timeout, never reaching the cap.
    source.faults(rules=[{"match": path, "action": "endless", "delay_ms": 100}])
    reason, took, peak = _fetch(url, _settings())
    assert reason == "timed out (after 2 attempts)"
    assert source.stats()[path] == 2
    assert took < 1.5 * 2 + 2
    assert peak < CAP


@pytest.mark.parametrize(
    ("action", "reason"),
    [("huge", "image too large: 30000x30000 px"), ("not_image", "not an image")],
)
def test_bombs_and_html_labelled_as_images_are_rejected(
    source: DemoSource, action: str, reason: str
) -> None:
    url, path = _page(source)
    source.faults(rules=[{"match": path, "action": action}])
    got, _, peak = _fetch(url, _settings(image_retries=0))
    assert got.startswith(reason)
    assert peak < 2 * 1024 * 1024, "the 900-megapixel bomb is judged from its header"

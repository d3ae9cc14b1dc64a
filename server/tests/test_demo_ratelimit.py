"""The demo source's rate-limited image host: token bucket, 429s, bans, most open at once."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from .stack import DemoSource

IMAGE = "/img/mangahere/bench_1x4_20/c001/001.jpg"
REFERER = {"Referer": "https://mangahere.cc/"}


@pytest.fixture(autouse=True)
def _warm(source: DemoSource) -> None:
    """Render the image before the bucket starts: a slow first answer must not refill it."""
    httpx.get(source.url + IMAGE, headers=REFERER, timeout=60).raise_for_status()
    httpx.delete(source.url + "/_control/stats", timeout=5).raise_for_status()


def _host(source: DemoSource) -> dict[str, Any]:
    data: dict[str, Any] = httpx.get(source.url + "/_control/host", timeout=5).json()
    return data


def test_beyond_the_burst_is_429_with_retry_after(source: DemoSource) -> None:
    source.faults(rate_limit={"rate": 0.05, "burst": 2})
    with httpx.Client(base_url=source.url, headers=REFERER, timeout=10) as client:
        codes = [client.get(IMAGE).status_code for _ in range(2)]
        limited = client.get(IMAGE)
    assert codes == [200, 200]
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    host = _host(source)
    assert (host["served"], host["limited"], host["bans"]) == (2, 1, 0)


def test_mangadex_style_header_is_an_epoch(source: DemoSource) -> None:
    source.faults(rate_limit={"rate": 0.05, "burst": 1, "header": "x-ratelimit-retry-after"})
    with httpx.Client(base_url=source.url, headers=REFERER, timeout=10) as client:
        client.get(IMAGE)
        limited = client.get(IMAGE)
    assert limited.status_code == 429 and "retry-after" not in limited.headers
    assert int(limited.headers["x-ratelimit-retry-after"]) >= int(time.time())


def test_repeat_offenders_are_banned(source: DemoSource) -> None:
    source.faults(rate_limit={"rate": 0.01, "burst": 1, "ban_after": 2, "ban_seconds": 30})
    with httpx.Client(base_url=source.url, headers=REFERER, timeout=10) as client:
        codes = [client.get(IMAGE).status_code for _ in range(4)]
        banned = client.get(IMAGE)
    assert codes == [200, 429, 429, 429]
    assert int(banned.headers["retry-after"]) >= 25
    assert _host(source)["bans"] == 1


def test_most_requests_open_at_once_is_recorded(source: DemoSource) -> None:
    source.faults(latency_ms=300)

    async def fetch_all() -> list[int]:
        async with httpx.AsyncClient(base_url=source.url, headers=REFERER, timeout=10) as client:
            answers = await asyncio.gather(*(client.get(IMAGE) for _ in range(3)))
        return [a.status_code for a in answers]

    assert asyncio.run(fetch_all()) == [200, 200, 200]
    host = _host(source)
    assert host["max_concurrent"] == 3 and host["open"] == 0
    httpx.delete(source.url + "/_control/stats", timeout=5)
    assert _host(source)["max_concurrent"] == 0

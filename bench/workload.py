"""The benchmark series on the demo source: ids, image sizes, and the loopback transfer rate."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import httpx

from demo_source.bench import POOL_SIZE, pick_variant

from .rawhttp import Connection

REFERER = "https://mangahere.cc/"
PROVIDER = "mangahere"


@dataclass(frozen=True)
class Series:
    chapters: int
    pages: int
    kb: int

    @property
    def series_id(self) -> str:
        return f"bench_{self.chapters}x{self.pages}_{self.kb}"

    @property
    def images(self) -> int:
        return self.chapters * self.pages

    def chapter_ids(self, first: int = 1, last: int | None = None) -> list[str]:
        last = self.chapters if last is None else last
        return [f"{self.series_id}/c{n:03d}" for n in range(first, last + 1)]

    def image_path(self, chapter: int, page: int) -> str:
        return f"/img/mangahere/{self.series_id}/c{chapter:03d}/{page:03d}.jpg"

    def all_pages(self) -> list[tuple[int, int]]:
        return [(c, p) for c in range(1, self.chapters + 1) for p in range(1, self.pages + 1)]


def warm_up(source_url: str, series: Series) -> dict[int, int]:
    """Make the demo source encode this size's image pool now (not during a measurement).

    Returns the byte size of each pool member, which gives every page's exact size.
    """
    sizes: dict[int, int] = {}
    with httpx.Client(base_url=source_url, headers={"Referer": REFERER}, timeout=120) as client:
        client.get(f"/manga/{PROVIDER}/info", params={"id": series.series_id}).raise_for_status()
        for chapter, page in series.all_pages():
            variant = pick_variant(series.kb, chapter, page).variant
            if variant not in sizes:
                response = client.get(series.image_path(chapter, page))
                response.raise_for_status()
                sizes[variant] = len(response.content)
            if len(sizes) == POOL_SIZE:
                break
    return sizes


def total_bytes(series: Series, sizes: dict[int, int]) -> int:
    return sum(sizes[pick_variant(series.kb, c, p).variant] for c, p in series.all_pages())


async def _transfer(port: int, series: Series, concurrency: int, count: int) -> tuple[int, float]:
    pages = series.all_pages()[:count]
    queue = list(reversed(pages))
    received = 0

    async def worker() -> None:
        nonlocal received
        conn = Connection(port)
        try:
            while queue:
                chapter, page = queue.pop()
                status, body = await conn.request(
                    "GET", series.image_path(chapter, page), {"Referer": REFERER}
                )
                if status != 200:
                    raise RuntimeError(f"image answered {status}")
                received += len(body)
        finally:
            await conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return received, time.perf_counter() - started


def loopback_rate(port: int, series: Series, concurrency: int, count: int = 400) -> float:
    """Bytes/s the demo source delivers over loopback with no added latency (best of three).

    Measured with the minimal client at the app's per-host concurrency; this is the "transfer"
    part of the bound: what the network side costs even with an infinitely cheap downloader.
    """
    best = 0.0
    for _ in range(3):
        received, seconds = asyncio.run(_transfer(port, series, concurrency, count))
        best = max(best, received / seconds)
    return best


def network_floor(port: int, series: Series, concurrency: int) -> float:
    """Seconds the minimal client needs for every image at the current latency.

    The same requests the app makes, `concurrency` at a time, with nothing done to the bytes: what
    the demo source and this (shared) machine cost per request on top of the pure bound.
    """
    return asyncio.run(_transfer(port, series, concurrency, series.images))[1]

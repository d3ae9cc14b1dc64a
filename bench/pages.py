"""`python -m bench.pages [--repeat 4]`: page options on the demo source's webtoon strips.

Fetches every strip of the demo webtoon (PNG and WebP, 720×2400) once, then shapes them with
each `encode` (original, jpeg:85, webp:80), with and without `split_tall`, in the page pool:
pages/s in total and per pool process, the archive size against the source bytes, the speed-up
of a pool of one process per core over one process, and the pool's peak RSS. The network is
left out on purpose: the figures are the image work's. Printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import threading
import time
from typing import Any

import httpx
import psutil

from manhwa.images import check_image
from manhwa.pageops import Encode, PageOptions, PagePool, SplitTall
from manhwa.pageops.pool import pool_size
from manhwa.pageops.shape import shape_page

from .stack import Stack

SERIES = "demo_webtoon_strip"
REFERER = "https://mangahere.cc/"
MAX_PIXELS = 64_000_000
SPLIT = SplitTall(ratio=3.0, target_height=1000)  # the 2400-px strips in pieces of ~1000


def strips(source_url: str) -> list[tuple[bytes, str, int, int]]:
    """Every page of the demo webtoon, checked as the fetcher checks them."""
    out = []
    with httpx.Client(base_url=source_url, headers={"Referer": REFERER}, timeout=120) as client:
        info = client.get("/manga/mangahere/info", params={"id": SERIES}).json()
        for chapter in info["chapters"]:
            pages = client.get("/manga/mangahere/read", params={"chapterId": chapter["id"]}).json()
            for page in pages:
                data = client.get(page["img"]).content
                checked = check_image(data, 0, MAX_PIXELS)
                out.append((data, checked.format, checked.width, checked.height))
    return out


class RssSampler(threading.Thread):
    """Peak RSS of this process's pool children, sampled every 50 ms."""

    def __init__(self, skip: set[int]) -> None:
        super().__init__(daemon=True)
        self.skip = skip
        self.peak = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(0.05):
            total = 0
            for child in psutil.Process().children(recursive=True):
                if child.pid in self.skip:
                    continue
                try:
                    total += child.memory_info().rss
                except psutil.NoSuchProcess:
                    continue
            self.peak = max(self.peak, total)


def run(
    pages: list[tuple[bytes, str, int, int]], options: PageOptions, workers: int, repeat: int
) -> tuple[float, int, int]:
    """Seconds to shape `pages` × `repeat` in a pool of `workers`; pieces and bytes out."""
    pool = PagePool(workers)

    async def shape_all() -> list[Any]:
        limit = asyncio.Semaphore(2 * workers)  # pages in flight, as a job caps them

        async def one(page: tuple[bytes, str, int, int]) -> Any:
            async with limit:
                return await pool.run(shape_page, *page, options, MAX_PIXELS)

        return await asyncio.gather(*(one(p) for p in pages * repeat))

    try:
        asyncio.run(pool.run(shape_page, *pages[0], options, MAX_PIXELS))  # start the processes
        start = time.perf_counter()
        results = asyncio.run(shape_all())
        seconds = time.perf_counter() - start
    finally:
        pool.shutdown()
    pieces = sum(len(r) for r in results) // repeat
    size = sum(len(p.data) for r in results for p in r) // repeat
    return seconds, pieces, size


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.pages", description=__doc__)
    parser.add_argument("--repeat", type=int, default=4, help="passes over the strips")
    args = parser.parse_args(argv)
    cores = pool_size()
    with Stack().start() as stack:
        pages = strips(stack.source_url)
        skip = {p.pid for p in (stack.redis, stack.source) if p is not None}
        source_bytes = sum(len(p[0]) for p in pages)
        count = len(pages) * args.repeat
        print(f"{len(pages)} strips, {source_bytes / 1e6:.1f} MB; pool of {cores} vs 1 process")
        header = "encode     split  pages/s  per core  1 proc  speed-up  pieces  size   peak RSS"
        print(header)
        for encode in ("original", "jpeg:85", "webp:80"):
            for split in (False, True):
                options = PageOptions(SPLIT if split else None, Encode.parse(encode))
                one, _, _ = run(pages, options, 1, args.repeat)
                sampler = RssSampler(skip)
                sampler.start()
                many, pieces, size = run(pages, options, cores, args.repeat)
                sampler.stopped.set()
                sampler.join()
                print(
                    f"{encode:10} {'yes' if split else 'no':5}"
                    f" {count / many:8.1f} {count / many / cores:9.1f} {count / one:7.1f}"
                    f" {one / many:8.2f}x {pieces:7d} {size / source_bytes:5.2f}"
                    f" {sampler.peak / 2**20:7.0f} MB"
                )


if __name__ == "__main__":
    main()

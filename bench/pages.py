"""`python -m bench.pages [--repeat 4] [--trials 1]`: page options on the demo webtoon's strips.

Fetches every strip of the demo webtoon (PNG and WebP, 720×2400) once, then shapes them with
each `encode` (original, jpeg:85, webp:80), with and without `split_tall`, as a job does: only
pages that need decoding go to the page pool (`needs_decode`), the others are stored as they
came. Printed: pages/s in total and per pool process, the speed-up of a pool of one process per
core over a pool of one, the archive size against the source bytes, the pool's peak RSS, and
CPU per page (the pool's processes plus the job's own process, which pickles pages in and
pieces out) for one process and for the pool. Wall-time figures need idle cores; the CPU
figures do not: equal CPU per page with one process and with the pool means the pool adds no
work, and its speed-up is then the free cores'. Each pool is warmed up (every process started
and through one page) before it is timed. With `--trials` > 1 the best wall time of each counts.
The network is left out on purpose: the figures are the image work's. Printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx
import psutil

from manhwa.images import check_image
from manhwa.pageops import Encode, PageOptions, PagePool, SplitTall
from manhwa.pageops.pool import pool_size
from manhwa.pageops.shape import needs_decode, shape_page

from .stack import Stack, cpu_seconds

SERIES = "demo_webtoon_strip"
REFERER = "https://mangahere.cc/"
MAX_PIXELS = 64_000_000
SPLIT = SplitTall(ratio=3.0, target_height=1000)  # the 2400-px strips in pieces of ~1000


Strip = tuple[bytes, str, int, int]  # body, format, width, height


def strips(source_url: str) -> list[Strip]:
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

    def __init__(self, stack: Stack) -> None:
        super().__init__(daemon=True)
        self.stack = stack
        self.peak = 0
        self.cpu = 0.0  # this thread's own CPU seconds so far: not the pool's cost
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(0.05):
            self.cpu = time.thread_time()
            total = 0
            for child in self.stack.pool_processes():
                try:
                    total += child.memory_info().rss
                except psutil.NoSuchProcess:
                    continue
            self.peak = max(self.peak, total)


@dataclass
class Run:
    seconds: float  # wall time, after the pool's warm-up
    pool_cpu: float  # CPU seconds of the pool's processes
    own_cpu: float  # CPU seconds of this process (pickling, the executor's threads, the loop)
    decoded: int  # pages that went to the pool
    pieces: int  # per pass
    size: int  # bytes out per pass


def run(
    pages: list[Strip],
    options: PageOptions,
    workers: int,
    repeat: int,
    stack: Stack,
    sampler: RssSampler | None = None,
) -> Run:
    """Shape `pages` × `repeat` as a job does, with a pool of `workers` processes."""
    todo = [p for p in pages if needs_decode(options, p[1], p[2], p[3])]
    kept = [p for p in pages if p not in todo]
    kept_size = sum(len(p[0]) for p in kept)
    if not todo:  # a plain job never starts the pool
        return Run(0.0, 0.0, 0.0, 0, len(pages), kept_size)
    pool = PagePool(workers)

    async def shape(pages: list[Strip], in_flight: int) -> list[Any]:
        limit = asyncio.Semaphore(in_flight)  # pages in flight, as a job caps them

        async def one(page: Strip) -> Any:
            async with limit:
                return await pool.run(shape_page, *page, options, MAX_PIXELS)

        return await asyncio.gather(*(one(p) for p in pages))

    try:
        # Every process started (the executor starts them on demand) and through one page.
        asyncio.run(shape(todo[:1] * 2 * workers, 2 * workers))
        sampling = sampler.cpu if sampler else 0.0
        pool_cpu, own_cpu = cpu_seconds(stack.pool_processes()), time.process_time() - sampling
        start = time.perf_counter()
        results = asyncio.run(shape(todo * repeat, 2 * workers))
        seconds = time.perf_counter() - start
        sampling = sampler.cpu if sampler else 0.0
        pool_cpu = cpu_seconds(stack.pool_processes()) - pool_cpu
        own_cpu = time.process_time() - sampling - own_cpu
    finally:
        pool.shutdown()
    pieces = sum(len(r) for r in results) // repeat + len(kept)
    size = sum(len(p.data) for r in results for p in r) // repeat + kept_size
    return Run(seconds, pool_cpu, own_cpu, len(todo) * repeat, pieces, size)


def best(
    pages: list[Strip],
    options: PageOptions,
    workers: int,
    args: argparse.Namespace,
    stack: Stack,
    sampler: RssSampler | None = None,
) -> Run:
    """The least disturbed of `--trials` runs (the machine is shared)."""
    runs = [run(pages, options, workers, args.repeat, stack, sampler) for _ in range(args.trials)]
    return min(runs, key=lambda r: r.seconds)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.pages", description=__doc__)
    parser.add_argument("--repeat", type=int, default=4, help="passes over the strips")
    parser.add_argument("--trials", type=int, default=1, help="runs of each; the best counts")
    args = parser.parse_args(argv)
    cores = pool_size()
    with Stack().start() as stack:
        pages = strips(stack.source_url)
        source_bytes = sum(len(p[0]) for p in pages)
        print(f"{len(pages)} strips, {source_bytes / 1e6:.1f} MB; pool of {cores} vs 1 process")
        print(f"load average before: {os.getloadavg()[0]:.2f}")
        print(
            "encode     split  pages/s  per core  1 proc  speed-up  pieces  size   peak RSS"
            "  CPU ms/page: 1 proc  pool (own)"
        )
        for encode in ("original", "jpeg:85", "webp:80"):
            for split in (False, True):
                options = PageOptions(SPLIT if split else None, Encode.parse(encode))
                one = best(pages, options, 1, args, stack)
                sampler = RssSampler(stack)
                sampler.start()
                many = best(pages, options, cores, args, stack, sampler)
                sampler.stopped.set()
                sampler.join()
                label = f"{encode:10} {'yes' if split else 'no':5}"
                shape = f"{many.pieces:7d} {many.size / source_bytes:5.2f}"
                if not many.decoded:
                    print(f"{label} {'stored as they came: no page goes to the pool':43} {shape}")
                    continue
                n = many.decoded

                def cpu(r: Run) -> float:
                    return 1000 * (r.pool_cpu + r.own_cpu) / r.decoded

                print(
                    f"{label} {n / many.seconds:8.1f} {n / many.seconds / cores:9.1f}"
                    f" {n / one.seconds:7.1f} {one.seconds / many.seconds:8.2f}x {shape}"
                    f" {sampler.peak / 2**20:7.0f} MB {cpu(one):14.1f} {cpu(many):6.1f}"
                    f" ({1000 * many.own_cpu / n:.1f})"
                )
        print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

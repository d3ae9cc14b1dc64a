"""`python -m bench.pagecpu [--series 4x100_300] [--profile] [--encode webp:80] [--split]`:
the worker's CPU per image, measured in-process.

Starts Redis and the demo source (as the benchmark does), then runs download jobs with
`pipeline.run_job` in this process, the code a Celery worker runs minus Celery, and counts
this process's CPU time (and the page pool's, when page options ask for it): CPU, not wall
time, so a machine shared with other work still gives comparable figures. `--profile` prints
the functions that cost most (cProfile, own time). The first job warms caches and is not counted;
the figure is the least disturbed run's (and the median's).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import resource
import statistics
import sys
import time
from collections.abc import Coroutine
from typing import Any

from redis.asyncio import Redis

from manhwa.config import Settings
from manhwa.jobs import JobSpec, JobStore
from manhwa.pageops import PageOptions, shared_pool
from manhwa.pageops.options import options_from_fields
from manhwa.pipeline import run_job
from manhwa.tasks import _loop_factory

from .stack import Stack, cpu_seconds
from .workload import PROVIDER, Series, warm_up


def _series(text: str) -> Series:
    chapters, _, rest = text.partition("x")
    pages, _, kb = rest.partition("_")
    return Series(int(chapters), int(pages), int(kb))


async def _job(settings: Settings, series: Series, pages: PageOptions, tag: str) -> str:
    redis = Redis.from_url(settings.store_url, decode_responses=True)
    try:
        spec = JobSpec(
            PROVIDER,
            tuple(series.chapter_ids()),
            title=f"cpu {tag} {time.time_ns()}",
            series_id=series.series_id,
            pages=pages,
        )
        job_id, _ = await JobStore(redis).create_or_get(spec)
        return await run_job(job_id, settings, "pagecpu", redis=redis)
    finally:
        await redis.aclose()


def _run(job: Coroutine[Any, Any, str]) -> str:
    """As the Celery task runs a job: on uvloop when installed (`tasks._loop_factory`)."""
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        return runner.run(job)


def measure(
    stack: Stack, series: Series, pages: PageOptions, *, runs: int, profile: bool
) -> dict[str, Any]:
    """CPU seconds per image of `runs` jobs over `series` (after one warm-up job)."""
    env = stack.env()
    settings = Settings(
        redis_url=env["REDIS_URL"],
        mangapi_url=env["MANGAPI_URL"],
        download_dir=stack.download_dir,
        allow_private_hosts=env["ALLOW_PRIVATE_HOSTS"],
    )
    stack.download_dir.mkdir(parents=True, exist_ok=True)
    warm_up(stack.source_url, series)
    assert _run(_job(settings, series, pages, "warm")) == "SUCCESS"
    profiler = cProfile.Profile() if profile else None
    own: list[float] = []
    pool: list[float] = []
    wall = 0.0
    for n in range(runs):
        for f in stack.download_dir.glob("*.*"):
            if f.is_file():
                f.unlink()
        start_cpu, start_pool, start = (
            time.process_time(),
            cpu_seconds(stack.pool_processes()),
            time.perf_counter(),
        )
        if profiler:
            profiler.enable()
        state = _run(_job(settings, series, pages, str(n)))
        if profiler:
            profiler.disable()
        own.append(time.process_time() - start_cpu)
        pool.append(cpu_seconds(stack.pool_processes()) - start_pool)
        wall += time.perf_counter() - start
        assert state == "SUCCESS", state
    images = series.images
    if profiler:
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(25)
    return {
        "series": series.series_id,
        "options": pages.to_json(),
        "images": images,
        "runs": runs,
        # The least disturbed run (the machine is shared), then the median.
        "worker_cpu_ms_per_image": round(1000 * min(own) / images, 3),
        "worker_cpu_ms_per_image_median": round(1000 * statistics.median(own) / images, 3),
        "pool_cpu_ms_per_image": round(1000 * min(pool) / images, 3),
        "wall_s_per_job": round(wall / runs, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.pagecpu", description=__doc__)
    parser.add_argument("--series", type=_series, default=Series(4, 100, 300))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--encode", default="original")
    parser.add_argument("--split", action="store_true")
    args = parser.parse_args(argv)
    pages = options_from_fields(args.split, args.encode)
    os.environ.pop("REDIS_URL", None)
    with Stack().start() as stack:
        stack.fresh()
        try:
            print(measure(stack, args.series, pages, runs=args.runs, profile=args.profile))
        finally:
            shared_pool().shutdown()


if __name__ == "__main__":
    main()

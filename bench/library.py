"""Scenario `library` (`python -m bench --only library`): checking hundreds of followed series.

The issue's measure: N followed series (500; `--quick` 100) on the demo source, 50 ms on every
request, checked by the real check queue in a real worker (4 pool processes, Celery beat in
it) through Redis. Every series is a copy of one small benchmark shape (`bench_3x4_20-{n}`),
followed "new chapters only" with all its chapters in the baseline, so a check finds nothing
to download and its cost is the check itself. The follows arrive the way a restore brings them
(`manhwa library import`), all due at once. The source's Consumet API is budgeted
`consumet:mangahere=3@50/s+5` (HOST_LIMITS); the pool has more processes than the budget
allows requests, so the budget, not the pool, has to hold them back.

Two rounds, each timed from the first check's start to the last check's end:

1. first checks: the series info, and the cover once per series (`cover.jpg`, Komga's poster);
2. due checks: every follow made due again; the info only.

Beat (`LIBRARY_DUE_SECONDS=1`) queues them all with `LIBRARY_SOURCE_SPACING_SECONDS=0`, the worst
bunching there can be (the default, 5 s between checks of one source, spreads 500 checks over
42 minutes). Per round: wall time, upstream requests per check (the source's own count, per
budget name), the most requests the source ever had open at once against the budget, the rate
it served, the worker's CPU per check and the peak RSS of the worker doing the checks.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from typing import Any

import httpx
from redis.asyncio import Redis

from manhwa.library.scan import EXPORT_VERSION
from manhwa.library.store import Follow, LibraryStore, follow_id

from .memory import TreeSampler
from .scenarios import _cpu_seconds
from .stack import Stack

SHAPE, CHAPTERS = "bench_3x4_20", 3
PROVIDER = "mangahere"
BUDGET = f"consumet:{PROVIDER}"
CONCURRENCY = 3
RATE = 50
HOST_RULE = f"{BUDGET}={CONCURRENCY}@{RATE}/s+5"
POOL = 4
LATENCY_MS = 50
TIMEOUT_S = 600


def _import_follows(stack: Stack, count: int) -> None:
    """`manhwa library import` of `count` follows, all due now."""
    now = time.time()
    follows = []
    for n in range(1, count + 1):
        series_id = f"{SHAPE}-{n}"
        follow = Follow(
            id=follow_id(PROVIDER, series_id),
            source=PROVIDER,
            series_id=series_id,
            mode="new",
            baseline=[f"{series_id}/c{c:03d}" for c in range(1, CHAPTERS + 1)],
            created_at=now,
            next_check=now,
        )
        follows.append(follow.model_dump())
    path = stack.root / "follows.json"
    data = {"version": EXPORT_VERSION, "follows": follows, "series": []}
    path.write_text(json.dumps(data))
    subprocess.run(
        [sys.executable, "-m", "manhwa.cli", "library", "import", str(path)],
        env=stack.env(),
        cwd=stack.root,
        check=True,
        capture_output=True,
    )


async def _follows(stack: Stack) -> list[Follow]:
    redis = Redis.from_url(stack.env()["REDIS_URL"], decode_responses=True)
    try:
        return await LibraryStore(redis).follows()
    finally:
        await redis.aclose()


async def _make_due(stack: Stack, when: float) -> None:
    redis = Redis.from_url(stack.env()["REDIS_URL"], decode_responses=True)
    try:
        lib = LibraryStore(redis)
        for follow in await lib.follows():
            await lib.postpone(follow.id, when)
    finally:
        await redis.aclose()


def _source_stats(stack: Stack, reset: bool = False) -> dict[str, Any]:
    method = "DELETE" if reset else "GET"
    response = httpx.request(method, stack.source_url + "/_control/stats", timeout=10)
    response.raise_for_status()
    data: dict[str, Any] = response.json()
    return data


def _round(stack: Stack, label: str, count: int, *, first: bool) -> dict[str, Any]:
    """Make `count` follows due (import them `first`), wait until each was checked, measure."""
    assert stack.worker is not None
    cpu = _cpu_seconds(stack.worker.pid)
    _source_stats(stack, reset=True)
    since = time.time()
    if first:
        _import_follows(stack, count)
    else:
        asyncio.run(_make_due(stack, since))
    deadline = time.monotonic() + TIMEOUT_S
    with TreeSampler(stack.worker.pid) as peak:
        while True:
            follows = asyncio.run(_follows(stack))
            checked = [f for f in follows if f.last_check is not None and f.last_check >= since]
            if len(checked) == count:
                done = time.time()
                break
            if stack.worker.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"library {label}: {len(checked)} of {count} checked: "
                    + stack.log_tail("worker.log")
                )
            time.sleep(0.2)
    wall = done - min(f.last_check for f in checked if f.last_check is not None)
    cpu = _cpu_seconds(stack.worker.pid) - cpu
    stats = _source_stats(stack)
    api = stats["hosts"].get(BUDGET, {})
    images = stats["hosts"].get("images", {})
    return {
        "checks": count,
        "seconds": round(wall, 2),
        "checks_per_s": round(count / wall, 1),
        "api_requests_per_check": round(api.get("served", 0) / count, 2),
        "image_requests_per_check": round(images.get("served", 0) / count, 2),
        "requests_per_check": round(stats["total"] / count, 2),
        "max_concurrent": api.get("max_concurrent", 0),
        "budget_concurrency": CONCURRENCY,
        "served_per_s": api.get("served_per_s"),
        "budget_rate": RATE,
        "jobs": sum(1 for f in follows if f.pending_job),
        "errors": sum(1 for f in follows if f.last_error),
        "worker_cpu_ms_per_check": round(1000 * cpu / count, 1),
        "worker_process_rss_mb": peak.process_rss_mb,
        "worker_tree_pss_mb": peak.tree_pss_mb,
    }


def library(stack: Stack, count: int) -> dict[str, Any]:
    """`count` follows checked twice, as above."""
    stack.fresh(
        {
            "HOST_LIMITS": HOST_RULE,
            "LIBRARY_DIR": str(stack.root / "library"),
            "LIBRARY_DUE_SECONDS": "1",
            "LIBRARY_SOURCE_SPACING_SECONDS": "0",
            "LIBRARY_CHECK_JITTER": "0",
        }
    )
    stack.faults(latency_ms=LATENCY_MS, api_latency_ms=LATENCY_MS)
    stack.start_worker(POOL, "library,cleanup", beat=True)
    stack.start_api()
    stack.wait_worker()
    first = _round(stack, "first checks", count, first=True)
    again = _round(stack, "due checks", count, first=False)
    stack.stop_app()
    return {
        "series": count,
        "latency_ms": LATENCY_MS,
        "host_rule": HOST_RULE,
        "pool_processes": POOL,
        "first": first,
        "due": again,
    }


def table(result: dict[str, Any]) -> str:
    """The scenario's rows, read against the issue's measure."""
    rows = [
        (
            f"library: {result['series']} followed series, {result['latency_ms']} ms",
            f"{result['pool_processes']} pool processes",
            "",
        ),
        ("  HOST_LIMITS", result["host_rule"], ""),
    ]
    for key, name in (("first", "first checks (info + cover)"), ("due", "due checks (info)")):
        r = result[key]
        rows += [
            (f"  {name}: wall time", f"{r['seconds']} s ({r['checks_per_s']} checks/s)", ""),
            (
                "    upstream requests per check (API + images)",
                f"{r['requests_per_check']} ({r['api_requests_per_check']} + "
                f"{r['image_requests_per_check']})",
                "",
            ),
            (
                f"    most open at {BUDGET} / budget",
                f"{r['max_concurrent']} / {r['budget_concurrency']}",
                "≤",
            ),
            (
                f"    served rate at {BUDGET} / budget",
                f"{r['served_per_s']} / {r['budget_rate']} per s",
                "≤ (+ burst)",
            ),
            (
                "    worker CPU per check",
                ""
                if r["worker_cpu_ms_per_check"] is None
                else f"{r['worker_cpu_ms_per_check']} ms",
                "",
            ),
            (
                "    peak worker RSS (busiest process / tree PSS)",
                f"{r['worker_process_rss_mb']} / {r['worker_tree_pss_mb']} MB",
                "",
            ),
            ("    jobs made / check errors", f"{r['jobs']} / {r['errors']}", "0 / 0"),
        ]
    width = max(len(r[0]) for r in rows)
    return "\n".join(f"{a:<{width}}  {b:<28} {c}".rstrip() for a, b, c in rows)

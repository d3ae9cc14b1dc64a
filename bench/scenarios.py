"""The five measurements (`hostlimits.py` and `library.py` hold two more). Each takes the
running Stack and Options and returns a JSON-able dict.

Figures are printed and written to `bench/results/latest.json`, never asserted: a benchmark on a
shared two-core machine is evidence to read, not a test to pass.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field, replace
from typing import Any

import psutil
import uvloop

from . import load
from .baseline import sequential_download
from .e2e import check_archive, run_jobs
from .memory import TreeSampler
from .stack import LOOPBACK, Stack, cpu_seconds
from .workload import Series, loopback_rate, network_floor, total_bytes, warm_up

MB = 1024 * 1024


@dataclass
class Options:
    series: Series = field(default_factory=lambda: Series(20, 40, 300))
    latency_ms: int = 50
    per_host: int = 8  # what the worker is told (MAX_PER_HOST), for the bound
    concurrency: int = 2  # Celery pool processes of the throughput run (as `make run`)
    memory_small: Series = field(default_factory=lambda: Series(2, 20, 500))
    memory_large: Series = field(default_factory=lambda: Series(50, 40, 500))
    clients: int = 200
    load_seconds: float = 5.0
    poll_interval: float = 1.0
    api_workers: int = 1
    scaling_jobs: int = 2
    also_per_host: int = 16  # a second throughput run with this MAX_PER_HOST (0: none)
    library_series: int = 500  # followed series the library scenario checks
    settings: dict[str, str] = field(default_factory=dict)


def _start(
    stack: Stack, opts: Options, concurrency: int, queues: str = "downloads,cleanup"
) -> None:
    stack.fresh(opts.settings)
    stack.start_worker(concurrency, queues)
    stack.start_api(opts.api_workers)
    stack.wait_worker()


def _cpu_seconds(pid: int) -> float:
    """CPU seconds of a process and its descendants (the worker and its pool, the API)."""
    root = psutil.Process(pid)
    return cpu_seconds([root, *root.children(recursive=True)])


def _budget_calls(stack: Stack) -> int:
    """Redis round trips the host budgets made so far: their scripts (EVALSHA; JobStore's
    compare-and-set writes use EVAL) and the subscriptions of jobs waiting or keeping spares."""
    from redis import Redis

    with Redis(host=LOOPBACK, port=stack.redis_port) as redis:
        stats = redis.info("commandstats")
    return sum(int(stats.get(f"cmdstat_{c}", {}).get("calls", 0)) for c in ("evalsha", "subscribe"))


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _bound(series: Series, streams: int, latency_ms: int, nbytes: int, rate: float) -> float:
    """ceil(images / concurrent streams) × latency + bytes ÷ loopback rate."""
    return math.ceil(series.images / streams) * latency_ms / 1000 + nbytes / rate


def throughput(stack: Stack, opts: Options) -> dict[str, Any]:
    """One job of C×P pages through the API, against the bound the network sets.

    Then the same with `also_per_host` streams per host, to show the lever the bound depends on.
    """
    series = opts.series
    _start(stack, opts, opts.concurrency)
    stack.faults(latency_ms=0)
    nbytes = total_bytes(series, warm_up(stack.source_url, series))
    rate = loopback_rate(stack.source_port, series, opts.per_host, min(400, series.images))
    result = _throughput_run(stack, opts, opts.per_host, nbytes, rate)
    if opts.also_per_host and opts.also_per_host != opts.per_host:
        lever = {**opts.settings, "MAX_PER_HOST": str(opts.also_per_host)}
        _start(stack, replace(opts, settings=lever), opts.concurrency)
        stack.faults(latency_ms=0)
        warm_up(stack.source_url, series)
        result["lever"] = _throughput_run(stack, opts, opts.also_per_host, nbytes, rate)
    return {**result, "_rate": rate, "_bytes": nbytes}


def _throughput_run(
    stack: Stack, opts: Options, per_host: int, nbytes: int, rate: float
) -> dict[str, Any]:
    series = opts.series
    stack.faults(latency_ms=opts.latency_ms)
    floor = network_floor(stack.source_port, series, per_host)
    assert stack.worker is not None
    cpu_before = _cpu_seconds(stack.worker.pid)
    hits_before = stack.source_hits()
    calls_before = _budget_calls(stack)
    wall, runs = run_jobs(
        stack.api_url, stack.download_dir, series, [series.chapter_ids()], f"tp {per_host}"
    )
    cpu = _cpu_seconds(stack.worker.pid) - cpu_before
    calls = _budget_calls(stack) - calls_before
    check_archive(runs[0], series.chapters)
    if runs[0].path is not None:
        runs[0].path.unlink(missing_ok=True)
    bound = _bound(series, per_host, opts.latency_ms, nbytes, rate)
    return {
        "series": series.series_id,
        "images": series.images,
        "megabytes": round(nbytes / MB, 1),
        "latency_ms": opts.latency_ms,
        "max_per_host": per_host,
        "loopback_mb_s": round(rate / MB, 1),
        "bound_latency_s": round(_bound(series, per_host, opts.latency_ms, 0, rate), 3),
        "bound_transfer_s": round(nbytes / rate, 3),
        "bound_s": round(bound, 3),
        "seconds": round(wall, 3),
        "first_page_s": _round(runs[0].first_page_s),
        "pages_done_s": _round(runs[0].pages_done_s),
        "ratio": round(bound / wall, 3),
        "floor_s": round(floor, 3),
        "floor_ratio": round(floor / wall, 3),
        "images_per_s": round(series.images / wall, 1),
        "worker_cpu_s": round(cpu, 2),
        "worker_cpu_ms_per_image": round(1000 * cpu / series.images, 2),
        "source_requests": stack.source_hits() - hits_before,
        "budget_calls_per_image": round(calls / series.images, 3),
    }


def baseline(stack: Stack, opts: Options) -> dict[str, Any]:
    """The sequential downloader on the same data and latency."""
    series = opts.series
    stack.faults(latency_ms=0)
    warm_up(stack.source_url, series)
    stack.faults(latency_ms=opts.latency_ms)
    dest = stack.root / "baseline.zip"
    seconds, nbytes = sequential_download(stack.source_url, series, dest)
    dest.unlink(missing_ok=True)
    return {
        "series": series.series_id,
        "seconds": round(seconds, 3),
        "megabytes": round(nbytes / MB, 1),
        "images_per_s": round(series.images / seconds, 1),
    }


def memory(stack: Stack, opts: Options) -> dict[str, Any]:
    """Peak memory of the worker tree while it builds a small and a large archive."""
    _start(stack, opts, 1)
    stack.faults(latency_ms=0)  # memory does not depend on latency; keep the run short
    assert stack.worker is not None
    out: dict[str, Any] = {}
    sampler = TreeSampler(stack.worker.pid)
    largest, rss, pss = sampler.sample()
    out["idle"] = {
        "process_rss_mb": round(largest, 1),
        "tree_rss_mb": round(rss, 1),
        "tree_pss_mb": round(pss, 1),
    }
    for label, series in (("small", opts.memory_small), ("large", opts.memory_large)):
        nbytes = total_bytes(series, warm_up(stack.source_url, series))
        with TreeSampler(stack.worker.pid) as peak:
            wall, runs = run_jobs(
                stack.api_url, stack.download_dir, series, [series.chapter_ids()], f"mem {label}"
            )
        check_archive(runs[0], series.chapters)
        size = runs[0].size
        if runs[0].path is not None:
            runs[0].path.unlink(missing_ok=True)  # a gigabyte we no longer need
        out[label] = {
            "series": series.series_id,
            "archive_mb": round(size / MB, 1),
            "source_mb": round(nbytes / MB, 1),
            "seconds": round(wall, 2),
            **peak.as_dict(),
        }
    return out


def api_load(stack: Stack, opts: Options) -> dict[str, Any]:
    """Status, health and enqueue under `clients` concurrent keep-alive clients.

    The worker here consumes only the cleanup queue: it answers health pings, but the jobs the
    enqueue test creates stay queued instead of flooding the demo source.
    """
    _start(stack, opts, 1, queues="cleanup")
    import httpx

    job = httpx.post(
        stack.api_url + "/api/download",
        json={"source": "mangahere", "ids": ["bench_1x1_50/c001"], "title": "load status"},
        timeout=30,
    ).json()["task_id"]
    port = stack.api_port
    seconds = opts.load_seconds

    def status(_: int) -> load.Request:
        return "GET", f"/api/download/status/{job}", {}, b""

    def health(_: int) -> load.Request:
        return "GET", "/api/health", {}, b""

    def enqueue(n: int) -> load.Request:
        title = f"load {os.getpid()}-{n}"
        body = json.dumps({"source": "mangahere", "ids": ["bench_1x1_50/c001"], "title": title})
        return "POST", "/api/download", {"Content-Type": "application/json"}, body.encode()

    assert stack.api is not None
    api_pid = stack.api.pid

    async def costed(run: Coroutine[Any, Any, load.LoadResult]) -> load.LoadResult:
        """The run, with the API's CPU and the Redis commands it cost per request: figures
        that do not depend on how busy the shared machine was."""
        cpu, calls = _cpu_seconds(api_pid), stack.redis_commands()
        result = await run
        sent = max(1, result.sent)
        result.cpu_ms_per_request = round(1000 * (_cpu_seconds(api_pid) - cpu) / sent, 2)
        result.redis_calls_per_request = round((stack.redis_commands() - calls) / sent, 2)
        return result

    async def run_all() -> list[load.LoadResult]:
        c = opts.clients
        return [
            await costed(load.closed_loop("status", port, status, clients=c, duration=seconds)),
            await load.paced(
                "status", port, status, clients=c, interval=opts.poll_interval, duration=seconds
            ),
            await costed(load.closed_loop("health", port, health, clients=c, duration=seconds)),
            await load.paced(
                "health", port, health, clients=c, interval=opts.poll_interval, duration=seconds
            ),
            await costed(
                load.closed_loop(
                    "enqueue", port, enqueue, clients=c, duration=seconds, ok_status=202
                )
            ),
        ]

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        results = runner.run(run_all())
    return {"api_workers": opts.api_workers, "results": [r.as_dict() for r in results]}


def _fleet_budget(opts: Options, host: str) -> int:
    """The fleet-wide concurrency `host` gets (HOST_LIMITS over MAX_PER_HOST for `*`)."""
    from manhwa.hostlimits_rules import HostLimits, parse_host_limits

    rules = parse_host_limits(opts.settings.get("HOST_LIMITS", ""))
    return HostLimits(rules, opts.per_host).for_host(host).concurrency


def _own_host_rules(stack: Stack, series: Series, batch: list[str]) -> list[dict[str, Any]]:
    """Demo-source rules serving `batch`'s pages from `localhost`: a second image host (its own
    budget) on the same server, as far as the worker's host budgets can tell."""
    rules: list[dict[str, Any]] = []
    for chapter_id in batch:
        chapter = int(chapter_id.rsplit("/c", 1)[1])
        urls = [
            f"http://localhost:{stack.source_port}{series.image_path(chapter, page)}"
            for page in range(1, series.pages + 1)
        ]
        rules.append({"match": chapter_id, "action": "pages", "urls": urls})
    return rules


def scaling(stack: Stack, opts: Options, rate: float | None, nbytes: int | None) -> dict[str, Any]:
    """The throughput workload as `scaling_jobs` jobs, on 1 and then 2 pool processes, twice.

    `same_host`: every job's pages on one image host, whose fleet-wide budget (HOST_LIMITS, else
    MAX_PER_HOST) caps all processes together: the bound does not move with processes and the
    speed-up to expect is ≈ 1.0×. `own_hosts`: each job's pages on a host of its own (the demo
    source answers as 127.0.0.1 and as localhost), each with its own budget: the bound is
    MAX_PER_HOST per process and the processes should scale.
    """
    series = opts.series
    jobs = max(1, opts.scaling_jobs)
    per_job = math.ceil(series.chapters / jobs)
    batches = [
        series.chapter_ids(first, min(series.chapters, first + per_job - 1))
        for first in range(1, series.chapters + 1, per_job)
    ]
    hosts = [LOOPBACK, "localhost"]
    out: dict[str, Any] = {"series": series.series_id, "jobs": len(batches)}
    for case in ("same_host", "own_hosts"):
        rules: list[dict[str, Any]] = []
        if case == "own_hosts":  # odd jobs on localhost (two hosts whatever `scaling_jobs`)
            for batch in batches[1::2]:
                rules += _own_host_rules(stack, series, batch)
        runs_out: list[dict[str, Any]] = []
        for processes in (1, 2):
            _start(stack, opts, processes)
            stack.faults(latency_ms=0)
            if nbytes is None or rate is None:
                nbytes = total_bytes(series, warm_up(stack.source_url, series))
                rate = loopback_rate(
                    stack.source_port, series, opts.per_host, min(400, series.images)
                )
            else:
                warm_up(stack.source_url, series)
            stack.faults(latency_ms=opts.latency_ms, rules=rules)
            calls = _budget_calls(stack)
            wall, runs = run_jobs(
                stack.api_url, stack.download_dir, series, batches, f"scale {case} {processes}"
            )
            calls = _budget_calls(stack) - calls
            for run, batch in zip(runs, batches, strict=True):
                check_archive(run, len(batch))
            at_once = min(processes, len(batches))
            if case == "same_host":
                streams = min(opts.per_host * at_once, _fleet_budget(opts, LOOPBACK))
            else:
                used = hosts[: min(len(hosts), len(batches))]
                streams = min(opts.per_host * at_once, sum(_fleet_budget(opts, h) for h in used))
            bound = _bound(series, streams, opts.latency_ms, nbytes, rate)
            runs_out.append(
                {
                    "processes": processes,
                    "streams": streams,
                    "seconds": round(wall, 3),
                    "bound_s": round(bound, 3),
                    "ratio": round(bound / wall, 3),
                    "images_per_s": round(series.images / wall, 1),
                    "budget_calls_per_image": round(calls / series.images, 3),
                }
            )
        runs_out[1]["speedup"] = round(runs_out[0]["seconds"] / runs_out[1]["seconds"], 2)
        out[case] = {"runs": runs_out}
    return out


def machine() -> dict[str, Any]:
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            names = [line.split(":", 1)[1] for line in cpuinfo if line.startswith("model name")]
        model = names[0].strip() if names else model
    except OSError:
        pass
    import platform

    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory_gb": round(psutil.virtual_memory().total / 1024**3, 1),
        "python": platform.python_version(),
        "load_avg_at_start": [round(x, 2) for x in os.getloadavg()],
        "time": time.strftime("%Y-%m-%d %H:%M:%S %z"),
    }

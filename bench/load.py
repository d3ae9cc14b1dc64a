"""API under load: many concurrent keep-alive clients, latency percentiles and requests/s.

Two shapes of load. *Closed loop*: every client sends its next request as soon as the last one
answered, so the server runs flat out; requests/s is its capacity and, by Little's law, latency
is about clients ÷ requests/s (queueing, not service time). *Paced*: every client sends one
request per `interval` (the web client polls a job every 1.5 s), which shows the latency a
reader sees at a realistic rate. Both use `rawhttp`, so the generator's CPU share stays small.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Coroutine
from dataclasses import asdict, dataclass
from typing import Any

from .rawhttp import Connection

Request = tuple[str, str, dict[str, str], bytes]  # method, path, headers, body
MakeRequest = Callable[[int], Request]


@dataclass
class LoadResult:
    name: str
    clients: int
    seconds: float
    requests: int
    errors: int
    rps: float
    p50_ms: float
    p99_ms: float
    max_ms: float

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class _Window:
    """Collects the requests that *started* inside the measured window."""

    def __init__(self, warmup: float, duration: float) -> None:
        now = time.perf_counter()
        self.start, self.end = now + warmup, now + warmup + duration
        self.latencies: list[float] = []
        self.errors = 0
        self.counter = 0

    def record(self, started: float, elapsed: float, ok: bool) -> None:
        if self.start <= started < self.end:
            if ok:
                self.latencies.append(elapsed)
            else:
                self.errors += 1

    def result(self, name: str, clients: int) -> LoadResult:
        duration = self.end - self.start
        done = len(self.latencies) + self.errors
        return LoadResult(
            name=name,
            clients=clients,
            seconds=round(duration, 2),
            requests=done,
            errors=self.errors,
            rps=round(done / duration, 1),
            p50_ms=round(1000 * percentile(self.latencies, 0.50), 2),
            p99_ms=round(1000 * percentile(self.latencies, 0.99), 2),
            max_ms=round(1000 * max(self.latencies, default=float("nan")), 2),
        )


async def _one(conn: Connection, request: Request, window: _Window, ok_status: int) -> None:
    method, path, headers, body = request
    started = time.perf_counter()
    try:
        status, _ = await conn.request(method, path, headers, body)
        ok = status == ok_status
    except (OSError, asyncio.IncompleteReadError, ValueError):
        ok = False
    window.record(started, time.perf_counter() - started, ok)


async def closed_loop(
    name: str,
    port: int,
    make: MakeRequest,
    *,
    clients: int,
    duration: float,
    warmup: float = 1.0,
    ok_status: int = 200,
) -> LoadResult:
    """`clients` connections, each sending back to back for warmup + duration seconds."""
    window = _Window(warmup, duration)

    async def client() -> None:
        conn = Connection(port)
        try:
            while time.perf_counter() < window.end:
                window.counter += 1
                await _one(conn, make(window.counter), window, ok_status)
        finally:
            await conn.close()

    await _run_clients(client, clients, window)
    return window.result(name, clients)


async def paced(
    name: str,
    port: int,
    make: MakeRequest,
    *,
    clients: int,
    interval: float,
    duration: float,
    warmup: float = 1.0,
    ok_status: int = 200,
) -> LoadResult:
    """`clients` connections, each sending one request every `interval` seconds (random phase)."""
    window = _Window(warmup, duration)

    async def client() -> None:
        conn = Connection(port)
        next_at = time.perf_counter() + random.uniform(0, interval)
        try:
            while next_at < window.end:
                await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
                window.counter += 1
                await _one(conn, make(window.counter), window, ok_status)
                next_at += interval
        finally:
            await conn.close()

    await _run_clients(client, clients, window)
    result = window.result(name, clients)
    result.name = f"{name} (1 per {interval:g}s each)"
    return result


async def _run_clients(
    client: Callable[[], Coroutine[Any, Any, None]],
    clients: int,
    window: _Window,
    grace: float = 10.0,
) -> None:
    tasks = [asyncio.ensure_future(client()) for _ in range(clients)]
    # Requests stuck past the window (a server that stopped answering) are abandoned.
    timeout = max(0.0, window.end - time.perf_counter()) + grace
    _, pending = await asyncio.wait(tasks, timeout=timeout)
    for task in pending:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)

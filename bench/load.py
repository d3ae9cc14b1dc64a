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
    errors: int  # a wrong status, a broken connection, or no answer within 10 s of the window
    rps: float
    p50_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    sent: int = 0  # every request sent, warm-up and grace included (what server CPU is spent on)
    cpu_ms_per_request: float | None = None  # the API's CPU over the whole run ÷ `sent`
    redis_calls_per_request: float | None = None  # Redis commands over the whole run ÷ `sent`

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class _Window:
    """Collects the requests that *started* inside the measured window."""

    def __init__(self, warmup: float, duration: float) -> None:
        now = time.perf_counter()
        self.start, self.end = now + warmup, now + warmup + duration
        self.latencies: list[float] = []
        self.errors = 0
        self.started = 0
        self.counter = 0

    def begin(self, started: float) -> None:
        if self.start <= started < self.end:
            self.started += 1

    def record(self, started: float, elapsed: float, ok: bool) -> None:
        if self.start <= started < self.end:
            if ok:
                self.latencies.append(elapsed)
            else:
                self.errors += 1

    def result(self, name: str, clients: int) -> LoadResult:
        duration = self.end - self.start
        answered = len(self.latencies)
        unanswered = max(0, self.started - answered - self.errors)

        def ms(value: float | None) -> float | None:
            return None if value is None else round(1000 * value, 2)

        return LoadResult(
            name=name,
            clients=clients,
            seconds=round(duration, 2),
            requests=self.started,
            errors=self.errors + unanswered,
            rps=round(answered / duration, 1),
            p50_ms=ms(percentile(self.latencies, 0.50)),
            p99_ms=ms(percentile(self.latencies, 0.99)),
            max_ms=ms(max(self.latencies, default=None)),
            sent=self.counter,
        )


async def _one(conn: Connection, request: Request, window: _Window, ok_status: int) -> None:
    method, path, headers, body = request
    started = time.perf_counter()
    window.begin(started)
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

"""Health: really checks Redis, the workers (Celery ping) and Consumet; 503 names what fails."""

from __future__ import annotations

import asyncio
import time
import weakref

from celery import Celery
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from redis.asyncio import Redis
from starlette.concurrency import run_in_threadpool

from ..errors import UpstreamError
from .deps import ServicesDep

router = APIRouter(prefix="/api", tags=["health"])


class Health(BaseModel):
    status: str
    redis: str
    workers: int | str
    queues: dict[str, int | None]
    consumet: str


async def _redis(services: ServicesDep) -> str:
    try:
        await asyncio.wait_for(services.redis.ping(), 2.0)
        return "ok"
    except Exception as exc:
        return f"error: {type(exc).__name__}"


async def _queues(services: ServicesDep) -> dict[str, int | None]:
    broker = services.settings.broker_url
    client = services.redis if broker == services.settings.store_url else Redis.from_url(broker)
    out: dict[str, int | None] = {}
    try:
        for name in ("downloads", "cleanup"):
            try:
                out[name] = int(await asyncio.wait_for(client.llen(name), 2.0))
            except Exception:
                out[name] = None
    finally:
        if client is not services.redis:
            await client.aclose()
    return out


class _WorkerProbe:
    """One Celery ping at a time, its answer shared.

    A ping blocks a thread for its whole timeout (1 s), and concurrent pings from many threads
    wedge kombu's connections (50 concurrent health checks left the API unable to enqueue
    anything). An answer younger than FRESH_SECONDS is reused; one younger than STALE_SECONDS is
    served at once while a single ping refreshes it in the background; an older one (or none)
    is waited for, every caller sharing the same ping.
    """

    FRESH_SECONDS = 1.0
    STALE_SECONDS = 10.0

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._at = float("-inf")
        self._answer: int | str = 0
        self._refresh: asyncio.Task[None] | None = None

    async def count(self, celery: Celery) -> int | str:
        age = time.monotonic() - self._at
        if age < self.FRESH_SECONDS:
            return self._answer
        if age < self.STALE_SECONDS:
            if self._refresh is None or self._refresh.done():
                self._refresh = asyncio.create_task(self._ping(celery))
            return self._answer
        await self._ping(celery)
        return self._answer

    async def _ping(self, celery: Celery) -> None:
        async with self._lock:
            if time.monotonic() - self._at < self.FRESH_SECONDS:
                return  # another caller just pinged
            try:
                replies = await run_in_threadpool(celery.control.ping, timeout=1.0)
                self._answer = len(replies or [])
            except Exception as exc:
                self._answer = f"error: {type(exc).__name__}"
            self._at = time.monotonic()


_probes: weakref.WeakKeyDictionary[Celery, _WorkerProbe] = weakref.WeakKeyDictionary()


async def _workers(services: ServicesDep) -> int | str:
    probe = _probes.get(services.celery)
    if probe is None:
        probe = _probes[services.celery] = _WorkerProbe()
    return await probe.count(services.celery)


async def _consumet(services: ServicesDep) -> str:
    try:
        await services.consumet.ping()
        return "ok"
    except UpstreamError as exc:
        return f"error: {exc.detail}"


@router.get("/health", responses={503: {"model": Health}})
async def health(services: ServicesDep) -> JSONResponse:
    redis, queues, workers, consumet = await asyncio.gather(
        _redis(services), _queues(services), _workers(services), _consumet(services)
    )
    if isinstance(workers, int) and workers == 0:
        workers_ok = False
    else:
        workers_ok = isinstance(workers, int)
    ok = redis == "ok" and consumet == "ok" and workers_ok
    body = Health(
        status="ok" if ok else "degraded",
        redis=redis,
        workers=workers
        if workers_ok or not isinstance(workers, int)
        else "error: no worker answered",
        queues=queues,
        consumet=consumet,
    )
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)

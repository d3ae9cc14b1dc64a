"""Health: really checks Redis, the workers (Celery ping) and Consumet; 503 names what fails."""

from __future__ import annotations

import asyncio

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


async def _workers(services: ServicesDep) -> int | str:
    try:
        replies = await run_in_threadpool(services.celery.control.ping, timeout=1.0)
    except Exception as exc:
        return f"error: {type(exc).__name__}"
    return len(replies or [])


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

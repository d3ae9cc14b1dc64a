"""Health: really checks Redis, the workers (Celery ping) and Consumet; 503 names what fails."""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from redis.asyncio import Redis
from starlette.concurrency import run_in_threadpool

from ..access.guard import access_of, principal_of
from ..errors import UpstreamError
from .deps import ServicesDep

router = APIRouter(prefix="/api", tags=["health"])


NO_WORKER = "no worker is running: downloads will wait"


class WorkerStatus(BaseModel):
    """The download workers, one shape whatever happened (the client explains it to people)."""

    count: int = Field(description="workers that answered a ping")
    state: Literal["ok", "none", "error"] = Field(
        description="ok: at least one answered; none: no worker runs; error: could not ask"
    )
    message: str = Field(description="what it means, in words the UI shows as is")


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    redis: str
    workers: int = Field(description="workers that answered (0 when none or on error)")
    worker_status: WorkerStatus
    queues: dict[str, int | None]
    consumet: str
    warnings: list[str] = []  # e.g. AUTH_MODE=none reachable from other machines


def _for_anonymous(body: Health) -> Health:
    """What a caller without a login learns (compose's health check, the login page): the
    verdict and the worker count, not upstream addresses in error texts or queue lengths."""
    short = {"redis": body.redis, "consumet": body.consumet}
    return body.model_copy(
        update={
            **{k: "ok" if v == "ok" else "error" for k, v in short.items()},
            "worker_status": body.worker_status.model_copy(
                update={"message": "could not ask the workers"}
            )
            if body.worker_status.state == "error"
            else body.worker_status,
            "queues": {},
        }
    )


def worker_status(answer: int | str) -> WorkerStatus:
    """The ping's answer (a count, or an `error: …` text) as the typed shape."""
    if isinstance(answer, str):
        reason = answer.removeprefix("error: ")
        return WorkerStatus(count=0, state="error", message=f"could not ask the workers ({reason})")
    if answer == 0:
        return WorkerStatus(count=0, state="none", message=NO_WORKER)
    plural = "worker is" if answer == 1 else "workers are"
    return WorkerStatus(count=answer, state="ok", message=f"{answer} {plural} running")


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


class _SharedAnswer:
    """One probe at a time, its answer shared between concurrent health checks.

    The worker probe is a Celery ping that blocks a thread for its whole timeout (1 s), and
    concurrent pings from many threads wedge kombu's connections (50 concurrent health checks
    left the API unable to enqueue anything); the Consumet probe is a request upstream, which
    health checks should not multiply. An answer younger than FRESH_SECONDS is reused; one
    younger than STALE_SECONDS is served at once while one probe refreshes it in the
    background; an older one (or none) is waited for, every caller sharing the same probe.
    """

    FRESH_SECONDS = 1.0
    STALE_SECONDS = 10.0

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._at = float("-inf")
        self._answer: int | str = 0
        self._refresh: asyncio.Task[None] | None = None

    async def get(self, probe: Callable[[], Awaitable[int | str]]) -> int | str:
        age = time.monotonic() - self._at
        if age < self.FRESH_SECONDS:
            return self._answer
        if age < self.STALE_SECONDS:
            if self._refresh is None or self._refresh.done():
                self._refresh = asyncio.create_task(self._probe(probe))
            return self._answer
        await self._probe(probe)
        return self._answer

    async def _probe(self, probe: Callable[[], Awaitable[int | str]]) -> None:
        async with self._lock:
            if time.monotonic() - self._at < self.FRESH_SECONDS:
                return  # another caller just probed
            self._answer = await probe()
            self._at = time.monotonic()


_answers: weakref.WeakKeyDictionary[object, _SharedAnswer] = weakref.WeakKeyDictionary()


def _shared(target: object) -> _SharedAnswer:
    answer = _answers.get(target)
    if answer is None:
        answer = _answers[target] = _SharedAnswer()
    return answer


async def _workers(services: ServicesDep) -> int | str:
    async def ping() -> int | str:
        try:
            replies = await run_in_threadpool(services.celery.control.ping, timeout=1.0)
        except Exception as exc:
            return f"error: {type(exc).__name__}"
        return len(replies or [])

    return await _shared(services.celery).get(ping)


async def _consumet(services: ServicesDep) -> str:
    async def ping() -> str:
        try:
            await services.consumet.ping()
            return "ok"
        except UpstreamError as exc:
            return f"error: {exc.detail}"

    return str(await _shared(services.consumet).get(ping))


@router.get("/health", response_model=Health, responses={503: {"model": Health}})
async def health(services: ServicesDep, request: Request) -> JSONResponse:
    redis, queues, workers, consumet = await asyncio.gather(
        _redis(services), _queues(services), _workers(services), _consumet(services)
    )
    workers_now = worker_status(workers)
    ok = redis == "ok" and consumet == "ok" and workers_now.state == "ok"
    body = Health(
        status="ok" if ok else "degraded",
        redis=redis,
        workers=workers_now.count,
        worker_status=workers_now,
        queues=queues,
        consumet=consumet,
        warnings=access_of(request).warnings,
    )
    if principal_of(request) is None:
        body = _for_anonymous(body)
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)

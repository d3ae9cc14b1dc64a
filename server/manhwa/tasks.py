"""The Celery tasks: thin wrappers that unpack a job id and call the pipeline or cleanup.

The app is built from the process's settings when this module is imported, which only a
worker (or a tool talking to workers) does; the API builds its own app in `main.create_app`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from celery import Task
from celery.exceptions import SoftTimeLimitExceeded
from redis.asyncio import Redis

from . import cleanup, pipeline
from .celery_app import (
    CHECK_DUE,
    CHECK_SERIES,
    DELETE_FILE,
    DOWNLOADS,
    FETCH_CHAPTERS,
    SWEEP,
    enqueue_download,
    make_celery,
)
from .config import get_settings
from .jobs import ACTIVE, FAILURE, JobStore
from .library import checks
from .library.writer import settle_finished
from .storage import DownloadFolder

log = logging.getLogger(__name__)
_T = TypeVar("_T")
settings = get_settings()
app = make_celery(settings)


@app.task(name=FETCH_CHAPTERS, bind=True)
def fetch_chapters(self: Task[..., str], job_id: str) -> str:
    """Download one job. Idempotent: a duplicate delivery sees the live owner's lease.

    No `gate` is passed: the runner requests through the job's own `hostlimits.FleetGate`
    (it needs the job's Redis client, id and progress reporter, which exist only inside)."""
    owner = f"{socket.gethostname()}:{os.getpid()}:{self.request.id}"
    try:
        with asyncio.Runner(loop_factory=_loop_factory()) as runner:
            state = runner.run(pipeline.run_job(job_id, settings, owner))
    except SoftTimeLimitExceeded:
        asyncio.run(_time_out(job_id))
        state = "FAILURE"
    # A library job's follow, messages and media-server scans, once the job has ended.
    asyncio.run(settle_finished(settings, job_id))
    return state


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop when installed (uvicorn[standard] brings it): a download's event loop does a
    few syscalls per page, and uvloop's cost less CPU than asyncio's selector loop."""
    try:
        import uvloop
    except ImportError:  # Windows, or a minimal install: the standard loop
        return None
    return uvloop.new_event_loop


async def _time_out(job_id: str) -> None:
    redis = Redis.from_url(settings.store_url, decode_responses=True)
    try:
        await JobStore(redis).transition(
            job_id, ACTIVE, state=FAILURE, status_text="Failed: time limit", error="time limit"
        )
    finally:
        await redis.aclose()
    DownloadFolder.from_settings(settings).remove_outputs(job_id)


@app.task(name=DELETE_FILE)
def delete_file(job_id: str) -> str:
    """Delete a served file after its grace period; retried by the sweep if still in flight."""
    return asyncio.run(cleanup.delete_file(settings, job_id))


@app.task(name=SWEEP)
def sweep() -> dict[str, int]:
    report = asyncio.run(cleanup.sweep(settings, requeue=_requeue, queued=queued_downloads))
    return {
        "expired": report.expired,
        "orphans": report.orphans,
        "requeued": report.requeued,
        "failed": report.failed,
    }


def _requeue(job_id: str) -> str:
    return enqueue_download(app, job_id)


def queued_downloads() -> int:
    """Messages waiting in the downloads queue (not those workers have taken); -1 if unknown."""
    try:
        with app.connection_for_read() as conn:
            # Declared as the workers declare it (a no-op then): a passive declare of an empty
            # Redis queue says NOT_FOUND, its list being gone.
            queue: Any = app.amqp.queues[DOWNLOADS].bind(conn.default_channel)
            return int(queue.queue_declare().message_count)
    except Exception as exc:  # the broker is away or the queue not declared yet: wait
        log.warning("cannot count the downloads queue: %s", exc)
        return -1


@app.task(name=CHECK_DUE)
def library_check_due() -> int:
    """Beat: queue a check for every followed series that is due."""
    return asyncio.run(_with_redis(lambda redis: checks.check_due(settings, redis, app)))


@app.task(name=CHECK_SERIES)
def library_check_series(follow_id: str, force: bool = False) -> str:
    """Check one followed series; at most one job per series comes of it."""

    async def run(redis: Redis) -> str:
        result = await checks.check_series(settings, redis, app, follow_id, force=force)
        return result.outcome

    return asyncio.run(_with_redis(run))


async def _with_redis(call: Callable[[Redis], Awaitable[_T]]) -> _T:
    redis = Redis.from_url(settings.store_url, decode_responses=True)
    try:
        return await call(redis)
    finally:
        await redis.aclose()

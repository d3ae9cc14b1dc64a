"""Celery app, queues and the thin tasks that call the pipeline and cleanup code.

Run: `celery -A manhwa.worker worker -Q downloads,cleanup` (or `manhwa worker`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from typing import Any

from celery import Celery, Task
from celery.exceptions import SoftTimeLimitExceeded
from kombu import Exchange, Queue

from . import cleanup, pipeline
from .config import Settings, get_settings

log = logging.getLogger(__name__)


def make_celery(settings: Settings) -> Celery:
    app = Celery("manhwa")
    app.conf.update(
        broker_url=settings.broker_url,
        result_backend=settings.celery_result_backend or settings.broker_url,
        task_ignore_result=True,
        # JSON only, everywhere: a pickle on the broker would run code in every worker.
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_accept_content=["json"],
        event_serializer="json",
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_soft_time_limit=settings.task_soft_time_limit,
        task_time_limit=settings.task_time_limit,
        broker_transport_options={"visibility_timeout": settings.visibility_timeout},
        result_backend_transport_options={"visibility_timeout": settings.visibility_timeout},
        # Each queue its own exchange and key: with a shared default exchange a cleanup task
        # would also be routed into `downloads` (and the other way round).
        task_queues=(
            Queue("downloads", Exchange("downloads", type="direct"), routing_key="downloads"),
            Queue("cleanup", Exchange("cleanup", type="direct"), routing_key="cleanup"),
        ),
        task_routes={
            "downloads.*": {"queue": "downloads", "routing_key": "downloads"},
            "cleanup.*": {"queue": "cleanup", "routing_key": "cleanup"},
        },
        task_default_queue="downloads",
        task_create_missing_queues=False,
        broker_connection_retry_on_startup=True,
        worker_send_task_events=True,
        task_send_sent_event=True,
        beat_schedule={
            "sweep": {"task": "cleanup.sweep", "schedule": float(settings.sweep_interval_seconds)}
        },
        # In memory: the default scheduler keeps its state in a shelve (pickle) file, which in
        # the download folder (often shared with Komga/Kavita) anyone who can write there could
        # turn into code run by the worker. One fixed interval needs no persistence.
        beat_scheduler="celery.beat:Scheduler",
    )
    return app


settings = get_settings()
app = make_celery(settings)


@app.task(name="downloads.fetch_chapters", bind=True)
def fetch_chapters(self: Task[..., str], job_id: str) -> str:
    """Download one job. Idempotent: a duplicate delivery sees the live owner's lease."""
    owner = f"{socket.gethostname()}:{os.getpid()}:{self.request.id}"
    try:
        return asyncio.run(pipeline.run_job(job_id, settings, owner))
    except SoftTimeLimitExceeded:
        asyncio.run(_time_out(job_id))
        return "FAILURE"


async def _time_out(job_id: str) -> None:
    from redis.asyncio import Redis

    from .jobs import ACTIVE, FAILURE, JobStore

    redis = Redis.from_url(settings.store_url, decode_responses=True)
    try:
        await JobStore(redis).transition(
            job_id, ACTIVE, state=FAILURE, status_text="Failed: time limit", error="time limit"
        )
    finally:
        await redis.aclose()
    pipeline._remove_outputs(settings, job_id)


@app.task(name="cleanup.delete_file")
def delete_file(job_id: str) -> str:
    """Delete a served file after its grace period; retried by the sweep if still in flight."""
    return asyncio.run(cleanup.delete_file(settings, job_id))


@app.task(name="cleanup.sweep")
def sweep() -> dict[str, int]:
    report = asyncio.run(cleanup.sweep(settings, requeue=enqueue_download, queued=queued_downloads))
    return {
        "expired": report.expired,
        "orphans": report.orphans,
        "requeued": report.requeued,
        "failed": report.failed,
    }


def queued_downloads() -> int:
    """Messages waiting in the downloads queue (not those workers have taken); -1 if unknown."""
    try:
        with app.connection_for_read() as conn:
            # Declared as the workers declare it (a no-op then): a passive declare of an empty
            # Redis queue says NOT_FOUND, its list being gone.
            queue: Any = app.amqp.queues["downloads"].bind(conn.default_channel)
            return int(queue.queue_declare().message_count)
    except Exception as exc:  # the broker is away or the queue not declared yet: wait
        log.warning("cannot count the downloads queue: %s", exc)
        return -1


def enqueue_download(job_id: str) -> str:
    """Queue a job's task; returns the Celery task id."""
    result = fetch_chapters.apply_async(args=(job_id,), queue="downloads")
    return str(result.id)

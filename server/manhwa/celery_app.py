"""The Celery app and its configuration, queue and task names, and the one way to enqueue.

Building the app reads settings but imports no task: the API builds one to send tasks by name,
the worker process imports `manhwa.tasks` (through `manhwa.worker`) to run them.
"""

from __future__ import annotations

from typing import Final

from celery import Celery
from kombu import Exchange, Queue

from .config import Settings

DOWNLOADS: Final = "downloads"
CLEANUP: Final = "cleanup"
LIBRARY: Final = "library"
QUEUES: Final = (DOWNLOADS, CLEANUP, LIBRARY)
FETCH_CHAPTERS: Final = "downloads.fetch_chapters"
DELETE_FILE: Final = "cleanup.delete_file"
SWEEP: Final = "cleanup.sweep"
CHECK_DUE: Final = "library.check_due"
CHECK_SERIES: Final = "library.check_series"


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
        task_queues=tuple(
            Queue(name, Exchange(name, type="direct"), routing_key=name) for name in QUEUES
        ),
        task_routes={f"{name}.*": {"queue": name, "routing_key": name} for name in QUEUES},
        task_default_queue=DOWNLOADS,
        task_create_missing_queues=False,
        broker_connection_retry_on_startup=True,
        worker_send_task_events=True,
        task_send_sent_event=True,
        beat_schedule={
            "sweep": {"task": SWEEP, "schedule": float(settings.sweep_interval_seconds)},
            # Followed series whose next check is due are checked on the `library` queue.
            "library-checks": {"task": CHECK_DUE, "schedule": settings.library_due_seconds},
        },
        # In memory: the default scheduler keeps its state in a shelve (pickle) file, which in
        # the download folder (often shared with Komga/Kavita) anyone who can write there could
        # turn into code run by the worker. One fixed interval needs no persistence.
        beat_scheduler="celery.beat:Scheduler",
    )
    return app


def enqueue_download(app: Celery, job_id: str) -> str:
    """Queue a job's download task; returns the Celery task id. Blocking (broker I/O)."""
    return str(app.send_task(FETCH_CHAPTERS, args=[job_id], queue=DOWNLOADS).id)


def schedule_delete(app: Celery, job_id: str, countdown: float) -> None:
    """Ask cleanup to delete a served file `countdown` seconds from now. Blocking."""
    app.send_task(DELETE_FILE, args=[job_id], queue=CLEANUP, countdown=countdown)


def enqueue_check(app: Celery, follow_id: str, force: bool = False, countdown: float = 0) -> None:
    """Queue a check of one followed series on the `library` queue. Blocking."""
    app.send_task(CHECK_SERIES, args=[follow_id, force], queue=LIBRARY, countdown=countdown or None)

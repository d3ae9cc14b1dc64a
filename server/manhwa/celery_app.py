"""The Celery app and its configuration, queue and task names, and the one way to enqueue.

Building the app reads settings but imports no task: the API builds one to send tasks by name,
the worker process imports `manhwa.tasks` (through `manhwa.worker`) to run them.

A download job's message is built by Celery's own `send_task` either way. The API, when the
broker is the job store's Redis, takes it as Redis commands (`DownloadMessages`) and runs them
with the job's record in one atomic step (`JobStore.create_or_get_job`); everything else (the
sweep's re-enqueue, library checks, a broker elsewhere) sends it at once (`enqueue_download`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, cast

from celery import Celery
from kombu import Exchange, Queue
from kombu.transport import redis as kombu_redis

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
    """Queue a job's download task; returns the Celery task id. Blocking (broker I/O).

    `ignore_result`: the task stores none (`task_ignore_result`), and without it the sender's
    result backend subscribes to every sent task's result channel, for good."""
    sent = app.send_task(FETCH_CHAPTERS, args=[job_id], queue=DOWNLOADS, ignore_result=True)
    return str(sent.id)


RedisCommand = tuple[str, tuple[Any, ...]]


@dataclass(frozen=True)
class QueuedMessage:
    """A download task's message as the broker's Redis commands: the LPUSH onto its (priority)
    queue and the PUBLISH of its `task-sent` event, for the caller to run."""

    task_id: str
    commands: tuple[RedisCommand, ...]


class _RecordingChannel(kombu_redis.Channel):
    """kombu's Redis channel, routing and encoding as always, that keeps each publish's final
    commands (kombu's publish-batch hook) instead of sending them."""

    recorded: list[RedisCommand]

    def basic_publish(self, message: Any, exchange: str, routing_key: str, **kwargs: Any) -> Any:
        kwargs["_publish_batch"] = self
        return super().basic_publish(message, exchange, routing_key, **kwargs)

    def add(self, name: str, *args: Any) -> None:
        self.recorded.append((name, args))


class _RecordingTransport(kombu_redis.Transport):
    Channel = _RecordingChannel


class DownloadMessages:
    """Download task messages made by Celery's `send_task` itself (routing, priority queue,
    headers, `task-sent` event: what workers and Flower read stays Celery's), recorded instead
    of sent. Costs no I/O per message: the API pushes them through its async Redis client
    with the job's record, with no thread hop and no extra round trip."""

    def __init__(self, app: Celery) -> None:
        """Blocking, once: kombu's channel pings the broker, and the warm-up message declares
        the queue (its binding) as `send_task` does on a connection's first message."""
        self._app = app
        self._connection = app.connection_for_write(transport=_RecordingTransport)
        self._channel = cast(_RecordingChannel, self._connection.default_channel)
        self._producer = app.amqp.Producer(self._channel, auto_declare=False)
        self._options: dict[str, Any] = {}
        self.build("warm-up")
        self._options = {"declare": [], "retry": False}

    @staticmethod
    def usable(settings: Settings) -> bool:
        """Only when the broker is the job store's Redis can one step push both."""
        return settings.broker_url == settings.store_url and settings.broker_url.startswith(
            ("redis://", "rediss://")
        )

    def build(self, job_id: str) -> QueuedMessage:
        """The message `enqueue_download(app, job_id)` would send. Not thread-safe (the API's
        event loop is its one caller)."""
        self._channel.recorded = []
        result = self._app.send_task(
            FETCH_CHAPTERS,
            args=[job_id],
            queue=DOWNLOADS,
            producer=self._producer,
            ignore_result=True,
            **self._options,
        )
        return QueuedMessage(str(result.id), tuple(self._channel.recorded))

    def close(self) -> None:
        self._connection.release()


def schedule_delete(app: Celery, job_id: str, countdown: float) -> None:
    """Ask cleanup to delete a served file `countdown` seconds from now. Blocking."""
    app.send_task(DELETE_FILE, args=[job_id], queue=CLEANUP, countdown=countdown)


def enqueue_check(app: Celery, follow_id: str, force: bool = False, countdown: float = 0) -> None:
    """Queue a check of one followed series on the `library` queue. Blocking."""
    app.send_task(CHECK_SERIES, args=[follow_id, force], queue=LIBRARY, countdown=countdown or None)

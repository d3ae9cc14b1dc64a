"""What a user can do with download jobs, apart from HTTP: ask for one (equal requests share a
job), look one up, cancel it, retry its failed chapters, fetch its file, and tell that its file
was served (cleanup then deletes it after the grace period).

Routers call these and shape the answer; the state changes go through `JobStore`, the files
through `storage`, the queue through `celery_app`.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass
from pathlib import Path

from celery import Celery
from redis.exceptions import ResponseError

from .celery_app import DownloadMessages, enqueue_download, schedule_delete
from .cleanup import expire
from .errors import Conflict, Gone, NotFound
from .jobs import ACTIVE, CANCELLED, EXPIRED, FAILURE, SUCCESS, JobSpec, JobStatus, JobStore
from .storage import DownloadFolder

_JOB_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


async def queue_download(
    store: JobStore,
    celery: Celery,
    spec: JobSpec,
    folder: DownloadFolder | None = None,
    messages: DownloadMessages | None = None,
) -> tuple[JobStatus, bool]:
    """The one way a download job is queued (the API's requests and the library's checks): a
    new job, or the equal one still queued, running or with its file in `folder`; the flag says
    whether it is new. Conflict when it could not be queued.

    With `messages` (the broker is the store's Redis) the record and the Celery message are
    written in one atomic round trip. Otherwise the record comes first and the message is
    sent from a thread; if that fails the job fails, and were the process to die in between,
    the sweep re-sends a PENDING job whose message is nowhere (`cleanup.sweep`).
    """
    if messages is not None:
        try:
            return await store.create_or_get_job(spec, folder, messages.build)
        except ResponseError as exc:  # Redis refused the message; the script wrote nothing
            raise Conflict(f"could not queue the job: {type(exc).__name__}") from exc
    job, created = await store.create_or_get_job(spec, folder)
    if created:
        job_id = job.task_id
        try:
            task_id = await asyncio.to_thread(enqueue_download, celery, job_id)
        except Exception as exc:
            await store.transition(
                job_id, ACTIVE, state=FAILURE, error="could not queue", status_text="Failed"
            )
            raise Conflict(f"could not queue the job: {type(exc).__name__}") from exc
        await store.update(job_id, celery_task_id=task_id)
        job.celery_task_id = task_id
    return job, created


@dataclass
class DownloadJobs:
    store: JobStore
    celery: Celery
    folder: DownloadFolder
    cleanup_grace_seconds: int
    messages: DownloadMessages | None = None  # see `enqueue`

    async def get(self, job_id: str) -> JobStatus:
        """The job, or NotFound (also for ids that cannot be ours, without asking Redis)."""
        if not _JOB_ID.match(job_id):
            raise NotFound("unknown task id")
        job = await self.store.get(job_id)
        if job is None:
            raise NotFound("unknown task id")
        return job

    async def enqueue(self, spec: JobSpec) -> tuple[JobStatus, bool]:
        """A new queued job, or the equal one still queued, running or with its file on disk;
        the flag says whether it is new (see `queue_download`)."""
        return await queue_download(self.store, self.celery, spec, self.folder, self.messages)

    async def retry(self, job_id: str) -> tuple[JobStatus, bool]:
        """A new job for the failed chapters only (all of them for a cancelled job)."""
        job = await self.get(job_id)
        if job.state in ACTIVE:
            raise Conflict("the job is still running")
        ids = tuple(f.chapter_id for f in job.failed)
        if job.state == CANCELLED:
            ids = tuple(job.chapter_ids)
        if not ids:
            raise Conflict("no failed chapters to retry")
        spec = JobSpec(
            source=job.source,
            ids=ids,
            format=job.format,
            layout=job.layout,
            title=job.title,
            series_id=job.series_id,
            destination=job.destination,  # a library job's retry writes into the library too
            pages=job.page_options(),
        )
        return await self.enqueue(spec)

    async def cancel(self, job_id: str) -> JobStatus:
        """Cancel a queued or running job (its worker deletes the partial output); delete a
        finished job's file unless it is being downloaded right now."""
        job = await self.get(job_id)
        store = self.store
        if job.state in ACTIVE:
            cancelled = await store.transition(
                job_id, ACTIVE, state=CANCELLED, status_text="Cancelled", finished_at=time.time()
            )
            if cancelled and job.celery_task_id:
                await asyncio.to_thread(self.celery.control.revoke, job.celery_task_id)
        elif job.state == SUCCESS:
            outcome = await expire(
                store, self.folder, job_id, due_only=False, status_text="Deleted"
            )
            if outcome == "in flight":
                raise Conflict("the file is being downloaded right now; try again when it ends")
        return await self.get(job_id)

    async def file(self, job_id: str) -> tuple[JobStatus, Path]:
        """The finished job and its archive's path, or why there is none (409/410)."""
        job = await self.get(job_id)
        if job.destination == "library":  # no archive: never "missing", never expired
            raise Conflict("this job's chapters went to the library (GET /api/library)")
        if job.state == EXPIRED:
            raise Gone("the file has expired and was deleted; request the chapters again")
        if job.state == CANCELLED:
            raise Gone("the job was cancelled")
        if job.state != SUCCESS:
            if job.state in ACTIVE:
                raise Conflict(f"not ready yet: {job.status}")
            raise Conflict(f"the job failed: {job.error or job.status}")
        raw = await self.store.get_raw(job_id)
        return job, Path((raw or {}).get("file_path", ""))

    async def file_missing(self, job_id: str) -> Gone:
        """The archive is gone from disk (deleted under us): the job expires. Returns the 410
        to raise."""
        await self.store.transition(job_id, {SUCCESS}, state=EXPIRED, status_text="Expired")
        return Gone("the file is no longer on disk")

    async def served(self, job_id: str) -> None:
        """A complete transfer: the file goes CLEANUP_GRACE_SECONDS later (a resume may follow)."""
        grace = self.cleanup_grace_seconds
        due = time.time() + grace
        raw = await self.store.get_raw(job_id)
        current = float((raw or {}).get("expires_at") or due)
        if due < current:
            await self.store.transition(job_id, {SUCCESS}, expires_at=due)
        await asyncio.to_thread(schedule_delete, self.celery, job_id, grace)

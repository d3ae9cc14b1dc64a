"""When a job's archive is deleted, and the periodic sweep.

Every deletion of a finished archive is decided here: `expire` (after a served download's grace
period, at `FILE_TTL_SECONDS`, or at once on the user's DELETE), never while a transfer is in
flight, and `purge` (the operator's `manhwa purge`). A library job has no archive: its chapters
were copied into `LIBRARY_DIR`, which nothing here touches, so it never expires. The sweep also
drops orphan temp files and re-enqueues jobs whose worker died (the lease watchdog) or whose
queued message was lost with a worker or a Redis crash. The files themselves are `storage`'s;
the records `JobStore`'s.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from redis.asyncio import Redis

from . import attempts
from .config import Settings
from .jobs import ACTIVE, CANCELLED, EXPIRED, PENDING, PROGRESS, SUCCESS, JobStore
from .storage import DownloadFolder

log = logging.getLogger(__name__)
Expiry = Literal["deleted", "not yet", "in flight", "nothing to delete", "changed meanwhile"]


@dataclass
class SweepReport:
    expired: int = 0
    orphans: int = 0
    requeued: int = 0
    failed: int = 0  # jobs ended after MAX_JOB_ATTEMPTS deaths


async def delete_file(settings: Settings, job_id: str) -> str:
    """Delete a job's file once its time has come and no transfer is in flight."""
    redis = Redis.from_url(settings.store_url, decode_responses=True)
    try:
        store = JobStore(redis)
        return await expire(store, DownloadFolder.from_settings(settings), job_id)
    finally:
        await redis.aclose()


async def expire(
    store: JobStore,
    folder: DownloadFolder,
    job_id: str,
    *,
    due_only: bool = True,
    status_text: str = "Expired: file deleted",
) -> Expiry:
    """Delete a finished job's archive and mark it EXPIRED: once it is due (`due_only`) or at
    once, and never while a transfer of it is in flight."""
    raw = await store.get_raw(job_id)
    if raw is None or raw["state"] != SUCCESS or raw.get("destination") == "library":
        return "nothing to delete"
    expires_at = float(raw.get("expires_at") or 0)
    if due_only and expires_at > time.time():
        return "not yet"
    if await store.serving_count(job_id) > 0:
        return "in flight"  # a transfer is open: the next sweep tries again
    if not await store.transition(
        job_id,
        {SUCCESS},
        state=EXPIRED,
        status_text=status_text,
        expires_at=time.time(),
    ):
        return "changed meanwhile"
    folder.delete_archive(raw.get("file_path"))
    return "deleted"


async def sweep(
    settings: Settings,
    requeue: Callable[[str], object],
    now: float | None = None,
    queued: Callable[[], int] | None = None,
) -> SweepReport:
    """One pass: expire due files, drop orphan temp files, re-enqueue jobs with a dead owner.

    `queued` counts the messages waiting in the downloads queue: when none is waiting, a job
    still PENDING long after it was queued had its message taken by a worker that died before
    starting it (or lost in a Redis crash), and is queued again. A duplicate message is harmless:
    the lease lets one run, the others stand down.
    """
    now = now or time.time()
    report = SweepReport()
    redis = Redis.from_url(settings.store_url, decode_responses=True)
    try:
        store = JobStore(redis)
        folder = DownloadFolder.from_settings(settings)
        live_work: set[str] = set()
        waiting: int | None = None
        known = set(await store.all_ids())
        for job_id in known:
            raw = await store.get_raw(job_id)
            if raw is None:
                await store.delete(job_id)
                continue
            state = raw["state"]
            if (
                state == SUCCESS
                and raw.get("destination") != "library"
                and float(raw.get("expires_at") or 0) <= now
            ):
                if await expire(store, folder, job_id) == "deleted":
                    report.expired += 1
            elif state in ACTIVE:
                live_work.add(job_id)
                if state == PROGRESS and await store.lease_owner(job_id) is None:
                    # The owner died (its lease lapsed): hand the job to another worker. Back to
                    # PENDING first, so a requeued job waiting in a busy queue is sent only once.
                    died = attempts.worker_died(int(raw.get("attempts") or 0))
                    if await attempts.give_up(store, settings, job_id, died):
                        report.failed += 1
                    elif await store.transition(
                        job_id,
                        {PROGRESS},
                        state=PENDING,
                        status_text="Requeued after a worker loss",
                    ):
                        log.warning("job %s lost its worker; re-enqueueing", job_id)
                        await store.update(job_id, celery_task_id=str(requeue(job_id)))
                        report.requeued += 1
                elif (
                    state == PENDING
                    and queued is not None
                    and float(raw.get("updated_at") or now) < now - 2 * settings.lease_seconds
                ):
                    if waiting is None:
                        waiting = queued()
                    if waiting == 0:
                        log.warning("job %s lost its queued message; re-enqueueing", job_id)
                        await store.update(job_id, celery_task_id=str(requeue(job_id)))
                        report.requeued += 1
            if float(raw.get("created_at") or now) < now - 30 * 24 * 3600 and state not in ACTIVE:
                await store.delete(job_id)
        # The lease length of grace covers a job created between listing the jobs and now.
        report.orphans = DownloadFolder.from_settings(settings).sweep_orphans(
            known, live_work, now, settled=now - settings.lease_seconds
        )
    finally:
        await redis.aclose()
    return report


async def purge(settings: Settings, *, everything: bool) -> int:
    """Delete finished jobs, their records and files (`everything`: running ones too, after
    their workers stood down, and every work folder). Returns how many jobs went."""
    folder = DownloadFolder.from_settings(settings)
    redis = Redis.from_url(settings.store_url, decode_responses=True)
    removed = 0
    try:
        store = JobStore(redis)
        if everything:
            # Cancel running jobs and wait for their workers to stand down (lease released):
            # a record deleted under a live worker would be half re-created by its next update.
            ids = await store.all_ids()
            for job_id in ids:
                await store.transition(job_id, ACTIVE, state=CANCELLED, status_text="Purged")
            deadline = time.monotonic() + 2 * settings.lease_seconds
            leased = set(ids)
            while leased and time.monotonic() < deadline:  # a lease is a key, not an event
                leased = {job_id for job_id in leased if await store.lease_owner(job_id)}
                await asyncio.sleep(0.2 if leased else 0)
        for job_id in await store.all_ids():
            raw = await store.get_raw(job_id)
            if raw and raw["state"] in ACTIVE and not everything:
                continue
            folder.delete_archive((raw or {}).get("file_path"))
            await store.delete(job_id)
            removed += 1
    finally:
        await redis.aclose()
    if everything:
        folder.remove_all_work()
    return removed

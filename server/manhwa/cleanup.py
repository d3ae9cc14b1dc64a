"""File lifetime: delete after a served download's grace period, sweep expired files and
orphan temp files, and re-enqueue jobs whose worker died (the lease watchdog) or whose queued
message was lost with a worker or a Redis crash."""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from redis.asyncio import Redis

from . import attempts
from .config import Settings
from .jobs import ACTIVE, EXPIRED, PENDING, PROGRESS, SUCCESS, JobStore

log = logging.getLogger(__name__)
ORPHAN_AGE_SECONDS = 3600


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
        return await _expire(store, job_id, force=False)
    finally:
        await redis.aclose()


async def _expire(store: JobStore, job_id: str, *, force: bool) -> str:
    raw = await store.get_raw(job_id)
    if raw is None or raw["state"] != SUCCESS:
        return "nothing to delete"
    expires_at = float(raw.get("expires_at") or 0)
    if not force and expires_at > time.time():
        return "not yet"
    if await store.serving_count(job_id) > 0:
        return "in flight"  # a transfer is open: the next sweep tries again
    if not await store.transition(
        job_id,
        {SUCCESS},
        state=EXPIRED,
        status_text="Expired: file deleted",
        expires_at=time.time(),
    ):
        return "changed meanwhile"
    path = raw.get("file_path")
    if path:
        Path(path).unlink(missing_ok=True)
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
        live_work: set[str] = set()
        waiting: int | None = None
        known = set(await store.all_ids())
        for job_id in known:
            raw = await store.get_raw(job_id)
            if raw is None:
                await redis.zrem("manhwa:jobs", job_id)
                continue
            state = raw["state"]
            if state == SUCCESS and float(raw.get("expires_at") or 0) <= now:
                if await _expire(store, job_id, force=False) == "deleted":
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
                await redis.delete(store.key(job_id))
                await redis.zrem("manhwa:jobs", job_id)
        report.orphans = _sweep_orphans(settings, known, live_work, now)
    finally:
        await redis.aclose()
    return report


def _sweep_orphans(settings: Settings, known: set[str], live: set[str], now: float) -> int:
    """Temp files and work folders of jobs that are no longer queued or running (a worker killed
    while writing leaves them); any other temp file once it is an hour old."""
    removed = 0
    root = settings.download_dir
    if not root.exists():
        return 0
    # The lease length of grace covers a job created between listing the jobs and now.
    settled = now - settings.lease_seconds
    for path in root.glob(".tmp-*"):
        job_id = path.name.removeprefix(".tmp-").split(".", 1)[0]
        try:
            mtime = path.stat().st_mtime
        except FileNotFoundError:
            continue
        ended = job_id in known and job_id not in live
        if mtime < now - ORPHAN_AGE_SECONDS or (ended and mtime < settled):
            path.unlink(missing_ok=True)
            removed += 1
    work = root / ".work"
    if work.exists():
        for folder in work.iterdir():
            if folder.name not in live and folder.stat().st_mtime < settled:
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
    return removed

"""File lifetime: delete after a served download's grace period, sweep expired files and
orphan temp files, and re-enqueue jobs whose worker died (the lease watchdog)."""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from redis.asyncio import Redis

from .config import Settings
from .jobs import ACTIVE, EXPIRED, PENDING, PROGRESS, SUCCESS, JobStore

log = logging.getLogger(__name__)
ORPHAN_AGE_SECONDS = 3600


@dataclass
class SweepReport:
    expired: int = 0
    orphans: int = 0
    requeued: int = 0


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
    settings: Settings, requeue: Callable[[str], object], now: float | None = None
) -> SweepReport:
    """One pass: expire due files, drop orphan temp files, re-enqueue jobs with a dead owner."""
    now = now or time.time()
    report = SweepReport()
    redis = Redis.from_url(settings.store_url, decode_responses=True)
    try:
        store = JobStore(redis)
        live_work: set[str] = set()
        for job_id in await store.all_ids():
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
                    if await store.transition(
                        job_id,
                        {PROGRESS},
                        state=PENDING,
                        status_text="Requeued after a worker loss",
                    ):
                        log.warning("job %s lost its worker; re-enqueueing", job_id)
                        await store.update(job_id, celery_task_id=str(requeue(job_id)))
                        report.requeued += 1
            if float(raw.get("created_at") or now) < now - 30 * 24 * 3600 and state not in ACTIVE:
                await redis.delete(store.key(job_id))
                await redis.zrem("manhwa:jobs", job_id)
        report.orphans = _sweep_orphans(settings, live_work, now)
    finally:
        await redis.aclose()
    return report


def _sweep_orphans(settings: Settings, live: set[str], now: float) -> int:
    removed = 0
    root = settings.download_dir
    if not root.exists():
        return 0
    for path in root.glob(".tmp-*"):
        if path.stat().st_mtime < now - ORPHAN_AGE_SECONDS:
            path.unlink(missing_ok=True)
            removed += 1
    work = root / ".work"
    if work.exists():
        for folder in work.iterdir():
            if folder.name not in live and folder.stat().st_mtime < now - 60:
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
    return removed

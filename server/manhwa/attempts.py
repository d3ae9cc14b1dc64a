"""Poison jobs end: every delivery that starts running a job is counted in its record, and a job
that died MAX_JOB_ATTEMPTS times (its task raised something unexpected, or its worker vanished
and the sweep found the lease lapsed) ends FAILURE instead of going back to the queue.

Celery's own redelivery (acks_late + reject_on_worker_lost, the broker's visibility timeout) only
decides when a message comes back; it never gives up on one. This count is what makes a job that
always kills its worker end, whichever way it keeps coming back.
"""

from __future__ import annotations

import logging

from .config import Settings
from .jobs import JobStore

log = logging.getLogger(__name__)


async def begin(store: JobStore, job_id: str) -> int:
    """Count a delivery that is about to run the job; returns how many have started so far."""
    return await store.record_attempt(job_id)


def worker_died(attempts: int) -> str:
    return f"worker died {attempts} times while running this job"


def crashed(exc: BaseException) -> str:
    """The short text of an exception we did not expect, for the job's `error`."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:200] if text else type(exc).__name__


async def give_up(
    store: JobStore,
    settings: Settings,
    job_id: str,
    reason: str,
    *,
    owner: str | None = None,
) -> bool:
    """End the job FAILURE with `reason` if its attempts are used up; True if it did.

    `owner` is the lease holder when the failing delivery still holds the lease (the task); the
    sweep passes none, having found the lease lapsed.
    """
    raw = await store.get_raw(job_id)
    if raw is None:
        return False
    used = int(raw.get("attempts") or 0)
    if used < settings.max_job_attempts:
        return False
    ended = await store.fail(job_id, reason, lease_owner=owner)
    if ended:
        log.warning("job %s: giving up after %d attempts: %s", job_id, used, reason)
    return ended

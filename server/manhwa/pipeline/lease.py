"""`run_job`: run a job only while holding its lease, keep the lease alive, and end the job
with a final state (or stand down, touching nothing, when it is no longer ours)."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import time

from redis.asyncio import Redis
from redis.exceptions import RedisError

from .. import attempts
from ..config import Settings
from ..consumet import ConsumetClient
from ..errors import AppError
from ..fetch import ImageFetcher
from ..jobs import ACTIVE, CANCELLED, PROGRESS, JobStore
from ..outbound import HostGate
from ..storage import DownloadFolder
from .progress import StandDown
from .runner import JobRunner

log = logging.getLogger(__name__)


async def _heartbeat(
    store: JobStore, job_id: str, owner: str, seconds: int, main: asyncio.Task[None]
) -> None:
    """Renew the lease; cancel the job's task when it is cancelled or the lease is lost.

    Redis being briefly away (a restart) is ridden out; once the lease could not be renewed for
    its whole length, another worker may own the job, so this one stops.
    """
    renewed = time.monotonic()
    while True:
        await asyncio.sleep(max(0.5, seconds / 3))
        try:
            raw = await store.get_raw(job_id)
            if raw is None or raw["state"] not in ACTIVE:
                main.cancel(msg="job is no longer active")
                return
            if not await store.renew_lease(job_id, owner, seconds):
                main.cancel(msg="lease lost")
                return
            renewed = time.monotonic()
        except RedisError as exc:
            log.warning("job %s: cannot renew the lease: %s", job_id, exc)
            if time.monotonic() - renewed >= seconds:
                main.cancel(msg="lease lapsed")
                return


async def run_job(
    job_id: str,
    settings: Settings,
    owner: str,
    *,
    redis: Redis | None = None,
    consumet: ConsumetClient | None = None,
    fetcher: ImageFetcher | None = None,
    gate: HostGate | None = None,
) -> str:
    """Run one job if nobody else is; returns the state it ended in (or why it stood down).

    `redis`, `consumet` and `fetcher` are used as given (and left open) when passed: the seam
    for in-process tests; a worker passes none and everything is built from `settings`.
    `gate` is what the clients the runner builds request through (see `outbound.HostGate`);
    None: the job's share of the fleet-wide host budgets (`hostlimits.FleetGate`).
    """
    client = redis or Redis.from_url(settings.store_url, decode_responses=True)
    store = JobStore(client)
    folder = DownloadFolder.from_settings(settings)
    try:
        raw = await store.get_raw(job_id)
        if raw is None:
            return "unknown job"
        if raw["state"] not in ACTIVE:
            return raw["state"]
        if not await store.acquire_lease(job_id, owner, settings.lease_seconds):
            return "owned by a live worker"
        try:
            if not await store.transition(
                job_id, ACTIVE, state=PROGRESS, status_text="Starting", started_at=time.time()
            ):
                return "no longer active"
            await attempts.begin(store, job_id)

            async def run() -> None:
                # Read (strictly) and set up inside the guarded task: a record this version
                # cannot run dies like any other delivery, counted, instead of escaping.
                job = await store.get(job_id, strict=True)
                assert job is not None
                runner = JobRunner(
                    settings,
                    store,
                    job,
                    owner,
                    consumet=consumet,
                    fetcher=fetcher,
                    folder=folder,
                    gate=gate,
                )
                await runner.run()

            main = asyncio.create_task(run())
            beat = asyncio.create_task(
                _heartbeat(store, job_id, owner, settings.lease_seconds, main)
            )
            try:
                await main
            except (asyncio.CancelledError, StandDown):
                current = await store.get(job_id)
                if current is not None and current.state == CANCELLED:
                    folder.remove_outputs(job_id)
                return current.state if current else "gone"
            except (AppError, OSError) as exc:
                # Only our own failure clears the outputs: had another worker taken the job
                # over and finished it, its archive would be among them.
                if await _fail(store, job_id, exc, owner):
                    folder.remove_outputs(job_id)
            except Exception as exc:  # unforeseen: left for the sweep until attempts run out
                log.exception("job %s: delivery died", job_id)
                reason = attempts.crashed(exc)
                if await attempts.give_up(store, settings, job_id, reason, owner=owner):
                    folder.remove_outputs(job_id)
            finally:
                beat.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await beat
        finally:
            await store.release_lease(job_id, owner)
        final = await store.get(job_id)
        return final.state if final else "gone"
    finally:
        if redis is None:
            await client.aclose()


async def _fail(store: JobStore, job_id: str, exc: BaseException, owner: str) -> bool:
    reason = exc.detail if isinstance(exc, AppError) else _os_reason(exc)
    log.warning("job %s failed: %s", job_id, reason)
    return await store.fail(job_id, reason, lease_owner=owner)


def _os_reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return "disk full: no space left in the download folder"
    return f"{type(exc).__name__}: {exc}"[:200]

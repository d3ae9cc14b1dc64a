"""Checks: which followed series are due, and a check of one series.

A check reads the series info (uncached), finds the chapters the library does not hold yet (by
chapter id; with `LIBRARY_IGNORE_DUPLICATE_NUMBERS`, a second upload of a number already there
is skipped), leaves out chapters still in their back-off after a failure, and enqueues ONE
download job with destination `library` for the rest. One check of a series runs at a time
(a lock in Redis), and while the series' last job is queued or running no new one is made, so
two checks at once give one job; equal jobs are also deduplicated by `JobStore`.

A check's requests (the series info, the cover) go through the fleet-wide host budgets like a
download's (`hostlimits.FleetGate`, `consumet:<provider>` for the info): hundreds of follows of
one source falling due together wait their turn instead of bunching on it.
"""

from __future__ import annotations

import asyncio
import io
import logging
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field

from celery import Celery
from PIL import Image
from redis.asyncio import Redis

from ..celery_app import enqueue_check
from ..config import Settings
from ..consumet import ConsumetClient
from ..download_jobs import queue_download
from ..errors import AppError, Conflict
from ..fetch import ImageFetcher
from ..hostlimits import FleetGate
from ..jobs import ACTIVE, JobSpec, JobStore
from ..models import Chapter, MangaInfo
from ..outbound import HostGate
from ..providers import resolve_provider
from ..storage import LibraryFolder
from .naming import series_folder
from .store import Follow, LibraryStore, SeriesRecord
from .writer import settle

log = logging.getLogger(__name__)
LOCK_SECONDS = 300


@dataclass
class CheckResult:
    outcome: str  # "job", "nothing new", "busy", "paused", "error", "unknown"
    job_id: str | None = None
    chapters: list[str] = field(default_factory=list)
    error: str | None = None


def next_check(settings: Settings, now: float) -> float:
    """`LIBRARY_CHECK_MINUTES` from now, give or take `LIBRARY_CHECK_JITTER` of it."""
    interval = settings.library_check_minutes * 60
    spread = interval * settings.library_check_jitter
    return now + interval + random.uniform(-spread, spread)


def _number(chapter: Chapter) -> float | None:
    try:
        return float(chapter.number) if chapter.number else None
    except ValueError:
        return None


async def wanted_chapters(
    lib: LibraryStore, follow: Follow, info: MangaInfo, ignore_duplicates: bool, force: bool
) -> list[Chapter]:
    """The chapters a check should download, oldest first."""
    held = {e.chapter_id: e for e in await lib.entries(follow.id)}
    held_numbers = {e.number for e in held.values() if e.number}
    baseline = set(follow.baseline)
    now = time.time()
    out: list[Chapter] = []
    for chapter in sorted(info.chapters, key=lambda c: (_number(c) is None, _number(c) or 0)):
        if chapter.id in held or chapter.pages == 0:  # held, or external (no pages to fetch)
            continue
        if follow.mode == "new" and chapter.id in baseline:
            continue
        if follow.mode == "from":
            number = _number(chapter)
            if number is None or follow.from_number is None or number < follow.from_number:
                continue
        if ignore_duplicates and chapter.number:
            if chapter.number in held_numbers:
                continue
            held_numbers.add(chapter.number)  # the first upload of a number wins
        failure = follow.failures.get(chapter.id)
        if failure is not None and failure.next_try > now and not force:
            continue
        out.append(chapter)
    return out


async def check_series(
    settings: Settings, redis: Redis, celery: Celery, fid: str, *, force: bool = False
) -> CheckResult:
    """Check one followed series; `force` (Check now) also retries chapters in back-off."""
    lib = LibraryStore(redis)
    token = await lib.lock_check(fid, LOCK_SECONDS)
    if token is None:
        return CheckResult("busy")
    gate = FleetGate.from_settings(settings, redis, f"check:{fid}")
    try:
        return await _check(settings, redis, celery, gate, fid, force)
    finally:
        await gate.aclose()
        await lib.unlock_check(fid, token)


async def _check(
    settings: Settings, redis: Redis, celery: Celery, gate: HostGate, fid: str, force: bool
) -> CheckResult:
    """The check itself, under the series' lock; its requests pass through `gate`."""
    lib = LibraryStore(redis)
    jobs = JobStore(redis)
    follow = await lib.get_follow(fid)
    if follow is None:
        return CheckResult("unknown")
    if follow.paused and not force:
        return CheckResult("paused")
    if follow.pending_job:
        pending = await jobs.get(follow.pending_job)
        if pending is not None and pending.state in ACTIVE:
            return CheckResult("busy", job_id=pending.task_id)
        if pending is not None:
            await settle(settings, redis, pending)
        follow = await lib.get_follow(fid) or follow
        follow.pending_job = None
    now = time.time()
    follow.last_check = now
    follow.next_check = next_check(settings, now)
    try:
        info = await _info(settings, gate, follow)
    except AppError as exc:
        follow.last_error = f"could not read the series: {exc.detail}"
        await lib.save_follow(follow)
        return CheckResult("error", error=follow.last_error)
    follow.title = info.title or follow.title
    await _ensure_series(settings, gate, lib, follow, info)
    wanted = await wanted_chapters(
        lib, follow, info, settings.library_ignore_duplicate_numbers, force
    )
    result = CheckResult("nothing new")
    if wanted:
        spec = JobSpec(
            source=follow.source,
            ids=tuple(c.id for c in wanted),
            format="cbz",
            title=info.title,
            series_id=follow.series_id,
            destination="library",
            pages=follow.page_options(),
        )
        try:
            job, _ = await queue_download(jobs, celery, spec)
        except Conflict as exc:
            follow.last_error = f"could not queue the download: {exc.detail}"
            await lib.save_follow(follow)
            return CheckResult("error", error=follow.last_error)
        job_id = job.task_id
        follow.pending_job = job_id
        result = CheckResult("job", job_id=job_id, chapters=[c.id for c in wanted])
    if not follow.failures:
        follow.last_error = None
    await lib.save_follow(follow)
    log.info("check %s (%s): %s %s", fid, follow.title, result.outcome, result.job_id or "")
    return result


async def _info(settings: Settings, gate: HostGate, follow: Follow) -> MangaInfo:
    # No cache: a check must see the chapter released a minute ago.
    async with ConsumetClient.from_settings(settings, cache=None, gate=gate) as consumet:
        return await consumet.info(resolve_provider(follow.source), follow.series_id)


async def _ensure_series(
    settings: Settings, gate: HostGate, lib: LibraryStore, follow: Follow, info: MangaInfo
) -> None:
    """The series' index record and folder, and its `cover.jpg` (Komga's poster) once."""
    record = await lib.get_series(follow.id)
    if record is None:
        title = info.title or follow.title or follow.series_id
        record = SeriesRecord(
            id=follow.id,
            source=follow.source,
            series_id=follow.series_id,
            title=title,
            folder=series_folder(title),
        )
    library = LibraryFolder.from_settings(settings)
    cover = library.series_dir(record.folder) / "cover.jpg"
    if not cover.exists() and (info.image or info.cover):
        try:
            data = await _cover_jpeg(settings, gate, info)
            await asyncio.to_thread(library.write_bytes, cover, data)
        except (AppError, OSError, ValueError) as exc:
            log.warning("cover of %s: %s", record.title, exc)
    record.cover = cover.exists()
    await lib.save_series(record)


async def _cover_jpeg(settings: Settings, gate: HostGate, info: MangaInfo) -> bytes:
    url = info.image or info.cover or ""
    fetcher = ImageFetcher(settings, gate=gate)
    try:
        image = await fetcher.fetch(url, 0, dict(info.headers))
    finally:
        await fetcher.aclose()
    if image.format == "JPEG":
        return image.data

    def convert() -> bytes:
        with Image.open(io.BytesIO(image.data)) as img:
            out = io.BytesIO()
            img.convert("RGB").save(out, "JPEG", quality=90)
            return out.getvalue()

    return await asyncio.to_thread(convert)


async def check_due(settings: Settings, redis: Redis, celery: Celery) -> int:
    """Queue a check for every follow that is due; checks of one source are spaced
    `LIBRARY_SOURCE_SPACING_SECONDS` apart, so one source never sees them bunched."""
    lib = LibraryStore(redis)
    now = time.time()
    per_source: dict[str, int] = defaultdict(int)
    queued = 0
    for fid in await lib.due(now):
        follow = await lib.get_follow(fid)
        if follow is None or follow.paused:
            continue
        countdown = per_source[follow.source] * settings.library_source_spacing_seconds
        per_source[follow.source] += 1
        # Until the check sets the real next time, it is not queued again.
        await lib.postpone(fid, now + countdown + LOCK_SECONDS)
        await asyncio.to_thread(enqueue_check, celery, fid, False, countdown)
        queued += 1
    return queued

"""A library job's finish, and settling it with its follow.

The pipeline downloads a library job's chapters like any other (into the job's work folder,
each CBZ complete or failed); instead of building a download archive, `finish_library_job`
copies each CBZ into `LIBRARY_DIR/<Series>/` by temp file + rename, records it in the index and
ends the job. Once the task has released the job, `settle` tells the follow (failures with
back-off, counts), the user (one message per run) and the media servers (one scan call). A job
that ended any other way (a crash, a time limit) is settled by the next check instead; `settle`
runs once per job either way.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from redis.asyncio import Redis

from ..config import Settings
from ..jobs import ACTIVE, FAILURE, PROGRESS, SUCCESS, FailedChapter, JobStatus, JobStore
from ..models import MangaInfo
from ..storage import LibraryFolder
from . import mediaservers, notify
from .naming import chapter_file, library_meta, series_folder
from .store import ChapterFailure, IndexEntry, LibraryStore, SeriesRecord, follow_id

if TYPE_CHECKING:
    from ..pipeline.chapter import ChapterResult
    from ..pipeline.runner import JobRunner

log = logging.getLogger(__name__)
MAX_BACKOFF_SECONDS = 7 * 24 * 3600


async def finish_library_job(
    runner: JobRunner, results: list[ChapterResult], info: MangaInfo | None
) -> None:
    """Publish the job's finished chapters into the library and end the job (lease-checked)."""
    from ..pipeline.progress import StandDown

    job, store = runner.job, runner.store
    lib = LibraryStore(store.redis)
    library = LibraryFolder.from_settings(runner.settings)
    fid = follow_id(job.source, job.series_id or "")
    record = await lib.get_series(fid)
    title = (info.title if info else None) or job.title or "Untitled series"
    if record is None:
        record = SeriesRecord(
            id=fid,
            source=job.source,
            series_id=job.series_id or "",
            title=title,
            folder=series_folder(title),
        )
    series_dir = library.series_dir(record.folder)
    added: list[IndexEntry] = []
    for result in results:
        if result.path is None:
            continue
        meta = result.meta
        name = chapter_file(record.title, meta.number, meta.volume, meta.title, result.position + 1)
        dest = series_dir / name
        existing = await lib.entry(fid, result.chapter_id)
        if existing is not None:
            dest = library.file(existing.file)  # a re-download replaces its own file
        elif dest.exists():  # another upload of the same number, kept beside it
            dest = series_dir / f"{dest.stem} ({result.chapter_id[:8]}).cbz"
        await asyncio.to_thread(library.copy_in, result.path, dest)
        entry = IndexEntry(
            chapter_id=result.chapter_id,
            number=meta.number,
            volume=meta.volume,
            title=meta.title,
            file=library.relative(dest),
            pages=result.pages,
            size=dest.stat().st_size,
            added_at=time.time(),
        )
        await lib.add_entry(fid, entry)
        added.append(entry)
    record.cover = (series_dir / "cover.jpg").exists()
    await lib.save_series(record)
    failed = runner.reporter.failed
    progress = runner.reporter.progress
    if added:
        fields = {
            "state": SUCCESS,
            "status_text": f"Done: {len(added)} of {len(results)} chapters added to the library",
            "done_chapters": len(added),
            "pages_done": progress.pages_done,
            "pages_total": progress.pages_total,
        }
    else:
        reasons = "; ".join(f"{f['title']}: {f['reason']}" for f in failed[:3])
        fields = {
            "state": FAILURE,
            "status_text": "Failed: no chapter could be downloaded",
            "error": reasons or "no chapter could be downloaded",
        }
    if not await store.transition(
        job.task_id,
        {PROGRESS},
        lease_owner=runner.owner,
        progress=100.0,
        failed=failed,
        finished_at=time.time(),
        **fields,
    ):
        raise StandDown("job is no longer ours")
    runner.folder.remove_work(job.task_id)
    log.info("library job %s: %d chapter(s) added, %d failed", job.task_id, len(added), len(failed))
    # Settled by the task once the job's lease is released (`settle_finished`): the lease's
    # heartbeat cancels whatever still runs under a job that has ended.


async def settle_finished(settings: Settings, job_id: str) -> bool:
    """Settle a library job that has ended (the download task calls this after `run_job`)."""
    redis = Redis.from_url(settings.store_url, decode_responses=True)
    try:
        job = await JobStore(redis).get(job_id)
        if job is None or job.destination != "library" or job.state in ACTIVE:
            return False
        return await settle(settings, redis, job)
    finally:
        await redis.aclose()


def library_result(
    result: ChapterResult, job: JobStatus, info: MangaInfo | None, settings: Settings
) -> ChapterResult:
    """The chapter with the library's ComicInfo (series title, Manga, language, our ids)."""
    from dataclasses import replace

    meta = library_meta(
        result.meta, info, job.source, job.series_id or "", settings.library_language
    )
    return replace(result, meta=meta)


async def settle(
    settings: Settings, redis: Redis, job: JobStatus, added: list[IndexEntry] | None = None
) -> bool:
    """Once per job: update its follow, send the run's messages, ask for media-server scans."""
    lib = LibraryStore(redis)
    if not await lib.settle_once(job.task_id):
        return False
    fid = follow_id(job.source, job.series_id or "")
    if added is None:  # settled by a later check: what the index holds of the job's chapters
        added = [e for e in [await lib.entry(fid, c) for c in job.chapter_ids] if e is not None]
    failed = list(job.failed)
    added_ids = {e.chapter_id for e in added}
    if job.state != SUCCESS and not failed:  # the whole job ended early: every chapter failed
        reason = job.error or job.status
        failed = [
            FailedChapter(chapter_id=c, title=c, reason=reason)
            for c in job.chapter_ids
            if c not in added_ids
        ]
    follow = await lib.get_follow(fid)
    title = job.title or (follow.title if follow else "") or job.series_id or ""
    if follow is not None:
        now = time.time()
        for chapter_id in added_ids:
            follow.failures.pop(chapter_id, None)
        for item in failed:
            before = follow.failures.get(item.chapter_id)
            attempts = (before.attempts if before else 0) + 1
            delay = settings.library_retry_minutes * 60 * 2 ** (attempts - 1)
            delay = min(delay, MAX_BACKOFF_SECONDS)
            follow.failures[item.chapter_id] = ChapterFailure(
                chapter_id=item.chapter_id,
                title=item.title,
                number=before.number if before else None,
                reason=item.reason,
                attempts=attempts,
                next_try=now + delay,
            )
        if follow.pending_job == job.task_id:
            follow.pending_job = None
        follow.new_chapters = len(added)
        follow.last_error = (
            "; ".join(f"{f.title}: {f.reason}" for f in list(follow.failures.values())[:3]) or None
        )
        await lib.save_follow(follow)
    if added:
        lines = [f"{title}: {e.title or e.number} ({e.file.rsplit('/', 1)[-1]})" for e in added]
        await notify.send(
            settings, f"{len(added)} new chapter(s) in the library", "\n".join(lines), "success"
        )
        await mediaservers.scan_all(settings)
    if failed:
        lines = [f"{title}: {f.title}: {f.reason}" for f in failed]
        await notify.send(
            settings, f"{len(failed)} chapter(s) failed; retried later", "\n".join(lines), "failure"
        )
    return True

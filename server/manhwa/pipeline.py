"""The download job as plain async code: Consumet read → images → per-chapter CBZ → archive.

Celery only calls `run_job`; everything here can run (and be tested) without Celery.
A chapter is either complete (its CBZ renamed into the job's work folder) or listed in
`failed`; the finished chapters survive a worker crash, so a redelivered job resumes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import shutil
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from redis.asyncio import Redis
from redis.exceptions import RedisError

from . import attempts
from .archive import ArchiveBuilder, ChapterWriter, assemble
from .config import Settings
from .consumet import ConsumetClient
from .errors import AppError, ImageFetchError, UpstreamError
from .fetch import ImageFetcher
from .jobs import ACTIVE, CANCELLED, FAILURE, PROGRESS, SUCCESS, JobStatus, JobStore
from .models import Chapter, ChapterMeta, MangaInfo, Page, PageImage
from .names import chapter_label, safe_name
from .providers import Provider, resolve_provider

log = logging.getLogger(__name__)
CHAPTERS_AT_ONCE = 3
PAGES_AHEAD = 16  # at least this many fetches per chapter ahead of the writer
# Seconds between progress writes while pages arrive: a Redis write per page cost about a sixth
# of the worker's CPU. Half the event stream's own interval (it sends 10 a second at most, when
# a write wakes it), so a stream still sees every step a short job goes through.
PROGRESS_INTERVAL = 0.05


@dataclass(frozen=True)
class Transports:
    """Where a job's HTTP goes: None is the real network (images through the address guard);
    in-process tests pass httpx.MockTransport instances."""

    consumet: httpx.AsyncBaseTransport | None = None
    images: httpx.AsyncBaseTransport | None = None


class StandDown(Exception):
    """Another live worker owns the job, or it was cancelled: stop without touching it."""


@dataclass
class ChapterResult:
    position: int
    chapter_id: str
    title: str
    meta: ChapterMeta
    path: Path | None = None
    pages: int = 0
    reason: str | None = None
    ended: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Progress:
    """In-memory counters of a running job, flushed to Redis as pages arrive (at most every
    PROGRESS_INTERVAL seconds) and at once when a chapter ends."""

    total_chapters: int
    pages_total: int = 0
    pages_done: int = 0
    done_chapters: int = 0
    ended_chapters: int = 0
    chapter_pages: dict[int, tuple[int, int]] = field(default_factory=dict)

    def percent(self) -> float:
        if not self.total_chapters:
            return 0.0
        partial = sum(done / total for done, total in self.chapter_pages.values() if total)
        return round(min(99.9, 100.0 * (self.ended_chapters + partial) / self.total_chapters), 1)


def work_dir(settings: Settings, job_id: str) -> Path:
    return settings.download_dir / ".work" / job_id


def archive_path(settings: Settings, job_id: str, ext: str) -> Path:
    """Files on disk are named by job id only; the display name travels in the job record."""
    return settings.download_dir / f"{job_id}.{ext}"


def _sort_reading_order(ids: list[str], info: MangaInfo | None) -> list[str]:
    if info is None:
        return ids
    numbers: dict[str, float] = {}
    for chapter in info.chapters:
        try:
            numbers[chapter.id] = float(chapter.number) if chapter.number else float("nan")
        except ValueError:
            continue
    if not all(i in numbers and numbers[i] == numbers[i] for i in ids):
        return ids
    return sorted(ids, key=lambda i: numbers[i])


def _meta(position: int, chapter_id: str, job: JobStatus, info: MangaInfo | None) -> ChapterMeta:
    chapter: Chapter | None = None
    if info is not None:
        chapter = next((c for c in info.chapters if c.id == chapter_id), None)
    number = (chapter.number if chapter else None) or str(position + 1)
    series = job.title or (info.title if info else None) or "Manhwa"
    return ChapterMeta(
        series=series,
        title=chapter.title if chapter else f"Chapter {number}",
        number=number,
        chapter_id=chapter_id,
        volume=chapter.volume if chapter else None,
        summary=info.description if info else None,
        writer=", ".join(info.authors) if info and info.authors else None,
        genres=tuple(info.genres) if info else (),
        web=None,
    )


def _file_name(results: list[ChapterResult], fmt: str, layout: str, ext: str) -> str:
    done = [r for r in results if r.path is not None]
    series = safe_name(done[0].meta.series, max_len=100)
    first = chapter_label(done[0].meta.number, done[0].position + 1)
    if len(done) == 1:
        return f"{series} - {first}.{ext}"
    last = chapter_label(done[-1].meta.number, done[-1].position + 1).removeprefix("Ch. ")
    return f"{series} - {first}-{last}.{ext}"


def _ext(fmt: str, layout: str, chapters: int) -> str:
    if chapters == 1 and layout != "per-chapter" and fmt in ("cbz", "pdf"):
        return fmt
    return "zip"


class Downloader:
    """Runs one job; the caller holds the lease as `owner`, and every write checks it still does."""

    def __init__(
        self,
        settings: Settings,
        store: JobStore,
        job: JobStatus,
        owner: str,
        transports: Transports | None = None,
    ) -> None:
        self.settings = settings
        self.transports = transports or Transports()
        self.store = store
        self.job = job
        self.owner = owner
        self.provider: Provider = resolve_provider(job.source)
        self.work = work_dir(settings, job.task_id)
        self.progress = Progress(total_chapters=len(job.chapter_ids))
        self.failed: list[dict[str, str]] = []
        self.info: MangaInfo | None = None
        self.builder: ArchiveBuilder | None = None
        self._flushed_at = float("-inf")

    async def run(self) -> None:
        try:
            await self._run()
        finally:
            if self.builder is not None:
                self.builder.abort()  # deletes a half-built archive; a no-op once published

    async def _run(self) -> None:
        self.work.mkdir(parents=True, exist_ok=True)
        # A worker killed mid-job leaves its half-built archive; this delivery builds a new one.
        for stale in self.settings.download_dir.glob(f".tmp-{self.job.task_id}.*"):
            stale.unlink(missing_ok=True)
        async with (
            ConsumetClient(
                self.settings.mangapi_url,
                timeout=self.settings.consumet_timeout,
                retries=self.settings.consumet_retries,
                cache=self.store.redis,
                cache_seconds=self.settings.cache_seconds,
                transport=self.transports.consumet,
            ) as consumet,
            ImageFetcher(self.settings, transport=self.transports.images) as fetcher,
        ):
            info = self.info = await self._info(consumet)
            ids = _sort_reading_order(list(self.job.chapter_ids), info)
            results = [
                ChapterResult(p, cid, "", _meta(p, cid, self.job, info))
                for p, cid in enumerate(ids)
            ]
            for result in results:
                result.title = result.meta.title
            if len(results) > 1 or self.job.layout != "auto":
                dest = archive_path(self.settings, self.job.task_id, "zip")
                self.builder = ArchiveBuilder(dest, self.job.format)
            limit = asyncio.Semaphore(CHAPTERS_AT_ONCE)
            referer = info.headers.get("Referer") if info else None

            async def one(result: ChapterResult) -> None:
                async with limit:
                    await self._chapter(result, consumet, fetcher, referer)

            try:
                async with asyncio.TaskGroup() as group:
                    for result in results:
                        group.create_task(one(result))
                    if self.builder is not None:
                        group.create_task(self._assemble_as_ready(results, self.builder))
            except ExceptionGroup as group_error:  # one chapter hit disk full, say: stop all
                raise group_error.exceptions[0] from None
        await self._finish(results)

    async def _assemble_as_ready(
        self, results: list[ChapterResult], builder: ArchiveBuilder
    ) -> None:
        """Add each finished chapter to the job's ZIP once every chapter before it has ended.

        The copying then overlaps the downloads: at the end only the last chapter is left.
        """
        for result in results:
            await result.ended.wait()
            if result.path is not None:
                await asyncio.to_thread(builder.add, result.meta, result.path)

    async def _info(self, consumet: ConsumetClient) -> MangaInfo | None:
        if not self.job.series_id:
            return None
        try:
            return await consumet.info(self.provider, self.job.series_id)
        except UpstreamError as exc:
            # Metadata is a nicety: without it chapters are named by position, not lost.
            log.warning("job %s: series info unavailable: %s", self.job.task_id, exc.detail)
            return None

    async def _chapter(
        self,
        result: ChapterResult,
        consumet: ConsumetClient,
        fetcher: ImageFetcher,
        referer: str | None,
    ) -> None:
        final = self.work / f"{result.position:04d}.cbz"
        if final.exists():  # finished before a crash: keep it
            with zipfile.ZipFile(final) as zf:
                result.pages = sum(1 for n in zf.namelist() if n != "ComicInfo.xml")
            result.path = final
            self.progress.pages_total += result.pages
            self.progress.pages_done += result.pages
            await self._chapter_ended(result)
            return
        fresh = False
        while True:
            try:
                listing, cached = await consumet.read_pages(
                    self.provider, result.chapter_id, referer=referer, fresh=fresh
                )
            except UpstreamError as exc:
                result.reason = f"could not list pages: {exc.detail}"
                break
            result.reason = self._listing_problem(result.chapter_id, listing.pages)
            if result.reason is None:
                await self._fetch_pages(result, listing.pages, fetcher, final)
            if result.path is not None or not cached or fresh:
                break
            # A cached answer's image URLs expire, and a restarted source moves: ask it once.
            log.info(
                "job %s: chapter %s failed from a cached read answer (%s); reading it again",
                self.job.task_id,
                result.chapter_id,
                result.reason,
            )
            fresh, result.reason = True, None
        await self._chapter_ended(result)

    def _listing_problem(self, chapter_id: str, pages: list[Page]) -> str | None:
        expected = self._expected_pages(chapter_id)
        if not pages:
            return "no pages (chapter is empty, external or blocked at the source)"
        if expected and len(pages) < expected:
            return f"source listed {len(pages)} of {expected} pages"
        return None

    async def _fetch_pages(
        self, result: ChapterResult, pages: list[Page], fetcher: ImageFetcher, final: Path
    ) -> None:
        """Fetch and write one listing's pages in order: sets `result.path` or `result.reason`."""
        self.progress.pages_total += len(pages)
        self.progress.chapter_pages[result.position] = (0, len(pages))
        fallback = self.provider.fallback_referer or self.provider.default_referer
        # Pages are written in order, so fetched pages wait for the slowest one before them. A
        # window of fetches ahead of the writer bounds that memory by pages, not chapter size.
        window = max(PAGES_AHEAD, 2 * self.settings.max_per_host)
        tasks: dict[int, asyncio.Task[PageImage]] = {}

        def start(index: int) -> None:
            if index < len(pages):
                page = pages[index]
                tasks[index] = asyncio.create_task(
                    fetcher.fetch(page.img, page.index, page.headers, fallback)
                )

        writer = ChapterWriter(final, result.meta, len(pages))
        for index in range(window):
            start(index)
        try:
            for number in range(1, len(pages) + 1):
                task = tasks.pop(number - 1)
                start(number - 1 + window)
                try:
                    image = await task
                except ImageFetchError as exc:
                    result.reason = f"page {number}: {exc.detail}"
                    break
                await asyncio.to_thread(writer.add, image)
                self.progress.pages_done += 1
                self.progress.chapter_pages[result.position] = (number, len(pages))
                await self._flush(throttled=True)
            if result.reason is None:
                result.path = await asyncio.to_thread(writer.finish)
                result.pages = len(pages)
        except BaseException:
            writer.abort()
            raise
        finally:
            for task in tasks.values():
                task.cancel()
            await asyncio.gather(*tasks.values(), return_exceptions=True)
            if result.path is None:
                writer.abort()
                self.progress.pages_done -= self.progress.chapter_pages.get(
                    result.position, (0, 0)
                )[0]
                self.progress.pages_total -= len(pages)
        self.progress.chapter_pages.pop(result.position, None)

    def _expected_pages(self, chapter_id: str) -> int | None:
        """MangaDex says how many pages a chapter has; fewer in `read` means a broken chapter."""
        if self.info is None:
            return None
        chapter = next((c for c in self.info.chapters if c.id == chapter_id), None)
        return chapter.pages if chapter and chapter.pages else None

    async def _chapter_ended(self, result: ChapterResult) -> None:
        result.ended.set()
        self.progress.ended_chapters += 1
        if result.path is not None:
            self.progress.done_chapters += 1
        else:
            log.info(
                "job %s: chapter %s failed: %s", self.job.task_id, result.chapter_id, result.reason
            )
            self.failed.append(
                {
                    "chapter_id": result.chapter_id,
                    "title": result.title,
                    "reason": result.reason or "failed",
                }
            )
        await self._flush()

    async def _flush(self, *, throttled: bool = False) -> None:
        """Write the counters (and find out whether the job is still ours); a `throttled` write
        is skipped within PROGRESS_INTERVAL of the last one."""
        now = time.monotonic()
        if throttled and now - self._flushed_at < PROGRESS_INTERVAL:
            return
        self._flushed_at = now
        p = self.progress
        chapter_now = min(p.ended_chapters + 1, p.total_chapters)
        text = f"Downloading: chapter {chapter_now} of {p.total_chapters}, {p.pages_done} pages"
        ok = await self.store.transition(
            self.job.task_id,
            {PROGRESS},
            lease_owner=self.owner,
            status_text=text,
            progress=p.percent(),
            pages_total=p.pages_total,
            pages_done=p.pages_done,
            done_chapters=p.done_chapters,
            failed=json.dumps(self.failed),
        )
        if not ok:
            raise StandDown("job is no longer running")

    async def _finish(self, results: list[ChapterResult]) -> None:
        done = [r for r in results if r.path is not None]
        failed = json.dumps(self.failed)
        if not done:
            reasons = "; ".join(f"{f['title']}: {f['reason']}" for f in self.failed[:3])
            if not await self.store.transition(
                self.job.task_id,
                {PROGRESS},
                lease_owner=self.owner,
                state=FAILURE,
                status_text="Failed: no chapter could be downloaded",
                error=reasons or "no chapter could be downloaded",
                failed=failed,
                finished_at=time.time(),
                progress=100.0,
            ):
                raise StandDown("job is no longer ours")
            log.info("job %s: finished FAILURE, no chapter downloaded", self.job.task_id)
            shutil.rmtree(self.work, ignore_errors=True)
            return
        fmt, layout = self.job.format, self.job.layout
        ext = _ext(fmt, layout, len(done))
        dest = archive_path(self.settings, self.job.task_id, ext)
        chapters = [(r.meta, r.path) for r in done if r.path is not None]
        if self.builder is not None and self.builder.dest == dest:
            await asyncio.to_thread(self.builder.finish)
        else:  # one chapter of several made it: the download is that chapter's own file
            await asyncio.to_thread(assemble, chapters, fmt, dest, layout)
        size = dest.stat().st_size
        now = time.time()
        summary = f"Done: {len(done)} of {len(results)} chapters, {self.progress.pages_done} pages"
        finished = await self.store.transition(
            self.job.task_id,
            {PROGRESS},
            lease_owner=self.owner,
            state=SUCCESS,
            status_text=summary,
            progress=100.0,
            done_chapters=len(done),
            pages_done=self.progress.pages_done,
            pages_total=self.progress.pages_total,
            failed=failed,
            file_path=str(dest),
            file_name=_file_name(results, fmt, layout, ext),
            size=size,
            finished_at=now,
            expires_at=now + self.settings.file_ttl_seconds,
        )
        if not finished:
            # Cancelled while assembling (run_job then deletes the outputs), or the lease went to
            # another worker, whose file this may already be: leave everything as it is.
            raise StandDown("job is no longer ours")
        log.info("job %s: finished SUCCESS, %s (%d bytes)", self.job.task_id, dest.name, size)
        shutil.rmtree(self.work, ignore_errors=True)


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
    job_id: str, settings: Settings, owner: str, transports: Transports | None = None
) -> str:
    """Run one job if nobody else is; returns the state it ended in (or why it stood down)."""
    redis = Redis.from_url(settings.store_url, decode_responses=True)
    store = JobStore(redis)
    try:
        job = await store.get(job_id)
        if job is None:
            return "unknown job"
        if job.state not in ACTIVE:
            return job.state
        if not await store.acquire_lease(job_id, owner, settings.lease_seconds):
            return "owned by a live worker"
        try:
            if not await store.transition(
                job_id, ACTIVE, state=PROGRESS, status_text="Starting", started_at=time.time()
            ):
                return "no longer active"
            await attempts.begin(store, job_id)
            job = await store.get(job_id)
            assert job is not None
            main = asyncio.create_task(Downloader(settings, store, job, owner, transports).run())
            beat = asyncio.create_task(
                _heartbeat(store, job_id, owner, settings.lease_seconds, main)
            )
            try:
                await main
            except (asyncio.CancelledError, StandDown):
                current = await store.get(job_id)
                if current is not None and current.state == CANCELLED:
                    _remove_outputs(settings, job_id)
                return current.state if current else "gone"
            except (AppError, OSError) as exc:
                # Only our own failure clears the outputs: had another worker taken the job
                # over and finished it, its archive would be among them.
                if await _fail(store, job_id, exc, owner):
                    _remove_outputs(settings, job_id)
            except Exception as exc:  # unforeseen: left for the sweep until attempts run out
                log.exception("job %s: delivery died", job_id)
                reason = attempts.crashed(exc)
                if await attempts.give_up(store, settings, job_id, reason, owner=owner):
                    _remove_outputs(settings, job_id)
            finally:
                beat.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await beat
        finally:
            await store.release_lease(job_id, owner)
        final = await store.get(job_id)
        return final.state if final else "gone"
    finally:
        await redis.aclose()


async def _fail(store: JobStore, job_id: str, exc: BaseException, owner: str) -> bool:
    reason = exc.detail if isinstance(exc, AppError) else _os_reason(exc)
    log.warning("job %s failed: %s", job_id, reason)
    return await store.transition(
        job_id,
        ACTIVE,
        lease_owner=owner,
        state=FAILURE,
        status_text=f"Failed: {reason}",
        error=reason,
        finished_at=time.time(),
    )


def _os_reason(exc: BaseException) -> str:
    import errno

    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return "disk full: no space left in the download folder"
    return f"{type(exc).__name__}: {exc}"[:200]


def _remove_outputs(settings: Settings, job_id: str) -> None:
    shutil.rmtree(work_dir(settings, job_id), ignore_errors=True)
    for path in settings.download_dir.glob(f"{job_id}.*"):
        path.unlink(missing_ok=True)
    for path in settings.download_dir.glob(f".tmp-{job_id}*"):
        path.unlink(missing_ok=True)

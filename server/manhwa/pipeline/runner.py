"""One job's run: metadata, chapters in reading order, the archive fed as chapters end, the finish.

The runner holds no lease logic of its own (`lease.run_job` does); it writes only through the
`ProgressReporter` and the final compare-and-set, both of which check the lease.
"""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import AsyncExitStack

from ..archive import ArchiveBuilder, archive_ext, assemble, download_name
from ..config import Settings
from ..consumet import ConsumetClient
from ..errors import UpstreamError
from ..fetch import ImageFetcher
from ..hostlimits import FleetGate
from ..jobs import FAILURE, PROGRESS, SUCCESS, JobStatus, JobStore
from ..library.writer import finish_library_job, library_result
from ..models import Chapter, ChapterMeta, MangaInfo
from ..outbound import HostGate
from ..pageops import PageShaper, shared_pool
from ..providers import Provider, resolve_provider
from ..storage import DownloadFolder
from .chapter import PAGES_AHEAD, ChapterDownloader, ChapterResult
from .progress import ProgressReporter, StandDown

log = logging.getLogger(__name__)
CHAPTERS_AT_ONCE = 3


def sort_reading_order(ids: list[str], info: MangaInfo | None) -> list[str]:
    """Oldest chapter first when every chapter has a number; else the order asked for."""
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


def chapter_meta(
    position: int, chapter_id: str, job: JobStatus, info: MangaInfo | None
) -> ChapterMeta:
    """What ComicInfo.xml and the file names say; by position when the series info is missing."""
    chapter: Chapter | None = None
    if info is not None:
        chapter = next((c for c in info.chapters if c.id == chapter_id), None)
    number = (chapter.number if chapter else None) or str(position + 1)
    return ChapterMeta(
        series=job.title or (info.title if info else None) or "Manhwa",
        title=chapter.title if chapter else f"Chapter {number}",
        number=number,
        chapter_id=chapter_id,
        volume=chapter.volume if chapter else None,
        summary=info.description if info else None,
        writer=", ".join(info.authors) if info and info.authors else None,
        genres=tuple(info.genres) if info else (),
    )


class JobRunner:
    """Runs one job; the caller holds the lease as `owner`, and every write checks it still does.

    `consumet` and `fetcher` are used as given (and left open) when passed, which is how tests
    and the in-process property test drive a job against `httpx.MockTransport` sources; else the
    runner opens its own from `settings` for the length of the run, both requesting through
    `gate`: by default this job's `hostlimits.FleetGate` (the fleet-wide host budgets in the
    job's Redis, which tell the progress reporter while they hold the job back); tests pass
    `outbound.OPEN_GATE` or a fake.
    """

    def __init__(
        self,
        settings: Settings,
        store: JobStore,
        job: JobStatus,
        owner: str,
        *,
        consumet: ConsumetClient | None = None,
        fetcher: ImageFetcher | None = None,
        folder: DownloadFolder | None = None,
        gate: HostGate | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.job = job
        self.owner = owner
        self.provider: Provider = resolve_provider(job.source)
        self.folder = folder or DownloadFolder.from_settings(settings)
        self.reporter = ProgressReporter(store, job.task_id, owner, len(job.chapter_ids))
        self.builder: ArchiveBuilder | None = None
        self._consumet = consumet
        self._fetcher = fetcher
        self._gate = gate
        self.info: MangaInfo | None = None

    async def run(self) -> None:
        try:
            async with AsyncExitStack() as stack:
                gate = self._gate
                if gate is None:  # costs nothing until a request asks it for a permit
                    fleet = FleetGate.from_settings(
                        self.settings,
                        self.store.redis,
                        self.job.task_id,
                        on_hold=self.reporter.holding,
                    )
                    stack.push_async_callback(fleet.aclose)  # after the clients: LIFO
                    gate = fleet
                consumet = self._consumet
                if consumet is None:
                    consumet = ConsumetClient.from_settings(
                        self.settings, cache=self.store.redis, gate=gate
                    )
                    stack.push_async_callback(consumet.aclose)
                fetcher = self._fetcher
                if fetcher is None:
                    fetcher = ImageFetcher(self.settings, gate=gate)
                    stack.push_async_callback(fetcher.aclose)
                results = await self._download(consumet, fetcher)
            await self._finish(results)
        finally:
            if self.builder is not None:
                self.builder.abort()  # deletes a half-built archive; a no-op once published

    async def _download(
        self, consumet: ConsumetClient, fetcher: ImageFetcher
    ) -> list[ChapterResult]:
        job_id = self.job.task_id
        self.folder.make_work_dir(job_id)
        # A worker killed mid-job leaves its half-built archive; this delivery builds a new one.
        self.folder.clear_temp(job_id)
        info = await self._info(consumet)
        chapters = {c.id: c for c in info.chapters} if info else {}
        ids = sort_reading_order(list(self.job.chapter_ids), info)
        results = [
            ChapterResult(p, cid, chapter_meta(p, cid, self.job, info)) for p, cid in enumerate(ids)
        ]
        self.info = info
        if self.job.destination == "library":  # library ComicInfo; each CBZ is published alone
            results = [library_result(r, self.job, info, self.settings) for r in results]
        elif len(results) > 1 or self.job.layout != "auto":
            self.builder = ArchiveBuilder(self.folder.archive(job_id, "zip"), self.job.format)
        downloader = ChapterDownloader(
            consumet,
            fetcher,
            self.provider,
            self.reporter,
            referer=info.headers.get("Referer") if info else None,
            window=max(PAGES_AHEAD, 2 * self.settings.max_per_host),
            shaper=self._shaper(),
        )
        limit = asyncio.Semaphore(CHAPTERS_AT_ONCE)

        async def one(result: ChapterResult) -> None:
            async with limit:
                chapter = chapters.get(result.chapter_id)
                dest = self.folder.chapter(job_id, result.position)
                await downloader.download(result, dest, chapter.pages if chapter else None)
            result.ended.set()
            await self.reporter.chapter_ended(
                result.position, result.chapter_id, result.title, result.reason
            )

        try:
            async with asyncio.TaskGroup() as group:
                for result in results:
                    group.create_task(one(result))
                if self.builder is not None:
                    group.create_task(self._assemble_as_ready(results, self.builder))
        except ExceptionGroup as group_error:  # one chapter hit disk full, say: stop all
            raise group_error.exceptions[0] from None
        return results

    def _shaper(self) -> PageShaper | None:
        """The page pool's hand for a job with page options; plain jobs never start the pool."""
        options = self.job.page_options()
        if not options.active:
            return None
        pool = shared_pool(self.settings.page_workers)
        in_flight = self.settings.pages_in_flight or 2 * pool.workers
        return PageShaper(options, pool, self.settings.image_max_pixels, in_flight)

    async def _assemble_as_ready(
        self, results: list[ChapterResult], builder: ArchiveBuilder
    ) -> None:
        """Add each finished chapter to the job's ZIP once every chapter before it has ended.

        The copying then overlaps the downloads: at the end only the last chapter is left.
        """
        for result in results:
            await result.ended.wait()
            if result.path is not None:
                await asyncio.to_thread(builder.add, result.meta, result.path, result.crc)

    async def _info(self, consumet: ConsumetClient) -> MangaInfo | None:
        if not self.job.series_id:
            return None
        try:
            return await consumet.info(self.provider, self.job.series_id)
        except UpstreamError as exc:
            # Metadata is a nicety: without it chapters are named by position, not lost.
            log.warning("job %s: series info unavailable: %s", self.job.task_id, exc.detail)
            return None

    async def _finish(self, results: list[ChapterResult]) -> None:
        if self.job.destination == "library":
            await finish_library_job(self, results, self.info)
            return
        job_id = self.job.task_id
        done = [r for r in results if r.path is not None]
        failed = self.reporter.failed
        progress = self.reporter.progress
        if not done:
            reasons = "; ".join(f"{f['title']}: {f['reason']}" for f in failed[:3])
            if not await self.store.transition(
                job_id,
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
            log.info("job %s: finished FAILURE, no chapter downloaded", job_id)
            self.folder.remove_work(job_id)
            return
        fmt, layout = self.job.format, self.job.layout
        ext = archive_ext(fmt, layout, len(done))
        dest = self.folder.archive(job_id, ext)
        chapters = [(r.meta, r.path) for r in done if r.path is not None]
        if self.builder is not None and self.builder.dest == dest:
            await asyncio.to_thread(self.builder.finish)
        else:  # one chapter of several made it: the download is that chapter's own file
            await asyncio.to_thread(assemble, chapters, fmt, dest, layout)
        size = dest.stat().st_size
        now = time.time()
        summary = f"Done: {len(done)} of {len(results)} chapters, {progress.pages_done} pages"
        finished = await self.store.transition(
            job_id,
            {PROGRESS},
            lease_owner=self.owner,
            state=SUCCESS,
            status_text=summary,
            progress=100.0,
            done_chapters=len(done),
            pages_done=progress.pages_done,
            pages_total=progress.pages_total,
            failed=failed,
            file_path=str(dest),
            file_name=download_name([(r.position, r.meta) for r in done], ext, len(results)),
            size=size,
            finished_at=now,
            expires_at=now + self.settings.file_ttl_seconds,
        )
        if not finished:
            # Cancelled while assembling (run_job then deletes the outputs), or the lease went to
            # another worker, whose file this may already be: leave everything as it is.
            raise StandDown("job is no longer ours")
        log.info("job %s: finished SUCCESS, %s (%d bytes)", job_id, dest.name, size)
        self.folder.remove_work(job_id)

"""One chapter: Consumet's page list in, a finished CBZ (or the reason there is none) out.

A chapter is complete or failed, never short: its CBZ is written in page order to a temp file
and renamed into place only when every page is in. A CBZ already at its destination was finished
by an earlier delivery of the job (a worker crash), and is kept as it is.
"""

from __future__ import annotations

import asyncio
import logging
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from ..cbz import ChapterWriter
from ..comicinfo import COMICINFO
from ..consumet import ConsumetClient
from ..errors import ImageFetchError, UpstreamError
from ..fetch import ImageFetcher
from ..models import ChapterMeta, Page, PageImage
from ..pageops import PageShaper
from ..providers import Provider
from .progress import ProgressReporter

log = logging.getLogger(__name__)
PAGES_AHEAD = 16  # at least this many fetches per chapter ahead of the writer
# Pages up to this size are added to the CBZ on the event loop: a ZIP entry of a few hundred KB
# is a CRC and a write to the page cache (~0.1 ms), less than a hand-off to a thread and back,
# which cost a fifth of the worker's CPU per page. Larger ones still go to a thread.
INLINE_WRITE_BYTES = 2 * 1024 * 1024


@dataclass
class ChapterResult:
    """A chapter of the job and, once `ended` is set, its CBZ (`path`) or why not (`reason`)."""

    position: int
    chapter_id: str
    meta: ChapterMeta
    path: Path | None = None
    crc: int | None = None  # the CBZ's CRC-32 when this delivery wrote it (the job's ZIP needs it)
    pages: int = 0
    reason: str | None = None
    ended: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def title(self) -> str:
        return self.meta.title


class ChapterDownloader:
    """Downloads chapters of one series from one provider, counting pages on `progress`."""

    def __init__(
        self,
        consumet: ConsumetClient,
        fetcher: ImageFetcher,
        provider: Provider,
        progress: ProgressReporter,
        *,
        referer: str | None = None,
        window: int = PAGES_AHEAD,
        shaper: PageShaper | None = None,
    ) -> None:
        self.consumet = consumet
        self.fetcher = fetcher
        self.provider = provider
        self.progress = progress
        self.referer = referer
        self.window = max(1, window)
        self.shaper = shaper  # page options (split, re-encode); None: pages stored as fetched

    async def download(
        self, result: ChapterResult, dest: Path, expected_pages: int | None = None
    ) -> None:
        """Fill `result.path`/`pages`, or `result.reason`. Raises only what should stop the
        whole job (disk full, `StandDown`, cancellation).

        A chapter that fails from a cached `read` answer is listed once more, from the source.
        """
        if dest.exists():  # finished before a crash: keep it
            with zipfile.ZipFile(dest) as zf:
                result.pages = sum(1 for n in zf.namelist() if n != COMICINFO)
            result.path = dest
            self.progress.resumed(result.pages)
            return
        fresh = False
        while True:
            try:
                listing, cached = await self.consumet.read_pages(
                    self.provider, result.chapter_id, referer=self.referer, fresh=fresh
                )
            except UpstreamError as exc:
                result.reason = f"could not list pages: {exc.detail}"
                return
            result.reason = _listing_problem(listing.pages, expected_pages)
            if result.reason is None:
                await self._fetch_pages(result, listing.pages, dest)
            if result.path is not None or not cached or fresh:
                return
            # A cached answer's image URLs expire, and a restarted source moves: ask it once.
            log.info(
                "chapter %s failed from a cached read answer (%s); reading it again",
                result.chapter_id,
                result.reason,
            )
            fresh, result.reason = True, None

    async def _fetch_pages(self, result: ChapterResult, pages: list[Page], dest: Path) -> None:
        """Fetch and write one listing's pages in order: sets `result.path` or `result.reason`."""
        self.progress.chapter_started(result.position, len(pages))
        fallback = self.provider.fallback_referer or self.provider.default_referer
        # Pages are written in order, so fetched pages wait for the slowest one before them. A
        # window of fetches ahead of the writer bounds that memory by pages, not chapter size.
        tasks: dict[int, asyncio.Task[PageImage | list[PageImage]]] = {}

        def start(index: int) -> None:
            if index < len(pages):
                page = pages[index]
                if self.shaper is None:
                    tasks[index] = asyncio.create_task(
                        self.fetcher.fetch(page.img, page.index, page.headers, fallback)
                    )
                else:
                    tasks[index] = asyncio.create_task(self._shaped(page, fallback))

        split = self.shaper is not None and self.shaper.options.split_tall is not None
        writer = ChapterWriter(dest, result.meta, len(pages), split=split)
        for index in range(self.window):
            start(index)
        try:
            for number in range(1, len(pages) + 1):
                task = tasks.pop(number - 1)
                start(number - 1 + self.window)
                try:
                    image = await task
                except ImageFetchError as exc:
                    result.reason = f"page {number}: {exc.detail}"
                    break
                pieces = image if isinstance(image, list) else [image]
                if sum(len(p.data) for p in pieces) <= INLINE_WRITE_BYTES:
                    writer.add_pieces(number - 1, pieces)
                else:
                    await asyncio.to_thread(writer.add_pieces, number - 1, pieces)
                await self.progress.page_written(result.position, number, len(pages))
            if result.reason is None:
                result.path = await asyncio.to_thread(writer.finish)
                result.crc = writer.crc
                result.pages = len(pages)
        finally:
            for task in tasks.values():
                task.cancel()
            await asyncio.gather(*tasks.values(), return_exceptions=True)
            if result.path is None:
                writer.abort()
                self.progress.chapter_abandoned(result.position, len(pages))

    async def _shaped(self, page: Page, fallback: str | None) -> list[PageImage]:
        """Fetch a page and shape it in the page pool as soon as it is in (split, re-encode)."""
        assert self.shaper is not None
        image = await self.fetcher.fetch(page.img, page.index, page.headers, fallback)
        return await self.shaper.shape(image)


def _listing_problem(pages: list[Page], expected: int | None) -> str | None:
    """Why a page list cannot make a complete chapter (MangaDex says how many pages it has;
    fewer in `read` means a broken chapter), or None."""
    if not pages:
        return "no pages (chapter is empty, external or blocked at the source)"
    if expected and len(pages) < expected:
        return f"source listed {len(pages)} of {expected} pages"
    return None

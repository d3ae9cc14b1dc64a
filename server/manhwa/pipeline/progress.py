"""A running job's progress: the counters, their throttled flush to the job record, and the
lease check that rides on every write (a refused write means `StandDown`)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ..jobs import PROGRESS, JobStore

log = logging.getLogger(__name__)
# Seconds between progress writes while pages arrive: a Redis write per page cost about a sixth
# of the worker's CPU. Half the event stream's own interval (it sends 10 a second at most, when
# a write wakes it), so a stream still sees every step a short job goes through.
PROGRESS_INTERVAL = 0.05


class StandDown(Exception):
    """Another live worker owns the job, or it was cancelled: stop without touching it."""


@dataclass
class Progress:
    """In-memory counters of a running job."""

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


class ProgressReporter:
    """Counts pages and chapters and writes them to the job record: as pages arrive at most
    every PROGRESS_INTERVAL seconds, at once when a chapter ends. Every write is a
    compare-and-set that also checks `owner` still holds the lease; when it does not (the job
    was cancelled, or another worker took it over), the write raises `StandDown`."""

    def __init__(
        self,
        store: JobStore,
        job_id: str,
        owner: str,
        total_chapters: int,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.job_id = job_id
        self.owner = owner
        self.progress = Progress(total_chapters=total_chapters)
        self.failed: list[dict[str, str]] = []
        self._clock = clock
        self._flushed_at = float("-inf")
        self.held: str | None = None  # "waiting for host X (…)" while the host budget holds us

    def resumed(self, pages: int) -> None:
        """A chapter finished by an earlier delivery counts as done at once."""
        self.progress.pages_total += pages
        self.progress.pages_done += pages

    def chapter_started(self, position: int, pages: int) -> None:
        self.progress.pages_total += pages
        self.progress.chapter_pages[position] = (0, pages)

    async def page_written(self, position: int, number: int, pages: int) -> None:
        """Page `number` (1-based) of the chapter at `position` is in its CBZ."""
        self.progress.pages_done += 1
        self.progress.chapter_pages[position] = (number, pages)
        await self.flush(throttled=True)

    def chapter_abandoned(self, position: int, pages: int) -> None:
        """Take back what a chapter that will not be finished had counted."""
        self.progress.pages_done -= self.progress.chapter_pages.get(position, (0, 0))[0]
        self.progress.pages_total -= pages
        self.progress.chapter_pages.pop(position, None)

    async def chapter_ended(
        self, position: int, chapter_id: str, title: str, reason: str | None
    ) -> None:
        """A chapter is done (`reason` None) or failed for `reason`; written at once."""
        p = self.progress
        p.chapter_pages.pop(position, None)
        p.ended_chapters += 1
        if reason is None:
            p.done_chapters += 1
        else:
            log.info("job %s: chapter %s failed: %s", self.job_id, chapter_id, reason)
            self.failed.append({"chapter_id": chapter_id, "title": title, "reason": reason})
        await self.flush()

    async def holding(self, text: str | None) -> None:
        """The host gate holds the job back (`text` says why) or lets it go again (None): said
        at once, as no page arrives to carry it while the job waits."""
        self.held = text
        await self.flush()

    async def flush(self, *, throttled: bool = False) -> None:
        """Write the counters (and find out whether the job is still ours); a `throttled` write
        is skipped within PROGRESS_INTERVAL of the last one."""
        now = self._clock()
        if throttled and now - self._flushed_at < PROGRESS_INTERVAL:
            return
        self._flushed_at = now
        p = self.progress
        chapter_now = min(p.ended_chapters + 1, p.total_chapters)
        text = f"Downloading: chapter {chapter_now} of {p.total_chapters}, {p.pages_done} pages"
        if self.held:
            text = f"{text}; {self.held}"
        ok = await self.store.transition(
            self.job_id,
            {PROGRESS},
            lease_owner=self.owner,
            status_text=text,
            progress=p.percent(),
            pages_total=p.pages_total,
            pages_done=p.pages_done,
            done_chapters=p.done_chapters,
            failed=self.failed,
        )
        if not ok:
            raise StandDown("job is no longer running")

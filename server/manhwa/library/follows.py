"""What a user does with follows, apart from HTTP: follow ("new chapters only" or "all
chapters from N"), unfollow, pause, check now, and the Library page's view of each follow.

Following reads the series once: "new chapters only" remembers the chapters there are now
(the baseline) and takes only those that come later. The first check is queued at once. A
follow keeps page options (`split_tall`, `encode`, as a download takes them) that every library
job of its checks carries; changing them applies to the chapters downloaded from then on.
"""

from __future__ import annotations

import asyncio
import time

from celery import Celery
from pydantic import BaseModel, Field
from redis.asyncio import Redis

from ..celery_app import enqueue_check
from ..config import Settings
from ..consumet import ConsumetClient
from ..errors import Conflict, InvalidInput, NotFound
from ..jobs import JobStatus, JobStore
from ..pageops.options import PLAIN, PageOptions, SplitTallBody, split_body
from ..providers import resolve_provider
from ..validation import check_id
from .checks import LOCK_SECONDS
from .store import ChapterFailure, Follow, FollowMode, IndexEntry, LibraryStore, follow_id


class FollowView(BaseModel):
    """A follow as the Library page shows it."""

    id: str
    source: str
    series_id: str
    title: str
    mode: FollowMode
    from_number: float | None
    split_tall: SplitTallBody | None = None
    encode: str = "original"
    paused: bool
    cover_url: str | None
    chapters_in_library: int
    new_chapters: int
    last_check: float | None
    next_check: float | None
    last_error: str | None
    failures: list[ChapterFailure] = Field(default_factory=list)
    job: JobStatus | None = None
    latest: list[IndexEntry] = Field(default_factory=list)


class Follows:
    def __init__(self, settings: Settings, redis: Redis, celery: Celery) -> None:
        self.settings = settings
        self.lib = LibraryStore(redis)
        self.jobs = JobStore(redis)
        self.celery = celery

    async def follow(
        self,
        consumet: ConsumetClient,
        source: str,
        series_id: str,
        mode: FollowMode,
        from_number: float | None,
        pages: PageOptions = PLAIN,
    ) -> FollowView:
        provider = resolve_provider(source)
        series_id = check_id(series_id, "series id")
        if mode == "from" and from_number is None:
            raise InvalidInput("from_number is required with mode 'from'")
        fid = follow_id(provider.name, series_id)
        if await self.lib.get_follow(fid) is not None:
            raise Conflict("this series is already followed")
        info = await consumet.info(provider, series_id)
        follow = Follow(
            id=fid,
            source=provider.name,
            series_id=series_id,
            title=info.title,
            mode=mode,
            from_number=from_number if mode == "from" else None,
            baseline=[c.id for c in info.chapters] if mode == "new" else [],
            split_tall=split_body(pages),
            encode=str(pages.encode),
            created_at=time.time(),
            # The first check is queued below; until it sets the real next time, beat must not
            # queue a second one (it would read the series again), as `checks.check_due` does.
            next_check=time.time() + LOCK_SECONDS,
        )
        await self.lib.save_follow(follow)
        await asyncio.to_thread(enqueue_check, self.celery, fid, True)
        return await self.view(follow)

    async def get(self, fid: str) -> Follow:
        follow = await self.lib.get_follow(fid) if fid.isalnum() else None
        if follow is None:
            raise NotFound("not followed")
        return follow

    async def find(self, source: str, series_id: str) -> FollowView | None:
        fid = follow_id(resolve_provider(source).name, series_id)
        follow = await self.lib.get_follow(fid)
        return await self.view(follow) if follow is not None else None

    async def unfollow(self, fid: str) -> None:
        """The chapters already in the library stay, and so does their index."""
        await self.get(fid)
        await self.lib.delete_follow(fid)

    async def pause(self, fid: str, paused: bool) -> FollowView:
        follow = await self.get(fid)
        follow.paused = paused
        if not paused and (follow.next_check is None or follow.next_check < time.time()):
            follow.next_check = time.time()
        await self.lib.save_follow(follow)
        return await self.view(follow)

    async def set_pages(self, fid: str, pages: PageOptions) -> FollowView:
        """New page options for the chapters its checks download from now on."""
        follow = await self.get(fid)
        follow.split_tall = split_body(pages)
        follow.encode = str(pages.encode)
        await self.lib.save_follow(follow)
        return await self.view(follow)

    async def check_now(self, fid: str) -> FollowView:
        follow = await self.get(fid)
        await asyncio.to_thread(enqueue_check, self.celery, fid, True)
        return await self.view(follow)

    async def list(self) -> list[FollowView]:
        return [await self.view(f) for f in await self.lib.follows()]

    async def view(self, follow: Follow) -> FollowView:
        entries = await self.lib.entries(follow.id)
        record = await self.lib.get_series(follow.id)
        job = await self.jobs.get(follow.pending_job) if follow.pending_job else None
        cover = f"/api/library/follows/{follow.id}/cover" if record and record.cover else None
        latest = sorted(entries, key=lambda e: e.added_at, reverse=True)[: follow.new_chapters]
        return FollowView(
            id=follow.id,
            source=follow.source,
            series_id=follow.series_id,
            title=follow.title or follow.series_id,
            mode=follow.mode,
            from_number=follow.from_number,
            split_tall=follow.split_tall,
            encode=follow.encode,
            paused=follow.paused,
            cover_url=cover,
            chapters_in_library=len(entries),
            new_chapters=follow.new_chapters,
            last_check=follow.last_check,
            next_check=None if follow.paused else follow.next_check,
            last_error=follow.last_error,
            failures=list(follow.failures.values()),
            job=job,
            latest=latest,
        )

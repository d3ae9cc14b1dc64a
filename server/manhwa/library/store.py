"""Follows, the library index, check locks and chapter failures in Redis: `LibraryStore` is their
only writer. Redis runs with persistence on (append-only), so all of it survives a restart; the
index can also be rebuilt from the folder (`scan`), and everything exported as JSON.

Keys (prefix `manhwa:library:`): `follows` set and `follow:{fid}` hash; `due` sorted set
(fid → next check); `series` set and `series:{fid}` hash (title, folder); `index:{fid}` hash
(chapter id → entry JSON); `checking:{fid}` a check's lock; `settled:{job}` a job settled once.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from typing import Any, Literal

from pydantic import BaseModel, Field
from redis.asyncio import Redis

from ..pageops.options import PLAIN, InvalidPageOptions, PageOptions, SplitTallBody
from ..pageops.options import options_from_fields as page_options

PREFIX = "manhwa:library:"
FollowMode = Literal["new", "from"]


def follow_id(source: str, series_id: str) -> str:
    """A short stable id for a (source, series) pair, safe in URLs and file names."""
    return hashlib.sha256(f"{source}\0{series_id}".encode()).hexdigest()[:16]


class ChapterRef(BaseModel):
    """A chapter of a followed series, as the source numbers and titles it."""

    chapter_id: str
    number: str | None = None
    title: str = ""


class ChapterFailure(ChapterRef):
    """A chapter that failed, why, and when a check tries it again."""

    reason: str
    attempts: int = 1
    next_try: float = 0.0


class Follow(BaseModel):
    """A followed series and the state of its checks (what the Library page shows)."""

    id: str
    source: str
    series_id: str
    title: str = ""
    mode: FollowMode = "new"
    from_number: float | None = None
    baseline: list[str] = Field(default_factory=list)
    paused: bool = False
    created_at: float = 0.0
    last_check: float | None = None
    next_check: float | None = None
    last_error: str | None = None
    new_chapters: int = 0
    pending_job: str | None = None
    failures: dict[str, ChapterFailure] = Field(default_factory=dict)
    # The page options its downloads get (as `POST /api/download`); a follow saved before they
    # existed has neither field and reads as the default, pages byte-exact.
    split_tall: SplitTallBody | None = None
    encode: str = "original"

    def page_options(self) -> PageOptions:
        """The options its library jobs carry; a stored value no longer valid reads as none."""
        try:
            return page_options(self.split_tall, self.encode)
        except InvalidPageOptions:
            return PLAIN


class IndexEntry(ChapterRef):
    """One chapter CBZ in the library."""

    volume: str | None = None
    file: str  # relative to LIBRARY_DIR, POSIX
    pages: int = 0
    size: int = 0
    added_at: float = 0.0


class SeriesRecord(BaseModel):
    id: str
    source: str
    series_id: str
    title: str
    folder: str
    cover: bool = False


# Stored as JSON, and what a missing or empty one reads as.
_FOLLOW_JSON = {"baseline": "[]", "failures": "{}", "split_tall": "null"}


class LibraryStore:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    # --- follows ----------------------------------------------------------------------------
    async def save_follow(self, follow: Follow) -> None:
        data = follow.model_dump()
        mapping: dict[Any, Any] = {}
        for key, value in data.items():
            if key in _FOLLOW_JSON:
                mapping[key] = json.dumps(value)
            elif isinstance(value, bool):
                mapping[key] = "1" if value else "0"
            elif value is None:
                mapping[key] = ""
            else:
                mapping[key] = repr(value) if isinstance(value, float) else str(value)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(f"{PREFIX}follow:{follow.id}", mapping=mapping)
            pipe.sadd(f"{PREFIX}follows", follow.id)
            if follow.next_check is not None and not follow.paused:
                pipe.zadd(f"{PREFIX}due", {follow.id: follow.next_check})
            else:
                pipe.zrem(f"{PREFIX}due", follow.id)
            await pipe.execute()

    async def get_follow(self, fid: str) -> Follow | None:
        raw = await self.redis.hgetall(f"{PREFIX}follow:{fid}")
        if not raw:
            return None
        data: dict[str, Any] = {}
        for raw_key, value in raw.items():
            key = str(raw_key)
            if key in _FOLLOW_JSON:
                data[key] = json.loads(value or _FOLLOW_JSON[key])
            elif key == "paused":
                data[key] = value == "1"
            elif value == "":
                continue
            else:
                data[key] = value
        return Follow.model_validate(data)

    async def follows(self) -> list[Follow]:
        out = []
        for fid in sorted(await self.redis.smembers(f"{PREFIX}follows")):
            follow = await self.get_follow(str(fid))
            if follow is not None:
                out.append(follow)
        return sorted(out, key=lambda f: f.title.casefold())

    async def delete_follow(self, fid: str) -> bool:
        """Unfollow: the follow goes, the chapters already in the library and their index stay."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(f"{PREFIX}follow:{fid}")
            pipe.srem(f"{PREFIX}follows", fid)
            pipe.zrem(f"{PREFIX}due", fid)
            removed = await pipe.execute()
        return bool(removed[1])

    async def due(self, now: float, limit: int = 1000) -> list[str]:
        ids = await self.redis.zrangebyscore(f"{PREFIX}due", "-inf", now, start=0, num=limit)
        return [str(i) for i in ids]

    async def postpone(self, fid: str, until: float) -> None:
        """Move a follow's due time (a check is queued; the check sets the real next one)."""
        await self.redis.zadd(f"{PREFIX}due", {fid: until}, xx=True)

    # --- checks -----------------------------------------------------------------------------
    async def lock_check(self, fid: str, seconds: int) -> str | None:
        """One check of a series at a time: a token if this caller may check, else None."""
        token = secrets.token_hex(8)
        if await self.redis.set(f"{PREFIX}checking:{fid}", token, nx=True, ex=seconds):
            return token
        return None

    async def unlock_check(self, fid: str, token: str) -> None:
        script = (
            "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end "
            "return 0"
        )
        await self.redis.eval(script, 1, f"{PREFIX}checking:{fid}", token)

    async def settle_once(self, job_id: str) -> bool:
        """True the first time a library job is settled (files indexed, user told)."""
        return bool(
            await self.redis.set(f"{PREFIX}settled:{job_id}", "1", nx=True, ex=30 * 24 * 3600)
        )

    # --- index ------------------------------------------------------------------------------
    async def save_series(self, record: SeriesRecord) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(f"{PREFIX}series:{record.id}", mapping=_strings(record.model_dump()))
            pipe.sadd(f"{PREFIX}series", record.id)
            await pipe.execute()

    async def get_series(self, fid: str) -> SeriesRecord | None:
        raw = await self.redis.hgetall(f"{PREFIX}series:{fid}")
        if not raw:
            return None
        data: dict[str, Any] = {str(k): str(v) for k, v in raw.items()}
        data["cover"] = data.get("cover") == "1"
        return SeriesRecord.model_validate(data)

    async def all_series(self) -> list[SeriesRecord]:
        out = []
        for fid in await self.redis.smembers(f"{PREFIX}series"):
            record = await self.get_series(str(fid))
            if record is not None:
                out.append(record)
        return sorted(out, key=lambda r: r.title.casefold())

    async def add_entry(self, fid: str, entry: IndexEntry) -> None:
        await self.redis.hset(f"{PREFIX}index:{fid}", entry.chapter_id, entry.model_dump_json())

    async def entries(self, fid: str) -> list[IndexEntry]:
        raw = await self.redis.hgetall(f"{PREFIX}index:{fid}")
        entries = [IndexEntry.model_validate_json(v) for v in raw.values()]
        return sorted(entries, key=_entry_order)

    async def entry(self, fid: str, chapter_id: str) -> IndexEntry | None:
        raw = await self.redis.hget(f"{PREFIX}index:{fid}", chapter_id)
        return IndexEntry.model_validate_json(raw) if raw else None

    async def clear_index(self) -> None:
        """Forget the whole index (before a rebuild from the folder); follows stay."""
        for fid in await self.redis.smembers(f"{PREFIX}series"):
            await self.redis.delete(f"{PREFIX}index:{fid!s}", f"{PREFIX}series:{fid!s}")
        await self.redis.delete(f"{PREFIX}series")


def _entry_order(entry: IndexEntry) -> tuple[float, str]:
    try:
        return (float(entry.number) if entry.number else float("inf"), entry.file)
    except ValueError:
        return (float("inf"), entry.file)


def _strings(data: dict[str, Any]) -> dict[Any, Any]:
    out: dict[Any, Any] = {}
    for key, value in data.items():
        if isinstance(value, bool):
            out[key] = "1" if value else "0"
        else:
            out[key] = "" if value is None else str(value)
    return out


def now() -> float:
    return time.time()

"""Job records, leases and progress events in Redis: the source of truth the API reads.

Keys (prefix `manhwa:`): `job:{id}` hash, `jobs` sorted set by creation time, `dedup:{key}`
→ job id, `lease:{id}` → owner (short TTL, renewed while a worker runs the job),
`serving:{id}` → transfers in flight, channel `events:{id}` for progress.

Over 300 lines on purpose: `JobStore` is the only writer of these keys (cleanup, the CLI, the
API and the workers all call it), so every key's rules sit in this one module.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections import Counter
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal, cast, get_args

from pydantic import BaseModel, Field
from redis.asyncio import Redis

from .models import FORMATS, LAYOUTS, Format, Layout
from .pageops.options import PLAIN, PageOptions, SplitTallBody, split_body
from .storage import DownloadFolder

if TYPE_CHECKING:
    from .celery_app import QueuedMessage

PREFIX = "manhwa:"
Destination = Literal["downloads", "library"]
"""Where a job's chapters go: an archive in the download folder, or the library (kept)."""
JobState = Literal["PENDING", "PROGRESS", "SUCCESS", "FAILURE", "CANCELLED", "EXPIRED"]
PENDING: Final = "PENDING"
PROGRESS: Final = "PROGRESS"
SUCCESS: Final = "SUCCESS"
FAILURE: Final = "FAILURE"
CANCELLED: Final = "CANCELLED"
EXPIRED: Final = "EXPIRED"
STATES: frozenset[JobState] = frozenset(get_args(JobState))
ACTIVE: frozenset[JobState] = frozenset({PENDING, PROGRESS})
FINAL: frozenset[JobState] = frozenset({SUCCESS, FAILURE, CANCELLED, EXPIRED})

# Sets fields only when the current state is one of the expected ones: the finish happens once.
# With a second key (a lease) and an owner, only while that owner holds the lease, so a worker
# that lost its lease (stalled past it; another worker took the job over) cannot write.
_CAS = """
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return 0 end
if KEYS[2] and redis.call('GET', KEYS[2]) ~= ARGV[3] then return 0 end
local expected = cjson.decode(ARGV[1])
for _, s in ipairs(expected) do
  if s == state then
    local fields = cjson.decode(ARGV[2])
    for k, v in pairs(fields) do redis.call('HSET', KEYS[1], k, v) end
    return 1
  end
end
return 0
"""
# Renews or drops a lease only while we still own it.
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
# Counts a delivery in the job's record, never creating a record for a deleted job.
_ATTEMPT = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return redis.call('HINCRBY', KEYS[1], 'attempts', 1)
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
# Registers a job unless an equal one answers. KEYS: dedup key, index, the new record. ARGV: new
# id, dedup TTL (s), created_at, the equal job's id the caller chose to replace ('' none), the
# number of fields, the fields (name, value)…, then the commands that queue the job (name, number
# of arguments, arguments…), run first so that an error leaves nothing half written.
# → {new id}, or {equal id, its record} when that job is queued, running or SUCCESS (the caller
# checks a SUCCESS job's file and may call again to replace it).
_CREATE = f"""
local existing = redis.call('GET', KEYS[1])
if existing and existing ~= ARGV[4] then
  local raw = redis.call('HGETALL', '{PREFIX}job:' .. existing)
  for i = 1, #raw, 2 do
    if raw[i] == 'state' then
      local s = raw[i + 1]
      if s == '{PENDING}' or s == '{PROGRESS}' or s == '{SUCCESS}' then return {{existing, raw}} end
      break
    end
  end
end
local fields = 5 + 2 * tonumber(ARGV[5])
local i = fields + 1
while i <= #ARGV do
  local count = tonumber(ARGV[i + 1])
  redis.call(ARGV[i], unpack(ARGV, i + 2, i + 1 + count))
  i = i + 2 + count
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('HSET', KEYS[3], unpack(ARGV, 6, fields))
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return {{ARGV[1]}}
"""
_DEDUP_SECONDS = 7 * 24 * 3600


def new_job_id() -> str:
    """Unguessable: 128 random bits, URL-safe."""
    return secrets.token_urlsafe(16)


@dataclass(frozen=True)
class JobSpec:
    source: str
    ids: tuple[str, ...]
    format: Format = "cbz"
    layout: Layout = "auto"
    title: str | None = None
    series_id: str | None = None
    destination: Destination = "downloads"
    pages: PageOptions = PLAIN

    def dedup_key(self) -> str:
        fields: list[object] = [
            self.source, list(self.ids), self.format, self.layout, self.title, self.series_id
        ]  # fmt: skip
        if self.destination != "downloads":  # download jobs keep the keys they always had
            fields.append(self.destination)
        if self.pages.active:  # plain jobs keep the keys they always had
            fields.append(self.pages.to_json())
        raw = json.dumps(fields)
        return hashlib.sha256(raw.encode()).hexdigest()


class FailedChapter(BaseModel):
    chapter_id: str
    title: str
    reason: str


class JobStatus(BaseModel):
    """What `GET /api/download/status/{id}` answers."""

    task_id: str
    state: JobState
    status: str
    progress: float = 0.0
    total_chapters: int = 0
    done_chapters: int = 0
    pages_total: int = 0
    pages_done: int = 0
    failed: list[FailedChapter] = Field(default_factory=list)
    file_name: str | None = None
    size: int | None = None
    source: str
    title: str | None = None
    series_id: str | None = None
    format: Format
    layout: Layout = "auto"
    destination: Destination = "downloads"
    chapter_ids: list[str] = Field(default_factory=list)
    split_tall: SplitTallBody | None = None
    encode: str = "original"
    celery_task_id: str | None = None
    created_at: float
    updated_at: float
    finished_at: float | None = None
    expires_at: float | None = None
    download_url: str | None = None
    error: str | None = None

    def page_options(self) -> PageOptions:
        """What the job does to its pages (`PLAIN` for a job recorded before page options)."""
        return PageOptions.from_json(
            {
                "split_tall": self.split_tall.model_dump() if self.split_tall else None,
                "encode": self.encode,
            }
        )


def _float(value: str | None) -> float | None:
    return float(value) if value not in (None, "") else None


def _int(value: str | None) -> int:
    return int(value) if value not in (None, "") else 0


def _request_shape(raw: Mapping[str, str], strict: bool) -> tuple[Format, Layout]:
    """The record's format and layout. A value this version does not know (a record written by a
    newer one, or spoiled) is a ValueError when `strict` (a worker must not guess what to build:
    its delivery dies and `attempts.py` ends the job); the status view shows the defaults, so
    the job and its error stay visible instead of a 500."""
    fmt, layout = raw.get("format") or "cbz", raw.get("layout") or "auto"
    if fmt not in FORMATS:
        if strict:
            raise ValueError(f"unknown format {fmt!r}")
        fmt = "cbz"
    if layout not in LAYOUTS:
        if strict:
            raise ValueError(f"unknown layout {layout!r}")
        layout = "auto"
    return cast(Format, fmt), cast(Layout, layout)


def _page_options(raw: Mapping[str, str], strict: bool) -> PageOptions:
    """The record's page options, under the same rule as `_request_shape`: options this version
    cannot read are a ValueError when `strict` (the worker must not build plain pages for a job
    that asked for shaped ones); the status view shows them as plain."""
    try:
        return PageOptions.from_json(json.loads(raw.get("page_options") or "null"))
    except ValueError:  # InvalidPageOptions and JSONDecodeError are both ValueErrors
        if strict:
            raise
        return PLAIN


def to_status(raw: Mapping[str, str], *, strict: bool = False) -> JobStatus:
    state = cast(JobState, raw["state"])  # validated by JobStatus below
    job_id = raw["task_id"]
    has_file = state == SUCCESS and raw.get("destination") != "library"  # library: no archive
    size = raw.get("size")
    fmt, layout = _request_shape(raw, strict)
    pages = _page_options(raw, strict)
    return JobStatus(
        task_id=job_id,
        state=state,
        status=raw.get("status_text") or state.title(),
        progress=float(raw.get("progress") or 0),
        total_chapters=_int(raw.get("total_chapters")),
        done_chapters=_int(raw.get("done_chapters")),
        pages_total=_int(raw.get("pages_total")),
        pages_done=_int(raw.get("pages_done")),
        failed=[FailedChapter(**f) for f in json.loads(raw.get("failed") or "[]")],
        file_name=raw.get("file_name") or None,
        size=int(size) if size else None,
        source=raw["source"],
        title=raw.get("title") or None,
        series_id=raw.get("series_id") or None,
        format=fmt,
        layout=layout,
        destination=cast(Destination, raw.get("destination") or "downloads"),
        chapter_ids=json.loads(raw.get("ids") or "[]"),
        split_tall=split_body(pages),
        encode=str(pages.encode),
        celery_task_id=raw.get("celery_task_id") or None,
        created_at=float(raw["created_at"]),
        updated_at=float(raw.get("updated_at") or raw["created_at"]),
        finished_at=_float(raw.get("finished_at")),
        expires_at=_float(raw.get("expires_at")),
        download_url=f"/api/download/file/{job_id}" if has_file else None,
        error=raw.get("error") or None,
    )


class JobStore:
    """All reads and writes of job state go through here."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._create = redis.register_script(_CREATE)

    @staticmethod
    def key(job_id: str) -> str:
        return f"{PREFIX}job:{job_id}"

    @staticmethod
    def channel(job_id: str) -> str:
        return f"{PREFIX}events:{job_id}"

    async def create_or_get(
        self, spec: JobSpec, folder: DownloadFolder | None = None
    ) -> tuple[str, bool]:
        """A new job, or the equal one still queued, running or with its file on disk (see
        `create_or_get_job`); its id and whether it is new."""
        job, created = await self.create_or_get_job(spec, folder)
        return job.task_id, created

    async def create_or_get_job(
        self,
        spec: JobSpec,
        folder: DownloadFolder | None = None,
        message: Callable[[str], QueuedMessage] | None = None,
    ) -> tuple[JobStatus, bool]:
        """A new job, or the equal one still queued, running or with its file on disk; the flag
        says whether it is new.

        `folder` is asked whether an equal SUCCESS job's file is still there; without one, only
        a queued or running job answers an equal request. `message` makes the new job's queue
        message (see `celery_app.DownloadMessages`): its commands run in the same atomic script
        as the record, so a job is never recorded without its message nor queued without its
        record, in one round trip.
        """
        dedup = f"{PREFIX}dedup:{spec.dedup_key()}"
        job_id = new_job_id()
        queued = message(job_id) if message else None
        fields = _new_record(job_id, spec, dedup, queued.task_id if queued else None)
        args: list[Any] = [job_id, _DEDUP_SECONDS, fields["created_at"], "", len(fields)]
        for pair in fields.items():
            args += pair
        for name, command_args in queued.commands if queued else ():
            args += [name, len(command_args), *command_args]
        for _ in range(5):
            reply = await self._create([dedup, f"{PREFIX}jobs", self.key(job_id)], args)
            if reply[0] == job_id:
                return to_status(fields), True
            flat = reply[1]
            raw = {str(k): str(v) for k, v in zip(flat[::2], flat[1::2], strict=True)}
            if raw["state"] in ACTIVE or _has_file(raw, folder):
                return to_status(raw), False
            # The equal job ended without its file (a changed DOWNLOAD_DIR, a manual delete):
            # replace it, unless another request replaced it meanwhile (the script checks).
            args[3] = reply[0]
        raise RuntimeError("could not register the job")

    async def get_raw(self, job_id: str) -> dict[str, str] | None:
        raw = await self.redis.hgetall(self.key(job_id))
        return {str(k): str(v) for k, v in raw.items()} or None

    async def get(self, job_id: str, *, strict: bool = False) -> JobStatus | None:
        """The job's status; `strict` (the worker) refuses a format or layout it does not know."""
        raw = await self.get_raw(job_id)
        return to_status(raw, strict=strict) if raw else None

    async def update(self, job_id: str, **fields: Any) -> None:
        """Write fields and tell listeners; values are stored as strings."""
        fields["updated_at"] = time.time()
        mapping: dict[Any, Any] = {k: _encode(v) for k, v in fields.items()}
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hset(self.key(job_id), mapping=mapping)
            pipe.publish(self.channel(job_id), mapping.get("state", "progress"))
            await pipe.execute()

    async def transition(
        self,
        job_id: str,
        expected: Collection[JobState],
        *,
        lease_owner: str | None = None,
        **fields: Any,
    ) -> bool:
        """Compare-and-set on the state: write `fields` only if the state is in `expected`
        (and, given `lease_owner`, only while that owner holds the job's lease)."""
        fields["updated_at"] = time.time()
        mapping: dict[Any, Any] = {k: _encode(v) for k, v in fields.items()}
        keys = [self.key(job_id)]
        args = [json.dumps(sorted(expected)), json.dumps(mapping)]
        if lease_owner is not None:
            keys.append(f"{PREFIX}lease:{job_id}")
            args.append(lease_owner)
        done = await self.redis.eval(_CAS, len(keys), *keys, *args)
        if done:
            await self.redis.publish(self.channel(job_id), mapping.get("state", "progress"))
        return bool(done)

    async def fail(self, job_id: str, reason: str, *, lease_owner: str | None = None) -> bool:
        """End a queued or running job FAILURE with `reason` (a compare-and-set, as above)."""
        return await self.transition(
            job_id,
            ACTIVE,
            lease_owner=lease_owner,
            state=FAILURE,
            status_text=f"Failed: {reason}",
            error=reason,
            finished_at=time.time(),
        )

    @staticmethod
    def job_id_of_channel(channel: str) -> str | None:
        """The job id an event channel belongs to (None for another channel)."""
        head = f"{PREFIX}events:"
        return channel[len(head) :] if channel.startswith(head) else None

    async def get_many(self, job_ids: list[str]) -> dict[str, JobStatus]:
        """Several jobs in one round trip (one pipeline); unknown ids are left out."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for job_id in job_ids:
                pipe.hgetall(self.key(job_id))
            raws = await pipe.execute()
        out: dict[str, JobStatus] = {}
        for job_id, raw in zip(job_ids, raws, strict=True):
            if raw:
                out[job_id] = to_status({str(k): str(v) for k, v in raw.items()})
        return out

    async def recent(self, limit: int = 50) -> list[JobStatus]:
        ids = await self.redis.zrevrange(f"{PREFIX}jobs", 0, max(0, limit - 1))
        out: list[JobStatus] = []
        for job_id in ids:
            status = await self.get(str(job_id))
            if status is not None:
                out.append(status)
        return out

    async def all_ids(self) -> list[str]:
        return [str(i) for i in await self.redis.zrange(f"{PREFIX}jobs", 0, -1)]

    async def delete(self, job_id: str) -> None:
        """Forget a job: its record and its place in the index (its files are storage's)."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(self.key(job_id))
            pipe.zrem(f"{PREFIX}jobs", job_id)
            await pipe.execute()

    async def count_by_state(self) -> dict[JobState, int]:
        """How many jobs are in each state (`manhwa status`)."""
        counts: Counter[JobState] = Counter()
        for job_id in await self.all_ids():
            state = await self.redis.hget(self.key(job_id), "state")
            if state in STATES:
                counts[state] += 1
        return dict(counts)

    async def record_attempt(self, job_id: str) -> int:
        """One more delivery started running the job (see attempts.py); the new count."""
        return int(await self.redis.eval(_ATTEMPT, 1, self.key(job_id)))

    # Leases: one live owner per job; a dead owner's lease expires and the watchdog re-enqueues.
    async def acquire_lease(self, job_id: str, owner: str, seconds: int) -> bool:
        return bool(await self.redis.set(f"{PREFIX}lease:{job_id}", owner, nx=True, ex=seconds))

    async def renew_lease(self, job_id: str, owner: str, seconds: int) -> bool:
        renewed = await self.redis.eval(
            _RENEW, 1, f"{PREFIX}lease:{job_id}", owner, str(seconds * 1000)
        )
        return bool(renewed)

    async def release_lease(self, job_id: str, owner: str) -> None:
        await self.redis.eval(_RELEASE, 1, f"{PREFIX}lease:{job_id}", owner)

    async def lease_owner(self, job_id: str) -> str | None:
        owner = await self.redis.get(f"{PREFIX}lease:{job_id}")
        return str(owner) if owner is not None else None

    # Transfers in flight: cleanup waits while any is open.
    async def serving_begin(self, job_id: str) -> None:
        key = f"{PREFIX}serving:{job_id}"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, 3600)
            await pipe.execute()

    async def serving_end(self, job_id: str) -> None:
        key = f"{PREFIX}serving:{job_id}"
        if await self.redis.decr(key) <= 0:
            await self.redis.delete(key)

    async def serving_count(self, job_id: str) -> int:
        value = await self.redis.get(f"{PREFIX}serving:{job_id}")
        return int(value) if value else 0


def _new_record(
    job_id: str, spec: JobSpec, dedup: str, celery_task_id: str | None
) -> dict[str, str]:
    """A queued job's record, as `to_status` reads it."""
    now = repr(time.time())
    fields = {
        "task_id": job_id,
        "state": PENDING,
        "status_text": "Queued",
        "source": spec.source,
        "ids": json.dumps(list(spec.ids)),
        "format": spec.format,
        "layout": spec.layout,
        "destination": spec.destination,
        "title": spec.title or "",
        "series_id": spec.series_id or "",
        "total_chapters": str(len(spec.ids)),
        "done_chapters": "0",
        "pages_total": "0",
        "pages_done": "0",
        "progress": "0",
        "failed": "[]",
        "created_at": now,
        "updated_at": now,
        "dedup_key": dedup,
    }
    if celery_task_id:
        fields["celery_task_id"] = celery_task_id
    if spec.pages.active:
        fields["page_options"] = json.dumps(spec.pages.to_json())
    return fields


def _has_file(raw: Mapping[str, str], folder: DownloadFolder | None) -> bool:
    """A SUCCESS job whose file is really on disk: only then does it answer an equal request."""
    return (
        raw["state"] == SUCCESS and folder is not None and folder.has_archive(raw.get("file_path"))
    )


def _encode(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return repr(value)
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return json.dumps(value)
    return str(value)

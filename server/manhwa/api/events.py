"""One Server-Sent Events stream for many jobs: what the Downloads page follows.

A browser allows six connections per host over HTTP/1.1; one stream per job card used them all
up with a few dozen jobs, and every other request (Cancel, health) waited behind them. This
stream multiplexes: each `progress` event carries one job's whole status (its `task_id` says
which). The per-job stream (`/api/download/events/{id}`) stays for scripts.

Resuming: every event's `id` is the newest `updated_at` sent so far. A client that reconnects
with `Last-Event-ID` (EventSource does so by itself) gets only the jobs changed since then, less
RESUME_MARGIN_SECONDS: a snapshot sent twice is harmless, a missed one is not, and workers on
other hosts stamp `updated_at` with their own clocks.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse

from ..errors import InvalidInput
from ..jobs import FINAL, JobStatus, JobStore
from .deps import ServicesDep

router = APIRouter(prefix="/api", tags=["downloads"])

MAX_IDS = 60  # the Downloads page lists 50 jobs
# 60 ids of 22 characters and their commas. It also keeps the URL small: uvicorn refuses a
# request line over 16 KiB with a plain-text 400, before the app can answer in JSON.
MAX_IDS_CHARS = 1400
RESUME_MARGIN_SECONDS = 5.0
FLUSH_SECONDS = 0.1  # at most ten rounds of events a second per stream
SWEEP_SECONDS = 1.0  # active jobs re-read even without a message (pub/sub is fire-and-forget)
KEEPALIVE_SECONDS = 15.0
RECONNECT_MS = 2000
_JOB_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def _parse_ids(ids: str) -> list[str]:
    parsed = list(dict.fromkeys(part.strip() for part in ids.split(",") if part.strip()))
    if not parsed:
        raise InvalidInput("ids: give at least one job id")
    if len(parsed) > MAX_IDS:
        raise InvalidInput(f"ids: at most {MAX_IDS} jobs per stream, got {len(parsed)}")
    for job_id in parsed:
        if not _JOB_ID.match(job_id):
            raise InvalidInput("ids: not a job id")
    return parsed


def _parse_cursor(value: str | None) -> float | None:
    """The `Last-Event-ID` we sent (an epoch time); anything else means "start afresh"."""
    try:
        cursor = float(value) if value else None
    except ValueError:
        return None
    return cursor if cursor is not None and cursor == cursor and cursor >= 0 else None


@router.get(
    "/downloads/events",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/event-stream": {}}, "description": "events of many jobs"},
        422: {"description": "bad ids"},
    },
)
async def downloads_events(
    request: Request,
    services: ServicesDep,
    ids: Annotated[
        str, Query(max_length=MAX_IDS_CHARS, description="comma-separated job ids (at most 60)")
    ],
    last_event_id: Annotated[
        str | None, Query(max_length=40, description="resume after this event id")
    ] = None,
    last_event_id_header: Annotated[
        str | None, Header(alias="Last-Event-ID", max_length=40, include_in_schema=False)
    ] = None,
) -> StreamingResponse:
    """`event: progress` (data: a job's status) for each job, then on every change;
    `event: gone` for an unknown id; `event: end` once every listed job is final."""
    followed = _parse_ids(ids)
    since = _parse_cursor(last_event_id_header or last_event_id)
    return StreamingResponse(
        _stream(services.store, followed, since, request),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _frame(event: str, data: object, event_id: float | None = None) -> bytes:
    head = f"id: {event_id!r}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data)}\n\n".encode()


async def _stream(
    store: JobStore, ids: list[str], since: float | None, request: Request
) -> AsyncIterator[bytes]:
    """Snapshots first (only the changed ones when resuming), then changes until every job is
    final or the client leaves. Always bounded by its jobs: a stream of "every job" would never
    end, and a script (or the API fuzzer) reading it would hang."""
    pubsub = store.redis.pubsub()
    await pubsub.subscribe(*(store.channel(job_id) for job_id in ids))
    try:
        yield f"retry: {RECONNECT_MS}\n\n".encode()
        cursor = since or 0.0
        sent: dict[str, float] = {}
        states: dict[str, str] = {}
        first = await store.get_many(ids)
        for job_id in ids:
            job = first.get(job_id)
            if job is None:
                states[job_id] = "GONE"
                yield _frame("gone", {"task_id": job_id})
                continue
            states[job_id] = job.state
            if since is not None and job.updated_at <= since - RESUME_MARGIN_SECONDS:
                sent[job_id] = job.updated_at
                continue
            cursor = max(cursor, job.updated_at)
            sent[job_id] = job.updated_at
            yield _frame("progress", _payload(job), cursor)

        dirty: set[str] = set()
        last_flush = last_sweep = last_write = time.monotonic()
        while True:
            if all(s in FINAL or s == "GONE" for s in states.values()):
                yield _frame("end", {"task_ids": list(states)}, cursor)
                return
            message = await pubsub.get_message(
                ignore_subscribe_messages=True, timeout=FLUSH_SECONDS if dirty else 0.25
            )
            while message is not None:
                changed = store.job_id_of_channel(str(message.get("channel", "")))
                if changed is not None and changed in states:
                    dirty.add(changed)
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0)
            if await request.is_disconnected():
                return
            now = time.monotonic()
            if now - last_sweep >= SWEEP_SECONDS:
                dirty.update(j for j, s in states.items() if s not in FINAL and s != "GONE")
                last_sweep = now
            if dirty and now - last_flush >= FLUSH_SECONDS:
                fresh = await store.get_many(sorted(dirty))
                dirty.clear()
                last_flush = now
                for job_id, job in sorted(fresh.items(), key=lambda item: item[1].updated_at):
                    states[job_id] = job.state
                    if sent.get(job_id) == job.updated_at:
                        continue
                    sent[job_id] = job.updated_at
                    cursor = max(cursor, job.updated_at)
                    last_write = now
                    yield _frame("progress", _payload(job), cursor)
            if now - last_write >= KEEPALIVE_SECONDS:
                last_write = now
                yield b": keep-alive\n\n"
    finally:
        await pubsub.aclose()  # type: ignore[no-untyped-call]


def _payload(job: JobStatus) -> dict[str, object]:
    return job.model_dump()

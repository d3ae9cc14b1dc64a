"""Download jobs: create (coalescing equal requests), status, live events, file, cancel, retry."""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any, Literal

import aiofiles
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field, ValidationError
from starlette.types import Receive, Scope, Send

from ..errors import BadRequest, Conflict, Gone, NotFound
from ..jobs import ACTIVE, CANCELLED, EXPIRED, FINAL, SUCCESS, JobSpec, JobStatus
from ..names import content_disposition
from ..providers import resolve_provider
from ..validation import check_id, check_title
from .deps import Services, ServicesDep

router = APIRouter(prefix="/api", tags=["downloads"])
_JOB_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
CHUNK = 256 * 1024


class DownloadRequest(BaseModel):
    """Body of POST /api/download (JSON; the original form/query `ids[]` + `source` works too)."""

    source: str | int = Field(description="provider name, or its index in GET /api/sources")
    ids: list[str] = Field(min_length=1, description="chapter ids, in any order")
    format: Literal["cbz", "zip", "pdf"] = "cbz"
    layout: Literal["auto", "per-chapter"] = "auto"
    title: str | None = Field(default=None, max_length=300)
    series_id: str | None = Field(default=None, max_length=200)


class Enqueued(BaseModel):
    task_id: str
    celery_task_id: str | None
    status: str
    message: str
    deduplicated: bool


class JobList(BaseModel):
    jobs: list[JobStatus]


_BODY_SCHEMA = {
    "requestBody": {
        "required": False,
        "content": {
            "application/json": {"schema": DownloadRequest.model_json_schema()},
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "source": {"type": "string"},
                        "ids[]": {"type": "array", "items": {"type": "string"}},
                    },
                }
            },
        },
    }
}


async def _read_request(request: Request) -> dict[str, Any]:
    """JSON body, or the original client's form/query fields (`ids[]`, `source`)."""
    content_type = request.headers.get("content-type", "")
    data: dict[str, Any] = {}
    if "json" in content_type:
        try:
            body = await request.json()
        except (ValueError, UnicodeDecodeError, RecursionError):  # nested 100000 deep, say
            raise BadRequest("body is not valid JSON") from None
        if not isinstance(body, dict):
            raise BadRequest("body must be a JSON object")
        data.update(body)
    elif "form" in content_type:
        form = await request.form()
        for key in set(form.keys()):
            values = [v for v in form.getlist(key) if isinstance(v, str)]
            _merge(data, key, values)
    for key in set(request.query_params.keys()):
        _merge(data, key, request.query_params.getlist(key))
    return data


def _merge(data: dict[str, Any], key: str, values: list[str]) -> None:
    if key in ("ids[]", "ids"):
        data.setdefault("ids", [])
        if isinstance(data["ids"], list):
            data["ids"].extend(values)
    elif key not in data and values:
        data[key] = values[0]


def _validate(data: dict[str, Any], services: Services) -> JobSpec:
    try:
        req = DownloadRequest.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise BadRequest(f"{where}: {first['msg']}") from None
    try:
        provider = resolve_provider(req.source)
    except NotFound as exc:
        raise BadRequest(exc.detail) from None
    limit = services.settings.max_chapters_per_job
    ids = list(dict.fromkeys(req.ids))
    if len(ids) > limit:  # counted before each id is checked: a huge list costs nothing more
        raise BadRequest(f"ids: at most {limit} chapters per download, got {len(ids)}")
    ids = [check_id(i) for i in ids]
    return JobSpec(
        source=provider.name,
        ids=tuple(ids),
        format=req.format,
        layout=req.layout,
        title=check_title(req.title),
        series_id=check_id(req.series_id, "series id") if req.series_id else None,
    )


async def _enqueue(services: Services, spec: JobSpec) -> JSONResponse:
    job_id, created = await services.store.create_or_get(spec)
    if created:
        try:
            result = await asyncio.to_thread(
                services.celery.send_task,
                "downloads.fetch_chapters",
                args=[job_id],
                queue="downloads",
            )
        except Exception as exc:
            await services.store.transition(
                job_id, ACTIVE, state="FAILURE", error="could not queue", status_text="Failed"
            )
            raise Conflict(f"could not queue the job: {type(exc).__name__}") from exc
        await services.store.update(job_id, celery_task_id=str(result.id))
    job = await _job(services, job_id)
    message = (
        f"queued {len(spec.ids)} chapter(s)" if created else "an equal job exists; returning it"
    )
    body = Enqueued(
        task_id=job_id,
        celery_task_id=job.celery_task_id,
        status=job.state,
        message=message,
        deduplicated=not created,
    )
    return JSONResponse(body.model_dump(), status_code=202)


async def _job(services: Services, job_id: str) -> JobStatus:
    if not _JOB_ID.match(job_id):
        raise NotFound("unknown task id")
    job = await services.store.get(job_id)
    if job is None:
        raise NotFound("unknown task id")
    return job


@router.post(
    "/download",
    status_code=202,
    response_model=Enqueued,
    openapi_extra=_BODY_SCHEMA,
    responses={422: {"description": "invalid request"}},
)
async def create_download(request: Request, services: ServicesDep) -> JSONResponse:
    spec = _validate(await _read_request(request), services)
    return await _enqueue(services, spec)


@router.get("/download/status/{task_id}")
async def status(task_id: str, services: ServicesDep) -> JobStatus:
    return await _job(services, task_id)


@router.get("/downloads")
async def recent(services: ServicesDep, limit: Annotated[int, Query(ge=1, le=500)] = 50) -> JobList:
    return JobList(jobs=await services.store.recent(limit))


@router.get(
    "/download/events/{task_id}",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def events(task_id: str, request: Request, services: ServicesDep) -> StreamingResponse:
    await _job(services, task_id)
    return StreamingResponse(
        _event_stream(services, task_id, request),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _sse(job: JobStatus) -> bytes:
    return f"event: progress\ndata: {json.dumps(job.model_dump())}\n\n".encode()


async def _event_stream(services: Services, task_id: str, request: Request) -> AsyncIterator[bytes]:
    """Current state first, then every change (at most ~10 a second), until a final state."""
    pubsub = services.redis.pubsub()
    await pubsub.subscribe(services.store.channel(task_id))
    try:
        job = await services.store.get(task_id)
        if job is None:
            return
        yield _sse(job)
        last_sent, last_time, idle = job.updated_at, time.monotonic(), 0.0
        while job.state not in FINAL:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.25)
            if await request.is_disconnected():
                return
            if message is None:
                idle += 0.25
            job = await services.store.get(task_id)
            if job is None:
                return
            now = time.monotonic()
            changed = job.updated_at != last_sent
            if changed and (job.state in FINAL or now - last_time >= 0.1):
                yield _sse(job)
                last_sent, last_time, idle = job.updated_at, now, 0.0
            elif idle >= 15:
                yield b": keep-alive\n\n"
                idle = 0.0
    finally:
        await pubsub.unsubscribe()
        await pubsub.aclose()  # type: ignore[no-untyped-call]


def _parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """One `bytes=a-b` range (the form browsers send to resume); None for the whole file."""
    if not header:
        return None
    match = re.fullmatch(r"bytes=(\d*)-(\d*)", header.strip())
    if not match or (not match.group(1) and not match.group(2)):
        return None
    start_s, end_s = match.groups()
    if start_s:
        start = int(start_s)
        end = min(int(end_s), size - 1) if end_s else size - 1
    else:
        start, end = max(0, size - int(end_s)), size - 1
    if start > end or start >= size:
        raise _RangeNotSatisfiable(size)
    return start, end


class _RangeNotSatisfiable(Exception):
    def __init__(self, size: int) -> None:
        self.size = size


@router.get(
    "/download/file/{task_id}",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"application/zip": {}}},
        206: {"description": "partial content"},
        409: {"description": "not ready"},
        410: {"description": "gone"},
    },
)
async def file(task_id: str, request: Request, services: ServicesDep) -> Response:
    job = await _job(services, task_id)
    if job.state == EXPIRED:
        raise Gone("the file has expired and was deleted; request the chapters again")
    if job.state == CANCELLED:
        raise Gone("the job was cancelled")
    if job.state != SUCCESS:
        if job.state in ACTIVE:
            raise Conflict(f"not ready yet: {job.status}")
        raise Conflict(f"the job failed: {job.error or job.status}")
    raw = await services.store.get_raw(task_id)
    path = Path((raw or {}).get("file_path", ""))
    # Opened before the response starts, and sized from the open file: a cleanup that unlinks
    # the path from now on cannot cut this transfer (POSIX keeps the open file's data).
    try:
        handle = await aiofiles.open(path, "rb")
        size = os.fstat(handle.fileno()).st_size
    except OSError:
        await services.store.transition(task_id, {SUCCESS}, state=EXPIRED, status_text="Expired")
        raise Gone("the file is no longer on disk") from None
    try:
        byte_range = _parse_range(request.headers.get("range"), size)
        await services.store.serving_begin(task_id)
    except _RangeNotSatisfiable:
        await handle.close()
        return JSONResponse(
            {"detail": "requested range not satisfiable"},
            status_code=416,
            headers={"Content-Range": f"bytes */{size}"},
        )
    except BaseException:
        await handle.close()
        raise
    start, end = byte_range or (0, size - 1)
    headers = {
        "Content-Disposition": content_disposition(job.file_name or path.name),
        "Content-Length": str(end - start + 1),
        "Accept-Ranges": "bytes",
        "Cache-Control": "private, no-store",
    }
    if byte_range:
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    media = {"cbz": "application/vnd.comicbook+zip", "pdf": "application/pdf"}.get(
        path.suffix.lstrip("."), "application/zip"
    )
    return _FileTransfer(
        services,
        task_id,
        handle,
        start,
        end,
        reaches_end=end == size - 1,
        status_code=206 if byte_range else 200,
        media_type=media,
        headers=headers,
    )


class _FileTransfer(StreamingResponse):
    """Streams a range of an open file, counted in Redis as a transfer in flight.

    However the transfer ends (complete, the client gone, the server stopping) the file is
    closed and the count taken back: cleanup waits while it is above zero. That bookkeeping sits
    here rather than in the body generator, whose `finally` never runs when the client leaves
    before the first chunk and is cancelled half-way when it leaves right after the last.
    """

    def __init__(
        self,
        services: Services,
        task_id: str,
        handle: Any,
        start: int,
        end: int,
        *,
        reaches_end: bool,
        **kwargs: Any,
    ) -> None:
        self._services, self._task_id, self._handle = services, task_id, handle
        self._start, self._length, self._reaches_end = start, end - start + 1, reaches_end
        self._sent = 0
        super().__init__(self._chunks(), **kwargs)

    async def _chunks(self) -> AsyncIterator[bytes]:
        await self._handle.seek(self._start)
        left = self._length
        while left > 0:
            chunk = await self._handle.read(min(CHUNK, left))
            if not chunk:
                return
            left -= len(chunk)
            yield chunk
            self._sent += len(chunk)  # resumed only once the chunk went out

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            # A task of its own, shielded: a cancelled request still ends its transfer.
            ending = asyncio.ensure_future(self._end())
            _ENDING.add(ending)
            ending.add_done_callback(_ENDING.discard)
            await asyncio.shield(ending)

    async def _end(self) -> None:
        try:
            await self._handle.close()
        finally:
            await self._services.store.serving_end(self._task_id)
        if self._sent == self._length and self._reaches_end:
            await _served(self._services, self._task_id)


_ENDING: set[asyncio.Future[None]] = set()  # keeps shielded endings referenced until done


async def _served(services: Services, task_id: str) -> None:
    """A complete transfer: the file goes CLEANUP_GRACE_SECONDS later (a resume may follow)."""
    grace = services.settings.cleanup_grace_seconds
    due = time.time() + grace
    raw = await services.store.get_raw(task_id)
    current = float((raw or {}).get("expires_at") or due)
    if due < current:
        await services.store.transition(task_id, {SUCCESS}, expires_at=due)
    await asyncio.to_thread(
        services.celery.send_task,
        "cleanup.delete_file",
        args=[task_id],
        queue="cleanup",
        countdown=grace,
    )


@router.delete("/download/{task_id}")
async def cancel(task_id: str, services: ServicesDep) -> JobStatus:
    """Cancel a queued or running job (its partial output is deleted); delete a finished file."""
    job = await _job(services, task_id)
    if job.state in ACTIVE:
        if (
            await services.store.transition(
                task_id, ACTIVE, state=CANCELLED, status_text="Cancelled", finished_at=time.time()
            )
            and job.celery_task_id
        ):
            await asyncio.to_thread(services.celery.control.revoke, job.celery_task_id)
    elif job.state == SUCCESS:
        if await services.store.serving_count(task_id) > 0:
            raise Conflict("the file is being downloaded right now; try again when it ends")
        raw = await services.store.get_raw(task_id)
        if (
            await services.store.transition(
                task_id, {SUCCESS}, state=EXPIRED, status_text="Deleted", expires_at=time.time()
            )
            and raw
            and raw.get("file_path")
        ):
            Path(raw["file_path"]).unlink(missing_ok=True)
    return await _job(services, task_id)


@router.post("/download/{task_id}/retry", status_code=202, response_model=Enqueued)
async def retry(task_id: str, services: ServicesDep) -> JSONResponse:
    """A new job for the failed chapters only."""
    job = await _job(services, task_id)
    if job.state in ACTIVE:
        raise Conflict("the job is still running")
    ids = tuple(f.chapter_id for f in job.failed)
    if job.state == CANCELLED:
        ids = tuple(job.chapter_ids)
    if not ids:
        raise Conflict("no failed chapters to retry")
    spec = JobSpec(
        source=job.source,
        ids=ids,
        format=job.format,
        layout=job.layout,
        title=job.title,
        series_id=job.series_id,
    )
    return await _enqueue(services, spec)

"""Download jobs over HTTP: parse and validate, call `download_jobs`, shape the answer.

Create (equal requests share a job), status, live events, file, cancel, retry; the file
transfer itself is `api/transfer.py`.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import BaseModel, Field, ValidationError

from ..errors import InvalidInput, NotFound
from ..jobs import FINAL, JobSpec, JobState, JobStatus
from ..models import Format, Layout
from ..pageops.options import InvalidPageOptions, SplitTallBody, options_from_fields
from ..providers import resolve_provider
from ..validation import check_id, check_title
from .deps import Services, ServicesDep
from .transfer import send_archive

router = APIRouter(prefix="/api", tags=["downloads"])


class PageOptionsIn(BaseModel):
    """The page options of a download; a follow takes the same (`api/library.py`)."""

    split_tall: bool | SplitTallBody = Field(
        default=False,
        description="cut pages taller than ratio × width (default 3) into pieces of about "
        "target_height px (default 2000) at a gutter; true for the defaults",
    )
    encode: str = Field(
        default="original",
        max_length=20,
        description="original (bytes as the source sent them), png, jpeg:Q or webp:Q (Q 1-100)",
    )


class DownloadRequest(PageOptionsIn):
    """Body of POST /api/download (JSON; the original form/query `ids[]` + `source` works too)."""

    source: str | int = Field(description="provider name, or its index in GET /api/sources")
    ids: list[str] = Field(min_length=1, description="chapter ids, in any order")
    format: Format = "cbz"
    layout: Layout = "auto"
    title: str | None = Field(default=None, max_length=300)
    series_id: str | None = Field(default=None, max_length=200)


class Enqueued(BaseModel):
    """Answer of POST /api/download and retry; `status` in JSON is the job's state."""

    task_id: str
    celery_task_id: str | None
    state: JobState = Field(serialization_alias="status")
    message: str
    deduplicated: bool


class JobList(BaseModel):
    jobs: list[JobStatus]


def _json_body_schema() -> dict[str, Any]:
    """The JSON body's schema, its nested models (`SplitTallBody`) referred to where OpenAPI
    keeps them: a `$defs` inside a path is a reference the client's type generator cannot follow.
    `SplitTallBody` is in `components` already, through `JobStatus.split_tall`."""
    schema = DownloadRequest.model_json_schema(ref_template="#/components/schemas/{model}")
    schema.pop("$defs", None)
    return schema


_BODY_SCHEMA = {
    "requestBody": {
        "required": False,
        "content": {
            "application/json": {"schema": _json_body_schema()},
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
            raise InvalidInput("body is not valid JSON") from None
        if not isinstance(body, dict):
            raise InvalidInput("body must be a JSON object")
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
        raise InvalidInput(f"{where}: {first['msg']}") from None
    try:
        provider = resolve_provider(req.source)
    except NotFound as exc:
        raise InvalidInput(exc.detail) from None
    limit = services.settings.max_chapters_per_job
    ids = list(dict.fromkeys(req.ids))
    if len(ids) > limit:  # counted before each id is checked: a huge list costs nothing more
        raise InvalidInput(f"ids: at most {limit} chapters per download, got {len(ids)}")
    ids = [check_id(i) for i in ids]
    try:
        pages = options_from_fields(req.split_tall, req.encode)
    except InvalidPageOptions as exc:
        raise InvalidInput(str(exc)) from None
    return JobSpec(
        source=provider.name,
        ids=tuple(ids),
        format=req.format,
        layout=req.layout,
        title=check_title(req.title),
        series_id=check_id(req.series_id, "series id") if req.series_id else None,
        pages=pages,
    )


def _enqueued(job: JobStatus, created: bool, chapters: int) -> JSONResponse:
    message = f"queued {chapters} chapter(s)" if created else "an equal job exists; returning it"
    body = Enqueued(
        task_id=job.task_id,
        celery_task_id=job.celery_task_id,
        state=job.state,
        message=message,
        deduplicated=not created,
    )
    return JSONResponse(body.model_dump(by_alias=True), status_code=202)


async def existing_job(task_id: str, services: ServicesDep) -> JobStatus:
    """The path's job, or 404: a dependency, so it is answered before a stream starts."""
    return await services.jobs.get(task_id)


JobDep = Annotated[JobStatus, Depends(existing_job)]


@router.post(
    "/download",
    status_code=202,
    response_model=Enqueued,
    openapi_extra=_BODY_SCHEMA,
    responses={422: {"description": "invalid request"}},
)
async def create_download(request: Request, services: ServicesDep) -> JSONResponse:
    spec = _validate(await _read_request(request), services)
    job, created = await services.jobs.enqueue(spec)
    return _enqueued(job, created, len(spec.ids))


@router.get("/download/status/{task_id}")
async def status(job: JobDep) -> JobStatus:
    return job


@router.get("/downloads")
async def recent(services: ServicesDep, limit: Annotated[int, Query(ge=1, le=500)] = 50) -> JobList:
    return JobList(jobs=await services.store.recent(limit))


@router.get(
    "/download/events/{task_id}",
    response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def events(
    job: JobDep, request: Request, services: ServicesDep
) -> AsyncIterator[ServerSentEvent]:
    """Current state first, then every change (at most ~10 a second), until a final state."""
    store = services.store
    pubsub = services.redis.pubsub()
    await pubsub.subscribe(store.channel(job.task_id))
    try:
        current = await store.get(job.task_id)
        if current is None:
            return
        yield _event(current)
        last_sent, last_time = current.updated_at, time.monotonic()
        while current.state not in FINAL:
            await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.25)
            if await request.is_disconnected():  # frees the Redis connection at once
                return
            current = await store.get(job.task_id)
            if current is None:
                return
            now = time.monotonic()
            changed = current.updated_at != last_sent
            if changed and (current.state in FINAL or now - last_time >= 0.1):
                yield _event(current)
                last_sent, last_time = current.updated_at, now
    finally:
        await pubsub.unsubscribe()
        await pubsub.aclose()  # type: ignore[no-untyped-call]


def _event(job: JobStatus) -> ServerSentEvent:
    # raw_data: the same JSON (and bytes) the stream always sent; keep-alives are FastAPI's.
    return ServerSentEvent(event="progress", raw_data=json.dumps(job.model_dump()))


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
    job, path = await services.jobs.file(task_id)
    return await send_archive(services.jobs, job, path, request)


@router.delete("/download/{task_id}")
async def cancel(task_id: str, services: ServicesDep) -> JobStatus:
    """Cancel a queued or running job (its partial output is deleted); delete a finished file."""
    return await services.jobs.cancel(task_id)


@router.post("/download/{task_id}/retry", status_code=202, response_model=Enqueued)
async def retry(task_id: str, services: ServicesDep) -> JSONResponse:
    """A new job for the failed chapters only."""
    job, created = await services.jobs.retry(task_id)
    return _enqueued(job, created, len(job.chapter_ids))

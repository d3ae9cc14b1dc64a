"""The library: follow a series, unfollow, pause, check now, list (the Library page), covers
and the chapters held. The work happens in `manhwa.library`; this only shapes HTTP."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from ..errors import InvalidInput, NotFound
from ..library.follows import Follows, FollowView
from ..library.store import FollowMode, IndexEntry, LibraryStore
from ..pageops.options import InvalidPageOptions, PageOptions, options_from_fields
from ..storage import LibraryFolder
from .deps import ServicesDep
from .downloads import PageOptionsIn

router = APIRouter(prefix="/api/library", tags=["library"])


class FollowIn(PageOptionsIn):
    """A follow, with the page options its downloads get (as `POST /api/download`'s)."""

    source: str = Field(min_length=1, max_length=40)
    series_id: str = Field(min_length=1, max_length=500)
    mode: FollowMode = "new"
    from_number: float | None = Field(default=None, ge=0, le=1_000_000)


class PauseIn(BaseModel):
    paused: bool = True


class FollowList(BaseModel):
    follows: list[FollowView]


def _follows(services: ServicesDep) -> Follows:
    return Follows(services.settings, services.redis, services.celery)


def _pages(body: PageOptionsIn) -> PageOptions:
    try:
        return options_from_fields(body.split_tall, body.encode)
    except InvalidPageOptions as exc:
        raise InvalidInput(str(exc)) from None


@router.get("")
async def library(services: ServicesDep) -> FollowList:
    return FollowList(follows=await _follows(services).list())


@router.post("/follows", status_code=201)
async def follow(body: FollowIn, services: ServicesDep) -> FollowView:
    return await _follows(services).follow(
        services.consumet,
        body.source,
        body.series_id,
        body.mode,
        body.from_number,
        _pages(body),
    )


class FollowLookup(BaseModel):
    follow: FollowView | None


@router.get("/follow")
async def find(
    services: ServicesDep,
    source: Annotated[str, Query(min_length=1, max_length=40)],
    series_id: Annotated[str, Query(min_length=1, max_length=500)],
) -> FollowLookup:
    """The follow of a series, `null` when it is not followed (the series page's button; a
    200 either way, so a browser logs no failed request for an unfollowed series)."""
    return FollowLookup(follow=await _follows(services).find(source, series_id))


@router.get("/follows/{fid}")
async def get_follow(fid: str, services: ServicesDep) -> FollowView:
    follows = _follows(services)
    return await follows.view(await follows.get(fid))


@router.delete("/follows/{fid}", status_code=204)
async def unfollow(fid: str, services: ServicesDep) -> None:
    await _follows(services).unfollow(fid)


@router.post("/follows/{fid}/pause")
async def pause(fid: str, body: PauseIn, services: ServicesDep) -> FollowView:
    return await _follows(services).pause(fid, body.paused)


@router.post("/follows/{fid}/pages")
async def set_pages(fid: str, body: PageOptionsIn, services: ServicesDep) -> FollowView:
    """Page options for the chapters the follow's checks download from now on."""
    return await _follows(services).set_pages(fid, _pages(body))


@router.post("/follows/{fid}/check", status_code=202)
async def check_now(fid: str, services: ServicesDep) -> FollowView:
    return await _follows(services).check_now(fid)


@router.get("/follows/{fid}/chapters")
async def chapters(fid: str, services: ServicesDep) -> list[IndexEntry]:
    return await LibraryStore(services.redis).entries(fid)


@router.get("/follows/{fid}/cover", response_class=FileResponse)
async def cover(fid: str, services: ServicesDep) -> FileResponse:
    record = await LibraryStore(services.redis).get_series(fid) if fid.isalnum() else None
    if record is None or not record.cover:
        raise NotFound("no cover")
    path = LibraryFolder.from_settings(services.settings).series_dir(record.folder) / "cover.jpg"
    if not path.is_file():
        raise NotFound("no cover")
    return FileResponse(path, media_type="image/jpeg")

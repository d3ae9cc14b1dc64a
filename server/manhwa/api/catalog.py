"""Sources, search, series info and chapter pages: validated, cached passes to Consumet."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from ..errors import UpstreamBadResponse
from ..models import MangaInfo, SearchPage, Source
from ..providers import PROVIDERS, resolve_provider
from ..tokens import sign
from ..validation import check_id
from .deps import ServicesDep

router = APIRouter(prefix="/api", tags=["catalog"])


class SourcesOut(BaseModel):
    sources: list[Source]
    default: str


class ReaderPage(BaseModel):
    index: int
    url: str


class ReaderPages(BaseModel):
    source: str
    chapter_id: str
    pages: list[ReaderPage]


@router.get("/sources")
async def sources(services: ServicesDep) -> SourcesOut:
    listed = [
        Source(index=i, name=p.name, title=p.title, ids_in_path=p.ids_in_path)
        for i, p in enumerate(PROVIDERS)
    ]
    return SourcesOut(
        sources=listed, default=resolve_provider(services.settings.default_provider).name
    )


def _proxied(services: ServicesDep, url: str | None, referer: str | None) -> str | None:
    if not url or not url.lower().startswith(("http://", "https://")):
        return None
    return f"/api/image/{sign(services.token_key, url, referer)}"


@router.get("/search")
async def search(
    services: ServicesDep,
    q: Annotated[str, Query(min_length=1, max_length=200, description="search text")],
    source: Annotated[str | None, Query(max_length=50)] = None,
    page: Annotated[int, Query(ge=1, le=500)] = 1,
) -> SearchPage:
    provider = resolve_provider(source or services.settings.default_provider)
    result = await services.consumet.search(provider, q.strip() or q, page)
    for item in result.results:
        item.cover = _proxied(services, item.image, provider.default_referer)
    return result


@router.get("/manga/{source}/info")
async def info(
    services: ServicesDep,
    source: str,
    id: Annotated[str, Query(min_length=1, max_length=200)],
) -> MangaInfo:
    provider = resolve_provider(source)
    manga = await services.consumet.info(provider, check_id(id, "series id"))
    manga.cover = _proxied(
        services, manga.image, manga.headers.get("Referer") or provider.default_referer
    )
    return manga


@router.get("/manga/{source}/read")
async def read(
    services: ServicesDep,
    source: str,
    chapterId: Annotated[str, Query(min_length=1, max_length=200)],
) -> ReaderPages:
    provider = resolve_provider(source)
    pages = await services.consumet.read(provider, check_id(chapterId))
    if not pages.pages:
        raise UpstreamBadResponse("the source returned no pages for this chapter")
    out: list[ReaderPage] = []
    for page in pages.pages:
        url = _proxied(services, page.img, page.headers.get("Referer"))
        if url:
            out.append(ReaderPage(index=page.index, url=url))
    return ReaderPages(source=provider.name, chapter_id=pages.chapter_id, pages=out)

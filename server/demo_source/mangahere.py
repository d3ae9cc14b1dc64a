"""`/manga/mangahere/*`: search, info and read in the shapes `mangahere.ts` produces.

Ids travel in the query string. Quirks kept on purpose: `hasNextPage` is `true` even on the only
page, info says `headers` where search and read say `headerForImage`, pages count from 0, and one
chapter hands out the unusable "packed" Referer (the image URL without its scheme).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from demo_source.catalog import Catalog, HereChapter, HereSeries, Page
from demo_source.errors import json_body, missing_parameter, scraper_failure
from demo_source.images import MANGAHERE_REFERER
from demo_source.links import Links
from demo_source.paging import search_page

_DEFAULT_HEADERS = {"Referer": MANGAHERE_REFERER}
_COVER_VERSION = "1763900589"
_SNIPPET = 110


def mangahere_router(catalog: Catalog, links: Links) -> APIRouter:
    router = APIRouter(prefix="/manga/mangahere")

    @router.get("/info")
    async def info(request: Request) -> Response:
        series_id = request.query_params.get("id")
        if not series_id:
            return missing_parameter("id")
        series = catalog.here_series(series_id)
        if series is None:
            return scraper_failure()
        return json_body(_info(series, links.base(request), links))

    @router.get("/read")
    async def read(request: Request) -> Response:
        chapter_id = request.query_params.get("chapterId")
        if not chapter_id:
            return missing_parameter("chapterId")
        found = catalog.here_chapter(chapter_id)
        if found is None:
            return scraper_failure()
        chapter, pages = found
        return json_body(_pages(chapter, pages, links.base(request), links))

    @router.get("/{query:path}")  # last: see routing.py for why `:path`
    async def search(query: str, request: Request) -> Response:
        page = search_page(request, "/manga/mangahere/")
        if isinstance(page, Response):
            return page
        base = links.base(request)
        found = page.window(catalog.search_here(query))
        return json_body(
            {
                "currentPage": page.echoed,
                "results": [_search_result(series, base, links) for series in found],
                # Upstream computes this from a pager that is absent on single-page results
                # (and on pages past the end): it says true. Clients must stop on empty results.
                "hasNextPage": True,
            }
        )

    return router


def _cover_url(series: HereSeries, base: str, links: Links) -> str:
    return links.image(base, series.cover.path, token=True) + f"&v={_COVER_VERSION}"


def _snippet(text: str) -> str:
    if len(text) <= _SNIPPET:
        return text
    return text[:_SNIPPET].rsplit(" ", 1)[0] + "..."


def _search_result(series: HereSeries, base: str, links: Links) -> dict[str, object]:
    return {
        "id": series.id,
        "title": series.title,
        "headerForImage": dict(_DEFAULT_HEADERS),
        "image": _cover_url(series, base, links),
        "description": _snippet(series.description),
        "status": series.status,
    }


def _info(series: HereSeries, base: str, links: Links) -> dict[str, object]:
    return {
        "id": series.id,
        "title": series.title,
        "description": series.description,
        "headers": dict(_DEFAULT_HEADERS),
        "image": _cover_url(series, base, links),
        "genres": list(series.genres),
        "status": series.status,
        "rating": series.rating,
        "authors": list(series.authors),
        "chapters": [
            {"id": chapter.id, "title": chapter.title, "releasedDate": chapter.released}
            for chapter in series.chapters
        ],
    }


def _pages(
    chapter: HereChapter, pages: tuple[Page, ...], base: str, links: Links
) -> list[dict[str, object]]:
    page_referer = f"https://mangahere.cc/manga/{chapter.id}/1.html"
    answer: list[dict[str, object]] = []
    for index, page in enumerate(pages):
        if chapter.style == "loopback":
            spellings = links.loopback_spellings(base, page.path)
            img = spellings[index % len(spellings)]
        else:
            img = links.image(base, page.path, token=True)
        # Path (b) of the scraper: the "Referer" is the image URL minus its scheme.
        referer = img.partition(":")[2] if chapter.style == "packed" else page_referer
        answer.append({"page": index, "img": img, "headerForImage": {"Referer": referer}})
    return answer

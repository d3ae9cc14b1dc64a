"""`/manga/mangadex/*`: search, info and read in the shapes `mangadex.ts` produces.

Ids travel in the PATH here (every other provider takes them in the query string), so
`/manga/mangadex/info` without an id is a search for the word "info", as upstream.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from demo_source.catalog import Catalog, DexChapter, DexSeries
from demo_source.errors import json_body, scraper_failure
from demo_source.links import Links
from demo_source.paging import search_page


def mangadex_router(catalog: Catalog, links: Links) -> APIRouter:
    router = APIRouter(prefix="/manga/mangadex")

    @router.get("/info/{series_id}")
    async def info(series_id: str, request: Request) -> Response:
        series = catalog.dex_series(series_id)
        if series is None:
            return scraper_failure()
        return json_body(_info(series, links.base(request), links))

    @router.get("/read/{chapter_id}")
    async def read(chapter_id: str, request: Request) -> Response:
        chapter = catalog.dex_chapter(chapter_id)
        if chapter is None:
            return scraper_failure()
        base = links.base(request)
        # External chapters have no pages at MangaDex@Home: the answer is `[]`.
        return json_body(
            [
                {"img": links.image(base, page.path), "page": number}
                for number, page in enumerate(chapter.pages, start=1)
            ]
        )

    @router.get("/{query:path}")  # last: see routing.py for why `:path`
    async def search(query: str, request: Request) -> Response:
        page = search_page(request, "/manga/mangadex/")
        if isinstance(page, Response):
            return page
        base = links.base(request)
        found = page.window(catalog.search_dex(query))
        return json_body(
            {
                "currentPage": page.echoed,
                "results": [_search_result(series, base, links) for series in found],
            }
        )

    return router


def _search_result(series: DexSeries, base: str, links: Links) -> dict[str, object]:
    result: dict[str, object] = {
        "id": series.id,
        # The first value of MangaDex's title map: often romanised, not English.
        "title": series.titles[0][1],
        "altTitles": [{lang: text} for lang, text in series.alt_titles],
    }
    description = dict(series.descriptions).get("en")
    if description is not None:
        result["description"] = description
    result.update(
        {
            "status": series.status,
            "releaseDate": series.year,
            "contentRating": series.content_rating,
            "lastVolume": series.last_volume,
            "lastChapter": series.last_chapter,
            "image": links.image(base, series.cover.path),
        }
    )
    return result


def _info(series: DexSeries, base: str, links: Links) -> dict[str, object]:
    info: dict[str, object] = {"id": series.id}
    english = dict(series.titles).get("en")
    if english is not None:
        info["title"] = english
    info.update(
        {
            "altTitles": [{lang: text} for lang, text in series.alt_titles],
            "description": dict(series.descriptions),
            "genres": list(series.genres),
            "themes": list(series.themes),
            "status": series.status.capitalize(),
            "releaseDate": series.year,
            "chapters": [_chapter(chapter) for chapter in series.chapters],
            "image": links.image(base, series.cover.path),
        }
    )
    return info


def _chapter(chapter: DexChapter) -> dict[str, object]:
    return {
        "id": chapter.id,
        "title": chapter.title if chapter.title is not None else chapter.chapter,
        "chapterNumber": chapter.chapter,
        "volumeNumber": chapter.volume,
        "pages": len(chapter.pages),
    }

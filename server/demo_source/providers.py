"""Consumet's non-data routes (`index.json`): welcome texts, provider intros, the provider list.

Also the providers this demo does not serve (mangapill, managreader, mangakakalot): their routes
exist upstream, so here they answer like a scraper whose site is down (500), not with a 404.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from demo_source.errors import json_body, page_not_found, scraper_failure, unknown_provider

PROVIDER_NAMES = (
    "WeebCentral",
    "MangaHere",
    "MangaPill",
    "MangaDex",
    "MangaReader",
    "MangaKakalot",
    "ComicK",
    "Comix",
)
_DOCS = "https://docs.consumet.org/#tag/"
_QUERY_ROUTES = ["/:query", "/info", "/read"]


def _intro(label: str, site: str, routes: object, docs: str) -> dict[str, object]:
    """A provider's intro as upstream words it (managreader's says "Mangapill" there too)."""
    return {
        "intro": f"Welcome to the {label} provider: check out the provider's website @ {site}",
        "routes": routes,
        "documentation": _DOCS + docs,
    }


INTROS: dict[str, dict[str, object]] = {
    "mangadex": _intro(
        "mangadex", "https://mangadex.org", ["/:query", "/info/:id", "/read/:chapterId"], "mangadex"
    ),
    "mangahere": _intro("MangaHere", "https://mangahere.cc", _QUERY_ROUTES, "mangahere"),
    "mangapill": _intro("Mangapill", "https://mangapill.com", _QUERY_ROUTES, "mangapill"),
    "managreader": _intro("Mangapill", "https://mangareader.to", _QUERY_ROUTES, "mangapill"),
    "mangakakalot": _intro(
        "Mangakakalot",
        "https://www.mangakakalot.gg",
        {
            "/read": {
                "description": "Get chapter pages/images for reading",
                "example": "/manga/mangakakalot/read?chapterId=naruto/chapter-700-5",
                "parameters": {
                    "chapterId": '(query, required) - The chapter ID in format "mangaId/chapterId"'
                },
            }
        },
        "mangakakalot",
    ),
}
_PROVIDER_LIST: list[dict[str, object]] = [
    {
        "name": name,
        "baseUrl": url,
        "lang": "en",
        "isNSFW": False,
        "logo": logo,
        "classPath": f"MANGA.{name}",
        "isWorking": True,
    }
    for name, url, logo in (
        (
            "ComicK",
            "https://comick.art",
            "https://th.bing.com/th/id/OIP.fw4WrmAoA2PmKitiyMzUIgAAAA?pid=ImgDet&rs=1",
        ),
        (
            "Comix",
            "https://comix.to",
            "https://png.pngtree.com/png-vector/20210221/ourmid/"
            "pngtree-error-404-not-found-neon-effect-png-image_2928214.jpg",
        ),
        (
            "MangaDex",
            "https://mangadex.org",
            "https://pbs.twimg.com/profile_images/1391016345714757632/xbt_jW78_400x400.jpg",
        ),
        (
            "MangaHere",
            "https://mangahere.cc",
            "https://i.pinimg.com/564x/51/08/62/51086247ed16ff8abae2df0bb06448e4.jpg",
        ),
        ("MangaKakalot", "https://www.mangakakalot.gg", "https://www.mangakakalot.gg/favicon.ico"),
        (
            "MangaPill",
            "https://mangapill.com",
            "https://scontent-man2-1.xx.fbcdn.net/v/t39.30808-6/"
            "300819578_399903675586699_2357525969702348451_n.png?_nc_cat=100&ccb=1-7&_nc_sid=09cbfe"
            "&_nc_ohc=Md2cQ4wRNWwAX-_U0fz&_nc_ht=scontent-man2-1.xx"
            "&oh=00_AfCJjAYDk9bsndz8uyNG-GdFIYcPvdIzbHnetHGzf1pVSw&oe=63BDD131",
        ),
        (
            "MangaReader",
            "https://mangareader.to",
            "https://pbs.twimg.com/profile_images/1437311892905545728/TO0hFfUr_400x400.jpg",
        ),
        (
            "WeebCentral",
            "https://weebcentral.com",
            "https://weebcentral.com/static/images/brand.png",
        ),
    )
]
_WELCOME = "Welcome to consumet api! 🎉 \n"
_MANGA_WELCOME = "Welcome to Consumet Manga our available providers are: " + ", ".join(
    PROVIDER_NAMES
)


def providers_router() -> APIRouter:
    router = APIRouter()

    @router.get("/")
    async def welcome() -> Response:
        return PlainTextResponse(_WELCOME)

    @router.get("/manga")
    @router.get("/manga/")
    async def manga_welcome() -> Response:
        return PlainTextResponse(_MANGA_WELCOME)

    @router.get("/utils/providers")
    async def provider_list(request: Request) -> Response:
        if request.query_params.get("type") != "MANGA":
            return json_body([])
        return json_body(_PROVIDER_LIST)

    @router.get("/manga/{provider}")
    @router.get("/manga/{provider}/")
    async def intro(provider: str) -> Response:
        if provider in INTROS:
            return json_body(INTROS[provider])
        if provider in PROVIDER_NAMES:
            # Upstream redirects a provider's exact class name to itself, forever.
            return RedirectResponse(f"/manga/{provider}", status_code=302)
        return unknown_provider()

    @router.get("/manga/{provider}/{rest:path}")
    async def unserved(provider: str, rest: str) -> Response:
        if provider == "managreader":
            return scraper_failure("Something went wrong. Contact developer for help.")
        if provider == "mangapill":
            return scraper_failure()
        if provider == "mangakakalot":
            what = rest.split("/", 1)[0]
            if what == "read":
                return scraper_failure(
                    error="Failed to fetch chapter pages",
                    hint="Make sure the chapter ID is valid and in correct format: "
                    '"mangaId/chapterId"',
                )
            if what == "info":
                return scraper_failure(
                    error="Failed to fetch manga info",
                    hint="Make sure the manga ID is valid and exists",
                )
            return scraper_failure(
                error="Failed to search for manga", hint="Try again with a different search query"
            )
        return page_not_found()

    return router

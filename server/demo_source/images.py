"""`GET /img/{path}`: page and cover images, rendered once and then served from memory.

mangahere images sit behind the CDN rule from CONTRACT.md §5: 403 unless the Referer starts with
`https://mangahere.cc`. MangaDex images need no Referer.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from starlette.responses import Response

from demo_source import artwork, bench
from demo_source.artwork import Art
from demo_source.catalog import ArtSpec, Catalog

MANGAHERE_REFERER = "https://mangahere.cc"


class ImageStore:
    """Encoded bytes per art spec; each is rendered at most once, off the event loop."""

    def __init__(self) -> None:
        self._bytes: dict[ArtSpec, bytes] = {}
        self._locks: dict[ArtSpec, asyncio.Lock] = {}

    async def get(self, art: ArtSpec) -> bytes:
        cached = self._bytes.get(art)
        if cached is not None:
            return cached
        lock = self._locks.setdefault(art, asyncio.Lock())
        async with lock:
            cached = self._bytes.get(art)
            if cached is None:
                cached = await asyncio.to_thread(_render, art)
                self._bytes[art] = cached
        self._locks.pop(art, None)
        return cached


def media_type(art: ArtSpec) -> str:
    return artwork.MEDIA_TYPES[art.fmt] if isinstance(art, Art) else "image/jpeg"


def _render(art: ArtSpec) -> bytes:
    return artwork.render(art) if isinstance(art, Art) else bench.render(art)


def image_router(catalog: Catalog, store: ImageStore) -> APIRouter:
    router = APIRouter()

    @router.api_route("/img/{path:path}", methods=["GET", "HEAD"])
    async def image(path: str, request: Request) -> Response:
        entry = catalog.image(path)
        if entry is None:
            return Response(b"not found", status_code=404, media_type="text/plain")
        referer = request.headers.get("referer", "")
        if entry.needs_referer and not referer.startswith(MANGAHERE_REFERER):
            return Response(b"forbidden", status_code=403, media_type="text/plain")
        body = await store.get(entry.art)
        return Response(body, media_type=media_type(entry.art))

    return router

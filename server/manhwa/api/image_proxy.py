"""Reader image proxy: serves only URLs inside a token this server signed (no open proxy)."""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict

from fastapi import APIRouter, Request, Response

from ..errors import ImageFetchError
from ..models import PageImage
from ..providers import PROVIDERS
from ..tokens import verify
from .deps import ServicesDep

router = APIRouter(prefix="/api", tags=["images"])
CACHE_BYTES = 64 * 1024 * 1024


def _fallback_for(referer: str | None) -> str | None:
    """The provider's second Referer to try on a 403 (mangakakalot wants a trailing slash)."""
    for provider in PROVIDERS:
        if referer and provider.fallback_referer and referer == provider.default_referer:
            return provider.fallback_referer
    return None


class _ImageCache:
    """A small in-process LRU, so scrolling back in the reader costs no upstream request."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.used = 0
        self.items: OrderedDict[str, PageImage] = OrderedDict()

    def get(self, key: str) -> PageImage | None:
        item = self.items.get(key)
        if item is not None:
            self.items.move_to_end(key)
        return item

    def put(self, key: str, item: PageImage) -> None:
        if len(item.data) > self.budget // 4:
            return
        self.items[key] = item
        self.used += len(item.data)
        while self.used > self.budget:
            _, old = self.items.popitem(last=False)
            self.used -= len(old.data)


_cache = _ImageCache(CACHE_BYTES)


@router.get(
    "/image/{token}",
    responses={200: {"content": {"image/*": {}}}, 403: {}, 502: {}},
    response_class=Response,
)
async def image(services: ServicesDep, token: str, request: Request) -> Response:
    url, referer = verify(services.token_key, token)
    etag = '"' + hashlib.sha256(token.encode()).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": "private, max-age=21600"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    page = _cache.get(token)
    if page is None:
        headers_out = {"Referer": referer} if referer else {}
        budget = services.settings.reader_image_timeout
        try:  # someone is looking at a blank page: seconds, not the download's minutes
            page = await asyncio.wait_for(
                services.fetcher.fetch(url, 0, headers_out, _fallback_for(referer)), budget
            )
        except TimeoutError:
            raise ImageFetchError(f"the image host did not answer within {budget:g} s") from None
        _cache.put(token, page)
    return Response(page.data, media_type=f"image/{page.format.lower()}", headers=headers)

"""Image fetching: concurrency limits, retries with backoff, size caps, the address guard.

One ImageFetcher (one shared httpx.AsyncClient) serves a whole job.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import defaultdict
from dataclasses import dataclass

import httpx

from .config import Settings
from .consumet import USER_AGENT, parse_retry_after
from .errors import ImageFetchError
from .guard import AddressPolicy, GuardedTransport
from .images import ImageRejected, check_image
from .imageurl import check_image_url
from .models import PageImage

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


class _Retryable(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


@dataclass
class FetchStats:
    requests: int = 0
    retries: int = 0
    bytes: int = 0


class ImageFetcher:
    """Fetches and checks page images under global and per-host limits."""

    def __init__(
        self,
        settings: Settings,
        *,
        max_concurrent: int | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """`transport` replaces the guarded one in in-process tests (an httpx.MockTransport)."""
        self._settings = settings
        limit = max_concurrent or settings.max_concurrent_images
        self._global = asyncio.Semaphore(limit)
        self._per_host: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(settings.max_per_host)
        )
        limits = httpx.Limits(max_connections=limit, max_keepalive_connections=limit)
        self._client = httpx.AsyncClient(
            transport=transport
            or GuardedTransport(AddressPolicy(settings.allow_private_hosts), limits),
            timeout=httpx.Timeout(
                settings.image_read_timeout, connect=settings.image_connect_timeout
            ),
            headers={"User-Agent": USER_AGENT, "Accept": "image/*,*/*;q=0.5"},
            follow_redirects=True,
            max_redirects=5,
        )
        self.stats = FetchStats()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> ImageFetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def fetch(
        self,
        url: str,
        index: int,
        headers: dict[str, str],
        fallback_referer: str | None = None,
    ) -> PageImage:
        """A checked page image, or ImageFetchError with a short reason after the retries.

        Nothing else escapes: a page is data, so whatever goes wrong with one fails that page.
        """
        settings = self._settings
        attempt = 0
        referer_retried = False
        host = check_image_url(url).host
        while True:
            try:
                data = await self._download(url, host, headers)
                return check_image(data, index, settings.image_max_pixels)
            except ImageFetchError:  # final: a refused target, a 404, an oversized body
                raise
            except _Forbidden as exc:
                if fallback_referer and not referer_retried:
                    referer_retried = True
                    headers = {**headers, "Referer": fallback_referer}
                    continue
                raise ImageFetchError(exc.reason) from None
            except ImageRejected as exc:
                reason, retry_after = exc.reason, None
            except _Retryable as exc:
                reason, retry_after = exc.reason, exc.retry_after
            except Exception as exc:  # a bug in a library on hostile input: not worth a job
                log.exception("unexpected error fetching %s", url[:200])
                raise ImageFetchError(f"unexpected error: {type(exc).__name__}") from None
            if attempt >= settings.image_retries:
                raise ImageFetchError(f"{reason} (after {attempt + 1} attempts)")
            # Full jitter keeps many pages that failed together from retrying together.
            delay = random.uniform(
                0, min(settings.retry_max_delay, settings.retry_base_delay * 2**attempt)
            )
            if retry_after is not None:
                delay = max(delay, min(retry_after, settings.retry_max_delay))
            attempt += 1
            self.stats.retries += 1
            await asyncio.sleep(delay)

    async def _download(self, url: str, host: str, headers: dict[str, str]) -> bytes:
        async with self._global, self._per_host[host]:
            self.stats.requests += 1
            try:
                return await asyncio.wait_for(
                    self._stream(url, headers), self._settings.image_total_timeout
                )
            except TimeoutError:
                raise _Retryable("timed out") from None
            except httpx.TimeoutException:
                raise _Retryable("timed out") from None
            except httpx.TooManyRedirects:
                raise ImageFetchError("too many redirects") from None
            except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
                raise ImageFetchError(f"bad image URL: {exc}") from None
            except httpx.HTTPError as exc:
                raise _Retryable(f"network error: {type(exc).__name__}") from None

    async def _stream(self, url: str, headers: dict[str, str]) -> bytes:
        cap = self._settings.image_max_bytes
        async with self._client.stream("GET", url, headers=headers) as response:
            status = response.status_code
            if status in RETRY_STATUSES:
                raise _Retryable(
                    f"HTTP {status}", parse_retry_after(response.headers.get("retry-after"))
                )
            if status in (401, 403):
                raise _Forbidden(f"HTTP {status} (forbidden)")
            if status >= 400:
                raise ImageFetchError(f"HTTP {status}")
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > cap:
                raise ImageFetchError(f"image larger than {cap // (1024 * 1024)} MiB")
            chunks: list[bytes] = []
            size = 0
            # aiter_bytes decodes gzip/deflate, so the cap counts decoded bytes.
            async for chunk in response.aiter_bytes(65536):
                size += len(chunk)
                if size > cap:
                    raise ImageFetchError(f"image larger than {cap // (1024 * 1024)} MiB")
                chunks.append(chunk)
            self.stats.bytes += size
            return b"".join(chunks)


class _Forbidden(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

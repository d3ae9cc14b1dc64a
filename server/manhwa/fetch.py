"""Image fetching: concurrency limits, retries with backoff, size caps, the address guard.

One ImageFetcher (one shared httpx.AsyncClient) serves a whole job. Layered like httpx's
client: `fetch` (retries, Referer fallback, checks) → `_download` (limits and the host gate
around one request) → `_stream` (one request, capped).
"""

from __future__ import annotations

import asyncio
import logging
import typing
from collections import defaultdict

import httpx

from .config import Settings
from .consumet import USER_AGENT
from .errors import ImageFetchError
from .guard import AddressPolicy, GuardedTransport
from .images import ImageRejected, check_image
from .imageurl import check_image_url
from .models import PageImage
from .outbound import OPEN_GATE, RETRY_STATUSES, HostGate, RetryPolicy, parse_retry_after

log = logging.getLogger(__name__)


class _Retryable(Exception):
    def __init__(
        self,
        reason: str,
        retry_after: float | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.headers = headers  # a 429's headers: the host gate's shared cool-down reads them
        self.cool_down: float | None = None  # what the gate now waits out for this host


class _SetCookiesOnly(httpx.Cookies):
    """httpx's cookie jar, minus the work on responses that set no cookie. httpx hands every
    response to the jar by building a urllib Request and Response around it (~4 % of a
    worker's CPU per page); a response with no `Set-Cookie` header gives the jar nothing to
    store, so it is not asked. Cookies that hosts do set are kept and sent back as before."""

    def extract_cookies(self, response: httpx.Response) -> None:
        headers = response.headers
        if "set-cookie" in headers or "set-cookie2" in headers:
            super().extract_cookies(response)


class _ImageClient(httpx.AsyncClient):
    """httpx's client with `_SetCookiesOnly` as its jar (httpx reads the jar through the
    `cookies` property; its own setter would put a plain `Cookies` back)."""

    def __init__(self, **kwargs: typing.Any) -> None:
        super().__init__(**kwargs)
        self._jar = _SetCookiesOnly()

    @property
    def cookies(self) -> httpx.Cookies:
        return self._jar

    @cookies.setter
    def cookies(self, cookies: typing.Any) -> None:
        self._jar = _SetCookiesOnly(cookies)


class ImageFetcher:
    """Fetches and checks page images under global and per-host limits.

    `transport` replaces the guarded network transport (tests pass an `httpx.MockTransport`);
    `gate` is entered around every single request, retries included (fleet-wide host budgets).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        gate: HostGate = OPEN_GATE,
    ) -> None:
        self._settings = settings
        self._retry = RetryPolicy.for_images(settings)
        self._gate = gate
        limit = settings.max_concurrent_images
        self._global = asyncio.Semaphore(limit)
        self._per_host: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(settings.max_per_host)
        )
        limits = httpx.Limits(max_connections=limit, max_keepalive_connections=limit)
        self._client = _ImageClient(
            transport=transport
            or GuardedTransport(AddressPolicy(settings.allow_private_hosts), limits),
            timeout=httpx.Timeout(
                settings.image_read_timeout, connect=settings.image_connect_timeout
            ),
            headers={"User-Agent": USER_AGENT, "Accept": "image/*,*/*;q=0.5"},
            follow_redirects=True,
            max_redirects=5,
        )

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
        throttles = 0
        referer_retried = False
        target = check_image_url(url)  # parsed once: httpx's URL parsing is a share of CPU
        host = target.host
        while True:
            try:
                data = await self._download(target, host, headers)
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
                if self._retry.waits_out(throttles, exc.cool_down):
                    throttles += 1  # the gate holds the host for its cool-down: not an attempt
                    continue
                reason, retry_after = exc.reason, exc.retry_after
            except Exception as exc:  # a bug in a library on hostile input: not worth a job
                log.exception("unexpected error fetching %s", url[:200])
                raise ImageFetchError(f"unexpected error: {type(exc).__name__}") from None
            if self._retry.gives_up(attempt):
                raise ImageFetchError(f"{reason} (after {attempt + 1} attempts)")
            await self._retry.wait(attempt, retry_after)
            attempt += 1

    async def _download(self, url: httpx.URL, host: str, headers: dict[str, str]) -> bytes:
        async with self._global, self._per_host[host], self._gate.hold(host) as held:
            try:
                # asyncio.timeout, not wait_for: no task of its own per request
                async with asyncio.timeout(self._settings.image_total_timeout):
                    return await self._stream(url, headers)
            except _Retryable as exc:
                if exc.headers is not None:
                    exc.cool_down = await held.throttled(exc.headers)
                raise
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

    async def _stream(self, url: httpx.URL, headers: dict[str, str]) -> bytes:
        cap = self._settings.image_max_bytes
        async with self._client.stream("GET", url, headers=headers) as response:
            status = response.status_code
            if status in RETRY_STATUSES:
                raise _Retryable(
                    f"HTTP {status}",
                    parse_retry_after(response.headers.get("retry-after")),
                    dict(response.headers) if status == 429 else None,
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
            # aiter_bytes decodes gzip/deflate, so the cap counts decoded bytes. No chunk size:
            # httpcore's reads (64 KiB at most) pass through instead of being re-chunked.
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > cap:
                    raise ImageFetchError(f"image larger than {cap // (1024 * 1024)} MiB")
                chunks.append(chunk)
            return b"".join(chunks)


class _Forbidden(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

"""Typed async client for the Consumet manga API, normalising each provider's quirks.

Every httpx failure is turned into one of our UpstreamError classes here, at the boundary.
Over 300 lines because the client and the normalisation of each answer's shapes (see
shared/consumet/CONTRACT.md) change together, whenever a provider changes what it sends.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx
from redis.asyncio import Redis

from .config import Settings
from .errors import UpstreamBadResponse, UpstreamError, UpstreamStatus, UpstreamUnreachable
from .guard import ssl_context
from .models import Chapter, ChapterPages, MangaInfo, MangaResult, Page, SearchPage
from .outbound import OPEN_GATE, HostGate, RetryPolicy, parse_retry_after
from .providers import Provider

USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) ManhwaDownloader/0.1"
# MangaDex@Home promises its base URLs for about 15 minutes; a cached read stays well inside.
READ_CACHE_SECONDS = 120
_TTL_RE = re.compile(r"[?&]ttl=(\d{9,11})(?!\d)")
_NUMBER_RE = re.compile(r"(?:^|[^a-z])(?:c|ch|chapter)[-_. ]?(\d+(?:[._-]\d+)?)", re.IGNORECASE)


def _text(value: Any, prefer: str = "en") -> str | None:
    """Consumet's text fields are a string, a {lang: text} map or a list of such maps."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, Mapping):
        if prefer in value and isinstance(value[prefer], str):
            return value[prefer].strip() or None
        for item in value.values():
            if isinstance(item, str) and item.strip():
                return item.strip()
        return None
    if isinstance(value, list):
        texts = [_text(item, prefer) for item in value]
        return next((t for t in texts if t), None)
    if isinstance(value, int | float):
        return str(value)
    return None


def _alt_titles(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        if isinstance(item, str) and item.strip():
            out.append(item.strip())
        elif isinstance(item, Mapping):
            out.extend(v.strip() for v in item.values() if isinstance(v, str) and v.strip())
    return out


def _english_alt(value: Any) -> str | None:
    if isinstance(value, list):
        for item in value:
            if isinstance(item, Mapping) and isinstance(item.get("en"), str):
                return str(item["en"])
    return None


def display_titles(title: Any, alt_titles: Any, fallback: str) -> tuple[str, list[str]]:
    """(title, alt titles) so that search and the series page agree on a series' name.

    MangaDex's search gives the first title of the map (often romanised), its info the English
    one or none, and both the same alt titles. So English wins wherever it is: the map's `en`,
    else the first English alt title, else the title as given (or the first alt title); the
    others stay alt titles.
    """
    given = _alt_titles([title]) if isinstance(title, Mapping) else _alt_titles(title)
    others = _alt_titles(alt_titles)
    english = _english(title) or _english_alt(alt_titles)
    chosen = english or next(iter(given + others), fallback)
    return chosen, list(dict.fromkeys(t for t in given + others if t != chosen))


def _english(value: Any) -> str | None:
    if isinstance(value, Mapping) and isinstance(value.get("en"), str):
        return value["en"].strip() or None
    return None


def _str_list(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [str(v).strip() for v in value if isinstance(v, str | int | float) and str(v).strip()]


def _status(value: Any) -> str | None:
    text = _text(value)
    return text[:1].upper() + text[1:] if text else None


def _optional_str(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    return text or None


def chapter_number(raw: Mapping[str, Any]) -> str | None:
    """The chapter number: the field when the provider has one, else parsed from id or title."""
    for key in ("chapterNumber", "chapter", "number"):
        text = _optional_str(raw.get(key))
        if text:
            match = re.search(r"\d+(?:\.\d+)?", text)
            return match.group(0) if match else text
    for key in ("id", "title"):
        value = raw.get(key)
        if isinstance(value, str):
            match = _NUMBER_RE.search(value.rsplit("/", 1)[-1]) or _NUMBER_RE.search(value)
            if match:
                number = re.sub(r"[_-]", ".", match.group(1))
                whole, _, frac = number.partition(".")
                return str(int(whole)) + (f".{frac}" if frac else "")
    return None


def _sort_key(item: tuple[int, Chapter]) -> tuple[int, float, int]:
    position, chapter = item
    try:
        number = float(chapter.number) if chapter.number is not None else None
    except ValueError:
        number = None
    if number is None:
        return (1, 0.0, position)
    return (0, -number, position)


def sort_newest_first(chapters: list[Chapter]) -> list[Chapter]:
    """Newest first by number; chapters without a number keep their upstream order, last."""
    return [c for _, c in sorted(enumerate(chapters), key=_sort_key)]


def usable_referer(value: Any) -> str | None:
    """A Referer from `headerForImage`/`headers` (a dict or a string); absolute http(s) only."""
    if isinstance(value, Mapping):
        value = value.get("Referer") or value.get("referer")
    if isinstance(value, str) and re.match(r"^https?://[^/\s]+", value):
        return value
    return None


def cache_prefix(base_url: str) -> str:
    """The answer cache's key prefix for one Consumet instance (its base URL, hashed)."""
    return "cache:" + hashlib.sha256(base_url.rstrip("/").encode()).hexdigest()[:16]


class ConsumetClient:
    """Search, info and read through one Consumet instance; results cached in Redis.

    `transport` replaces the network (tests pass an `httpx.MockTransport`); `gate` is entered
    around every single request, retries included (fleet-wide host budgets).
    """

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 60.0,
        retry: RetryPolicy,
        cache: Redis | None = None,
        cache_seconds: int = 300,
        transport: httpx.AsyncBaseTransport | None = None,
        gate: HostGate = OPEN_GATE,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._retry = retry
        self._gate = gate
        # Answers hold the instance's own URLs (covers, pages): one instance's answers must
        # never be served for another (a restarted demo source on a new port, a changed
        # MANGAPI_URL). Hashed: a base URL may carry credentials, and keys stay short.
        self._cache_prefix = cache_prefix(self.base_url)
        self._cache = cache
        self._cache_seconds = cache_seconds
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=10.0),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            transport=transport,
            follow_redirects=False,
            verify=ssl_context(),  # shared: a default context loads the CA bundle (~0.1 s CPU)
        )

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        cache: Redis | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        gate: HostGate = OPEN_GATE,
    ) -> ConsumetClient:
        return cls(
            settings.mangapi_url,
            timeout=settings.consumet_timeout,
            retry=RetryPolicy.for_consumet(settings),
            cache=cache,
            cache_seconds=settings.cache_seconds,
            transport=transport,
            gate=gate,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> ConsumetClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def ping(self) -> None:
        """Raise an UpstreamError unless the instance answers its welcome route."""
        try:
            response = await self._http.get(self.base_url + "/", timeout=5.0)
        except httpx.HTTPError as exc:
            raise UpstreamUnreachable(f"Consumet unreachable: {type(exc).__name__}") from exc
        if response.status_code >= 400:
            raise UpstreamStatus(f"Consumet answered {response.status_code}", response.status_code)

    async def _get_json(self, path: str, params: dict[str, str] | None = None) -> Any:
        url = self.base_url + path
        attempt = 0
        while True:
            try:
                return await self._get_once(url, params)
            except UpstreamError as exc:
                if not exc.retryable or self._retry.gives_up(attempt):
                    raise
                retry_after = exc.retry_after if isinstance(exc, UpstreamStatus) else None
                await self._retry.wait(attempt, retry_after)
                attempt += 1

    async def _get_once(self, url: str, params: dict[str, str] | None) -> Any:
        # Consumet's upstreams rate-limit it per provider (MangaDex at-home: 40/min), so its
        # calls share a fleet-wide budget per provider, `consumet:<provider>`, like a host.
        path = url[len(self.base_url) :].split("/")
        budget = f"consumet:{path[2] if len(path) > 2 else ''}"
        try:
            async with self._gate.hold(budget) as held:
                response = await self._http.get(url, params=params)
                if response.status_code == 429 or response.status_code >= 500:
                    # A 500 is how Consumet reports its upstream failing (often throttling): a
                    # short pause for everyone instead of every worker hammering it.
                    await held.throttled(response.headers, strike=response.status_code == 429)
        except httpx.TimeoutException as exc:
            raise UpstreamUnreachable("Consumet timed out") from exc
        except httpx.HTTPError as exc:
            raise UpstreamUnreachable(f"Consumet unreachable: {type(exc).__name__}") from exc
        if response.status_code >= 400:
            message = _upstream_message(response)
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            raise UpstreamStatus(
                f"Consumet answered {response.status_code}{': ' + message if message else ''}",
                response.status_code,
                retry_after,
            )
        try:
            return response.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise UpstreamBadResponse("Consumet answered with a body that is not JSON") from exc

    async def _cached(self, key: str, path: str, params: dict[str, str] | None, ttl: int) -> Any:
        return (await self._lookup(key, path, params, ttl))[0]

    async def _lookup(
        self, key: str, path: str, params: dict[str, str] | None, ttl: int, *, fresh: bool = False
    ) -> tuple[Any, bool]:
        """(answer, whether it came from our cache); `fresh` skips the cache and refreshes it."""
        if self._cache is not None and ttl > 0 and not fresh:
            hit = await self._cache.get(key)
            if hit is not None:
                return json.loads(hit), True
        data = await self._get_json(path, params)
        text = json.dumps(data)
        ttl = min(ttl, promised_seconds(text))
        if self._cache is not None and ttl > 0:
            await self._cache.set(key, text, ex=ttl)
        return data, False

    async def search(self, provider: Provider, query: str, page: int = 1) -> SearchPage:
        path = f"/manga/{provider.name}/{quote(query, safe='')}"
        params = {"page": str(page)} if page != 1 else None
        key = f"{self._cache_prefix}:{provider.name}:search:{query}:{page}"
        data = await self._cached(key, path, params, self._cache_seconds)
        if not isinstance(data, Mapping) or not isinstance(data.get("results"), list):
            raise UpstreamBadResponse("Consumet search answer has no results list")
        results: list[MangaResult] = []
        for raw in data["results"]:
            if not isinstance(raw, Mapping) or not _optional_str(raw.get("id")):
                continue  # consumet.ts#626: entries with `id: undefined` occur
            title, alt_titles = display_titles(raw.get("title"), raw.get("altTitles"), "?")
            results.append(
                MangaResult(
                    id=str(raw["id"]),
                    title=title,
                    image=_optional_str(raw.get("image")),
                    description=_text(raw.get("description")),
                    status=_status(raw.get("status")),
                    alt_titles=alt_titles,
                )
            )
        # hasNextPage is unreliable (mangahere says true on the only page; mangadex omits it):
        # offer a next page whenever this one was not empty.
        declared = data.get("hasNextPage")
        has_next = bool(results) and (declared is not False)
        if provider.name == "mangadex":
            has_next = len(results) >= 20
        return SearchPage(
            source=provider.name, query=query, page=page, has_next_page=has_next, results=results
        )

    async def info(self, provider: Provider, manga_id: str) -> MangaInfo:
        if provider.ids_in_path:
            path, params = f"/manga/{provider.name}/info/{quote(manga_id, safe='')}", None
        else:
            path, params = f"/manga/{provider.name}/info", {"id": manga_id}
        key = f"{self._cache_prefix}:{provider.name}:info:{manga_id}"
        data = await self._cached(key, path, params, self._cache_seconds)
        if not isinstance(data, Mapping):
            raise UpstreamBadResponse("Consumet info answer is not an object")
        raw_chapters = data.get("chapters") or []
        if not isinstance(raw_chapters, list):
            raise UpstreamBadResponse("Consumet info answer has a malformed chapters list")
        chapters: list[Chapter] = []
        seen: set[str] = set()
        for raw in raw_chapters:
            if not isinstance(raw, Mapping):
                continue
            cid = _optional_str(raw.get("id"))
            if not cid or cid == "undefined" or cid in seen:
                continue
            seen.add(cid)
            number = chapter_number(raw)
            title = _text(raw.get("title"))
            if not title or title == number:  # MangaDex names untitled chapters by number
                title = f"Chapter {number}" if number else cid
            pages = raw.get("pages")
            chapters.append(
                Chapter(
                    id=cid,
                    title=title,
                    number=number,
                    volume=_optional_str(raw.get("volumeNumber") or raw.get("volume")),
                    pages=pages if isinstance(pages, int) and not isinstance(pages, bool) else None,
                    released=_optional_str(raw.get("releasedDate") or raw.get("releaseDate")),
                )
            )
        headers = data.get("headers") or data.get("headerForImage")
        referer = usable_referer(headers)
        title, alt_titles = display_titles(data.get("title"), data.get("altTitles"), manga_id)
        return MangaInfo(
            source=provider.name,
            id=_optional_str(data.get("id")) or manga_id,
            title=title,
            image=_optional_str(data.get("image")),
            description=_text(data.get("description")),
            status=_status(data.get("status")),
            genres=_str_list(data.get("genres")),
            authors=_str_list(data.get("authors")),
            alt_titles=alt_titles,
            headers={"Referer": referer} if referer else {},
            chapters=sort_newest_first(chapters),
        )

    async def read(
        self, provider: Provider, chapter_id: str, *, referer: str | None = None
    ) -> ChapterPages:
        """Pages in reading order (array position: `page` is 0-based, 1-based or null)."""
        return (await self.read_pages(provider, chapter_id, referer=referer))[0]

    async def read_pages(
        self,
        provider: Provider,
        chapter_id: str,
        *,
        referer: str | None = None,
        fresh: bool = False,
    ) -> tuple[ChapterPages, bool]:
        """Like `read`, and whether the answer came from our cache; `fresh` asks the source.

        A job whose pages fail from a cached answer reads once more with `fresh` (image URLs
        expire, a restarted source moves) before it gives the chapter up.
        """
        if provider.ids_in_path:
            path, params = f"/manga/{provider.name}/read/{quote(chapter_id, safe='')}", None
        else:
            path, params = f"/manga/{provider.name}/read", {"chapterId": chapter_id}
        key = f"{self._cache_prefix}:{provider.name}:read:{chapter_id}"
        # Image URLs expire (MangaDex@Home ~15 min), so reads are cached only briefly.
        ttl = min(self._cache_seconds, READ_CACHE_SECONDS)
        data, cached = await self._lookup(key, path, params, ttl, fresh=fresh)
        if not isinstance(data, list):
            raise UpstreamBadResponse("Consumet read answer is not a list of pages")
        default = usable_referer(referer) or provider.default_referer
        pages: list[Page] = []
        for raw in data:
            if not isinstance(raw, Mapping):
                raise UpstreamBadResponse("Consumet read answer has a page that is not an object")
            img = _optional_str(raw.get("img"))
            if not img or not re.match(r"^https?://", img, re.IGNORECASE):
                raise UpstreamBadResponse(f"page {len(pages) + 1} has no http(s) image URL")
            page_referer = usable_referer(raw.get("headerForImage")) or default
            pages.append(
                Page(
                    index=len(pages),
                    img=img,
                    headers={"Referer": page_referer} if page_referer else {},
                )
            )
        return ChapterPages(source=provider.name, chapter_id=chapter_id, pages=pages), cached


def _upstream_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, Mapping):
        message = body.get("message") or body.get("error")
        if isinstance(message, str):
            return message[:200]
    return ""


def promised_seconds(answer: str, now: float | None = None) -> int:
    """How long the URLs in an answer are promised to work, as far as they say (a cache must
    not outlive that). Consumet sends no Cache-Control; mangahere's image and cover URLs carry
    `ttl=<unix time>`, the earliest of which bounds the answer. Without one, no bound."""
    stamps = [int(m) for m in _TTL_RE.findall(answer)]
    if not stamps:
        return 2**31
    return max(0, int(min(stamps) - (now if now is not None else time.time())))

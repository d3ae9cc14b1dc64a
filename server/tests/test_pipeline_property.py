"""A property of the whole pipeline, not examples: whatever a source answers, a job ends.

hypothesis drives `run_job` in-process (a real Redis; `httpx.MockTransport` for Consumet and the
image hosts) with random chapters: random `read` answers, page URLs that are random strings,
random statuses, bodies, delays and exceptions thrown by the transport. Every job must reach a
final state, nothing may escape `run_job`, and a chapter is either whole in the archive (exactly
the pages its listing named, in order) or listed in `failed`.
"""

from __future__ import annotations

import asyncio
import io
import json
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from redis.asyncio import Redis

from manhwa.config import Settings
from manhwa.consumet import ConsumetClient
from manhwa.fetch import ImageFetcher
from manhwa.jobs import FINAL, SUCCESS, JobSpec, JobStore
from manhwa.pipeline import run_job

from .stack import RedisServer

SERIES = "property-series"
EXCEPTIONS: list[type[Exception]] = [
    httpx.ConnectError,
    httpx.ReadTimeout,
    httpx.RemoteProtocolError,
    httpx.ReadError,
    RuntimeError,  # not even httpx's: a bug in a layer below must still fail just the page
]


def _png(shade: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (3, 2), (shade, 0, 0)).save(out, "PNG")
    return out.getvalue()


@dataclass(frozen=True)
class PageCase:
    url: str
    behaviour: tuple[Any, ...]  # ("image",) | ("status", n) | ("body", b) | ("raise", cls)
    delay: float


@dataclass(frozen=True)
class ChapterCase:
    read: tuple[Any, ...]  # ("ok",) | ("status", n) | ("not_json",) | ("object",) | ("raise", c)
    pages: tuple[PageCase, ...]
    declared: int | None  # MangaDex's page count in info


URLS = st.one_of(
    st.integers(0, 10**6).map(lambda n: f"http://img.test/p/{n}.png"),
    st.text(max_size=40).map(lambda t: "http://" + t),
    st.text(max_size=40).map(lambda t: "https://img.test/" + t),
    st.text(max_size=60),
)
BEHAVIOURS = st.one_of(
    st.just(("image",)),
    st.just(("image",)),
    st.tuples(st.just("status"), st.sampled_from([204, 301, 403, 404, 429, 500, 503])),
    st.tuples(st.just("body"), st.binary(max_size=64)),
    st.tuples(st.just("raise"), st.sampled_from(EXCEPTIONS)),
)
PAGES = st.builds(PageCase, URLS, BEHAVIOURS, st.sampled_from([0.0, 0.0, 0.001, 0.02]))
READS = st.one_of(
    st.just(("ok",)),
    st.just(("ok",)),
    st.just(("ok",)),
    st.tuples(st.just("status"), st.sampled_from([404, 500])),
    st.just(("not_json",)),
    st.just(("object",)),
    st.tuples(st.just("raise"), st.sampled_from(EXCEPTIONS[:4])),
)


@st.composite
def chapters(draw: st.DrawFn) -> ChapterCase:
    pages = tuple(draw(st.lists(PAGES, max_size=5)))
    declared = draw(st.sampled_from([None, 0, len(pages), len(pages) + 1]))
    return ChapterCase(draw(READS), pages, declared)


class Source:
    """The Consumet instance and the image hosts of one example."""

    def __init__(self, cases: list[ChapterCase]) -> None:
        self.cases = {f"ch-{n}": case for n, case in enumerate(cases)}
        self.images: dict[str, PageCase] = {}
        for case in cases:
            for page in case.pages:
                try:
                    self.images[str(httpx.URL(page.url))] = page
                except Exception:
                    continue  # never requested: the pipeline must refuse it first

    def served(self, page: PageCase) -> tuple[Any, ...] | None:
        """What the image host answers at this page's URL (the last page listing it decides)."""
        try:
            found = self.images.get(str(httpx.URL(page.url)))
        except Exception:
            return None
        return found.behaviour if found is not None else None

    def consumet(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == f"/manga/mangadex/info/{SERIES}":
            listed = [
                {"id": cid, "title": f"Chapter {n + 1}", "chapterNumber": str(n + 1),
                 "pages": case.declared}
                for n, (cid, case) in enumerate(self.cases.items())
            ]  # fmt: skip
            return httpx.Response(200, json={"id": SERIES, "title": "P", "chapters": listed})
        case = self.cases[path.rsplit("/", 1)[-1]]
        kind = case.read[0]
        if kind == "status":
            return httpx.Response(case.read[1], json={"message": "no"})
        if kind == "not_json":
            return httpx.Response(200, content=b"<html>")
        if kind == "object":
            return httpx.Response(200, json={"pages": []})
        if kind == "raise":
            raise case.read[1]("injected", request=request)
        body = [{"img": page.url, "page": n} for n, page in enumerate(case.pages, start=1)]
        return httpx.Response(200, json=body)

    async def image(self, request: httpx.Request) -> httpx.Response:
        page = self.images.get(str(request.url))
        if page is None:
            return httpx.Response(404)
        if page.delay:
            await asyncio.sleep(page.delay)
        kind = page.behaviour[0]
        if kind == "image":
            return httpx.Response(200, content=_png(len(page.url) % 256))
        if kind == "status":
            return httpx.Response(page.behaviour[1], content=b"x")
        if kind == "body":
            return httpx.Response(200, content=page.behaviour[1])
        exc = page.behaviour[1]
        if issubclass(exc, httpx.TransportError):
            raise exc("injected", request=request)
        raise exc("injected")


@pytest.fixture(scope="module")
def store_url(redis_server: RedisServer) -> Iterator[str]:
    yield f"{redis_server.url}/0"  # the stacks use databases 1-15


def _cbz_pages(data: bytes) -> list[bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as cbz:
        assert cbz.testzip() is None
        names = [n for n in cbz.namelist() if n != "ComicInfo.xml"]
        assert names == sorted(names)
        return [cbz.read(n) for n in names]


def _written_chapters(path: Path) -> list[list[bytes]]:
    """Each chapter in the job's file, in order, as its page bytes."""
    data = path.read_bytes()
    if path.suffix == ".cbz":
        return [_cbz_pages(data)]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [_cbz_pages(archive.read(n)) for n in archive.namelist()]


async def _run(cases: list[ChapterCase], store_url: str, folder: Path) -> None:
    config = Settings(
        redis_url=store_url,
        mangapi_url="http://consumet.test",
        download_dir=folder,
        image_retries=1,
        retry_base_delay=0.0,
        retry_max_delay=0.0,
        consumet_retries=0,
        cache_seconds=0,
        image_total_timeout=5,
        lease_seconds=10,
    )
    source = Source(cases)
    redis = Redis.from_url(store_url, decode_responses=True)
    try:
        store = JobStore(redis)
        ids = tuple(source.cases)
        job_id, _ = await store.create_or_get(
            JobSpec(source="mangadex", ids=ids, title=f"P {folder.name}", series_id=SERIES)
        )
        async with (
            ConsumetClient.from_settings(
                config, cache=redis, transport=httpx.MockTransport(source.consumet)
            ) as consumet,
            ImageFetcher(config, transport=httpx.MockTransport(source.image)) as fetcher,
        ):
            ended = await run_job(
                job_id, config, "property-test", redis=redis, consumet=consumet, fetcher=fetcher
            )
        job = await store.get(job_id)
    finally:
        await redis.aclose()
    assert job is not None and ended == job.state and job.state in FINAL, (ended, job)
    failed = {f.chapter_id for f in job.failed}
    assert job.done_chapters + len(failed) == len(ids), job
    assert all(f.reason and len(f.reason) < 300 for f in job.failed), job.failed
    done = [cid for cid in ids if cid not in failed]
    for cid in done:  # a chapter with any page that cannot be whole must not be written
        case = source.cases[cid]
        assert case.read == ("ok",) and case.pages, (cid, case)
        assert all(source.served(page) == ("image",) for page in case.pages), (cid, case)
    if job.state != SUCCESS:
        assert not done
        return
    raw = await _file_path(store_url, job_id)
    written = _written_chapters(Path(raw))
    expected = [[_png(len(p.url) % 256) for p in source.cases[cid].pages] for cid in done]
    assert written == expected


async def _file_path(store_url: str, job_id: str) -> str:
    redis = Redis.from_url(store_url, decode_responses=True)
    try:
        return str(await redis.hget(JobStore.key(job_id), "file_path"))
    finally:
        await redis.aclose()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(chapters(), min_size=1, max_size=3))
def test_every_job_ends_and_no_chapter_is_written_short(
    store_url: str, cases: list[ChapterCase]
) -> None:
    with tempfile.TemporaryDirectory(prefix="manhwa-property-") as folder:
        asyncio.run(_run(cases, store_url, Path(folder)))


def test_the_source_stand_in_answers_as_consumet_does() -> None:
    """The stand-in itself: a good chapter lists its pages and serves PNGs at their URLs."""
    page = PageCase("http://img.test/p/1.png", ("image",), 0.0)
    source = Source([ChapterCase(("ok",), (page,), 1)])
    read = source.consumet(httpx.Request("GET", "http://consumet.test/manga/mangadex/read/ch-0"))
    assert json.loads(read.content) == [{"img": page.url, "page": 1}]
    image = asyncio.run(source.image(httpx.Request("GET", page.url)))
    assert image.content == _png(len(page.url) % 256)

"""The download pipeline in-process: no Celery, no subprocess but Redis; Consumet and the image
host are an `httpx.MockTransport` (tests/fake_source.py)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import zipfile
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from redis.asyncio import Redis

from manhwa.cbz import ChapterWriter
from manhwa.config import Settings
from manhwa.consumet import ConsumetClient, cache_prefix
from manhwa.errors import ImageFetchError, UpstreamStatus
from manhwa.fetch import ImageFetcher
from manhwa.images import check_image
from manhwa.jobs import PENDING, PROGRESS, JobSpec, JobStatus, JobStore
from manhwa.models import ChapterMeta
from manhwa.outbound import HostPass, RetryPolicy
from manhwa.pipeline import ChapterDownloader, ChapterResult, ProgressReporter, StandDown, run_job
from manhwa.providers import resolve_provider
from manhwa.storage import DownloadFolder

from .fake_source import CONSUMET, IMAGES, FakeSource
from .stack import RedisServer

T = TypeVar("T")
DB = 12


@pytest.fixture
def settings(redis_server: RedisServer, tmp_path: Path) -> Settings:
    return Settings(
        redis_url=f"{redis_server.url}/{DB}",
        mangapi_url=CONSUMET,
        download_dir=tmp_path,
        image_retries=2,
        consumet_retries=2,
        retry_base_delay=0.0,
        retry_max_delay=0.01,
        cache_seconds=0,
    )


def run(settings: Settings, scenario: Callable[[JobStore], Awaitable[T]]) -> T:
    async def main() -> T:
        redis = Redis.from_url(settings.store_url, decode_responses=True)
        try:
            return await scenario(JobStore(redis))
        finally:
            await redis.aclose()

    return asyncio.run(main())


async def run_existing(settings: Settings, store: JobStore, source: FakeSource, job_id: str) -> str:
    """Run a queued job as a worker would, with `source` as Consumet and the image host."""
    async with (
        ConsumetClient.from_settings(settings, transport=source.transport()) as consumet,
        ImageFetcher(settings, transport=source.transport()) as fetcher,
    ):
        return await run_job(
            job_id, settings, "test-owner", redis=store.redis, consumet=consumet, fetcher=fetcher
        )


async def run_with(
    settings: Settings, store: JobStore, source: FakeSource, spec: JobSpec
) -> tuple[str, str]:
    job_id, created = await store.create_or_get(spec)
    assert created
    return job_id, await run_existing(settings, store, source, job_id)


def spec(source: FakeSource, *ids: str, fmt: str = "cbz") -> JobSpec:
    return JobSpec(
        source.provider,
        ids,
        format=fmt,  # type: ignore[arg-type]
        title=f"Fake {time.time_ns()}",
        series_id="series",
    )


def images_in(path: Path) -> list[bytes]:
    with zipfile.ZipFile(path) as zf:
        names = sorted(n for n in zf.namelist() if n != "ComicInfo.xml")
        return [zf.read(n) for n in names]


# --- the image fetcher -----------------------------------------------------------------------


def test_image_5xx_and_429_are_retried_then_the_page_arrives(settings: Settings) -> None:
    source = FakeSource()
    url = source.add_chapter("c1", "1", 1)[0]
    source.faults[url] = [(503, None), (429, "0")]

    async def fetch() -> bytes:
        async with ImageFetcher(settings, transport=source.transport()) as fetcher:
            return (await fetcher.fetch(url, 0, {})).data

    assert asyncio.run(fetch()) == source.images[url]
    assert source.hits[url] == 3


def test_image_retries_end_with_the_last_reason(settings: Settings) -> None:
    source = FakeSource()
    url = source.add_chapter("c1", "1", 1)[0]
    source.faults[url] = [(502, None)] * 5

    async def fetch() -> None:
        async with ImageFetcher(settings, transport=source.transport()) as fetcher:
            await fetcher.fetch(url, 0, {})

    with pytest.raises(ImageFetchError, match=r"HTTP 502 \(after 3 attempts\)"):
        asyncio.run(fetch())
    assert source.hits[url] == 3


def test_a_404_page_is_not_retried(settings: Settings) -> None:
    source = FakeSource()

    async def fetch() -> None:
        async with ImageFetcher(settings, transport=source.transport()) as fetcher:
            await fetcher.fetch(f"{IMAGES}/missing.png", 0, {})

    with pytest.raises(ImageFetchError, match="HTTP 404"):
        asyncio.run(fetch())
    assert source.hits[f"{IMAGES}/missing.png"] == 1


def test_a_403_is_tried_once_more_with_the_fallback_referer(settings: Settings) -> None:
    source = FakeSource(referer_required="https://www.mangakakalot.gg/")
    url = source.add_chapter("c1", "1", 1)[0]

    async def fetch() -> bytes:
        async with ImageFetcher(settings, transport=source.transport()) as fetcher:
            page = await fetcher.fetch(
                url, 0, {"Referer": "https://www.mangakakalot.gg"}, "https://www.mangakakalot.gg/"
            )
            return page.data

    assert asyncio.run(fetch()) == source.images[url]
    assert source.referers == ["https://www.mangakakalot.gg", "https://www.mangakakalot.gg/"]


def test_a_cookie_an_image_host_sets_is_sent_back_on_its_next_requests(
    settings: Settings,
) -> None:
    """The fetcher's jar skips responses that set no cookie (a CPU cut); one that does set a
    cookie is still kept and sent back, and pages without Set-Cookie do not drop it."""
    source = FakeSource()
    urls = source.add_chapter("c1", "1", 3)
    sent: list[str | None] = []

    def handle(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers.get("cookie"))
        response = source.handle(request)
        if len(sent) == 1:
            response.headers["set-cookie"] = "cf_clearance=ok; Path=/"
        return response

    async def fetch() -> list[bytes]:
        async with ImageFetcher(settings, transport=httpx.MockTransport(handle)) as fetcher:
            return [(await fetcher.fetch(url, i, {})).data for i, url in enumerate(urls)]

    assert asyncio.run(fetch()) == [source.images[url] for url in urls]
    assert sent == [None, "cf_clearance=ok", "cf_clearance=ok"]


def test_retry_policy_honours_retry_after_up_to_its_maximum() -> None:
    policy = RetryPolicy(retries=3, base_delay=0.0, max_delay=5.0)
    assert policy.delay(0, retry_after=2.0) == 2.0
    assert policy.delay(0, retry_after=60.0) == 5.0
    assert 0 <= RetryPolicy(3, 1.0, 5.0).delay(10) <= 5.0
    assert policy.gives_up(3) and not policy.gives_up(2)


# --- the Consumet client ---------------------------------------------------------------------


def test_consumet_retries_a_503_and_gives_up_on_a_404(settings: Settings) -> None:
    source = FakeSource()
    source.add_chapter("c1", "1", 2)
    read_url = f"{CONSUMET}/manga/mangadex/read/c1"
    source.faults[read_url] = [(503, "0")]
    provider = resolve_provider("mangadex")

    async def read() -> tuple[int, str]:
        async with ConsumetClient.from_settings(settings, transport=source.transport()) as c:
            pages = (await c.read(provider, "c1")).pages
            with pytest.raises(UpstreamStatus) as missing:
                await c.read(provider, "nope")
            return len(pages), missing.value.detail

    count, detail = asyncio.run(read())
    assert count == 2
    assert source.hits[read_url] == 2
    assert source.hits[f"{CONSUMET}/manga/mangadex/read/nope"] == 1
    assert detail == "Consumet answered 404: no such chapter"


# --- the progress reporter -------------------------------------------------------------------


def test_progress_writes_are_throttled_but_chapter_ends_are_not(settings: Settings) -> None:
    now = [100.0]

    async def scenario(store: JobStore) -> list[int]:
        job_id, _ = await store.create_or_get(JobSpec("mangadex", ("a", "b"), title=str(now)))
        assert await store.acquire_lease(job_id, "me", 30)
        assert await store.transition(job_id, {PENDING}, state=PROGRESS)
        reporter = ProgressReporter(store, job_id, "me", 2, clock=lambda: now[0])
        reporter.chapter_started(0, 3)
        seen: list[int] = []
        for number in (1, 2, 3):
            await reporter.page_written(0, number, 3)
            seen.append((await store.get(job_id)).pages_done)  # type: ignore[union-attr]
            now[0] += 0.01
        await reporter.chapter_ended(0, "a", "A", None)
        seen.append((await store.get(job_id)).pages_done)  # type: ignore[union-attr]
        return seen

    assert run(settings, scenario) == [1, 1, 1, 3]


def test_a_write_after_the_lease_is_lost_stands_down(settings: Settings) -> None:
    async def scenario(store: JobStore) -> None:
        job_id, _ = await store.create_or_get(JobSpec("mangadex", ("a",), title=str(time.time())))
        assert await store.acquire_lease(job_id, "other", 30)
        await store.transition(job_id, {PENDING}, state=PROGRESS)
        reporter = ProgressReporter(store, job_id, "me", 1)
        with pytest.raises(StandDown):
            await reporter.flush()

    run(settings, scenario)


# --- the chapter downloader ------------------------------------------------------------------


def test_a_chapter_failing_mid_window_leaves_no_file_and_takes_back_its_pages(
    settings: Settings,
) -> None:
    source = FakeSource()
    urls = source.add_chapter("c1", "1", 40)
    source.broken[urls[20]] = 404
    dest = DownloadFolder.from_settings(settings).chapter("job", 0)
    dest.parent.mkdir(parents=True)

    async def scenario(store: JobStore) -> tuple[ChapterResult, int, int]:
        job_id, _ = await store.create_or_get(JobSpec("mangadex", ("c1",), title=str(time.time())))
        await store.acquire_lease(job_id, "me", 30)
        await store.transition(job_id, {PENDING}, state=PROGRESS)
        reporter = ProgressReporter(store, job_id, "me", 1)
        meta = ChapterMeta(series="S", title="Chapter 1", number="1", chapter_id="c1")
        result = ChapterResult(0, "c1", meta)
        async with (
            ConsumetClient.from_settings(settings, transport=source.transport()) as consumet,
            ImageFetcher(settings, transport=source.transport()) as fetcher,
        ):
            downloader = ChapterDownloader(
                consumet, fetcher, resolve_provider("mangadex"), reporter, window=16
            )
            await downloader.download(result, dest)
        return result, reporter.progress.pages_done, reporter.progress.pages_total

    result, done, total = run(settings, scenario)
    assert result.reason == "page 21: HTTP 404"
    assert result.path is None
    assert (done, total) == (0, 0)
    assert list(dest.parent.iterdir()) == [], "no CBZ and no temp file"
    assert source.hits[urls[39]] == 0, "pages past the window are never fetched"


def _download_chapter(
    settings: Settings, source: FakeSource, chapter_id: str, dest: Path
) -> Callable[[JobStore], Awaitable[tuple[ChapterResult, int, int]]]:
    """A scenario downloading one chapter with the Redis cache on (as a worker's client has)."""

    async def scenario(store: JobStore) -> tuple[ChapterResult, int, int]:
        job_id, _ = await store.create_or_get(
            JobSpec("mangadex", (chapter_id,), title=str(time.time_ns()))
        )
        await store.acquire_lease(job_id, "me", 30)
        await store.transition(job_id, {PENDING}, state=PROGRESS)
        reporter = ProgressReporter(store, job_id, "me", 1)
        meta = ChapterMeta(series="S", title="Chapter 1", number="1", chapter_id=chapter_id)
        result = ChapterResult(0, chapter_id, meta)
        async with (
            ConsumetClient.from_settings(
                settings, cache=store.redis, transport=source.transport()
            ) as consumet,
            ImageFetcher(settings, transport=source.transport()) as fetcher,
        ):
            downloader = ChapterDownloader(
                consumet, fetcher, resolve_provider("mangadex"), reporter
            )
            await downloader.download(result, dest)
        return result, reporter.progress.pages_done, reporter.progress.pages_total

    return scenario


def test_a_chapter_failing_from_a_cached_read_is_read_again_once(settings: Settings) -> None:
    cached = settings.model_copy(update={"cache_seconds": 300})
    source = FakeSource()
    chapter_id = f"c{time.time_ns()}"
    urls = source.add_chapter(chapter_id, "1", 3)
    dest = DownloadFolder.from_settings(settings).chapter("job", 0)
    dest.parent.mkdir(parents=True)
    read = f"{CONSUMET}/manga/mangadex/read/{chapter_id}"
    gone = [f"{IMAGES}/expired/{n}.png" for n in range(3)]

    async def scenario(store: JobStore) -> tuple[ChapterResult, int, int]:
        # What the reader left in the shared cache: an answer whose URLs no longer work.
        stale = json.dumps([{"img": url, "page": n + 1} for n, url in enumerate(gone)])
        key = f"{cache_prefix(CONSUMET)}:mangadex:read:{chapter_id}"
        await store.redis.set(key, stale, ex=300)
        return await _download_chapter(cached, source, chapter_id, dest)(store)

    result, done, total = run(settings, scenario)
    assert result.reason is None and result.path == dest
    assert images_in(dest) == [source.images[u] for u in urls]
    assert (done, total) == (3, 3), "the failed listing's pages were taken back"
    assert source.hits[read] == 1, "read again once, from the source"
    assert source.hits[gone[0]] == 1 and source.hits[gone[1]] <= 1


def test_a_chapter_failing_from_a_fresh_read_is_not_read_again(settings: Settings) -> None:
    cached = settings.model_copy(update={"cache_seconds": 300})
    source = FakeSource()
    chapter_id = f"c{time.time_ns()}"
    urls = source.add_chapter(chapter_id, "1", 2)
    source.broken[urls[0]] = 404
    dest = DownloadFolder.from_settings(settings).chapter("job", 0)
    dest.parent.mkdir(parents=True)

    result, done, total = run(settings, _download_chapter(cached, source, chapter_id, dest))
    assert result.reason == "page 1: HTTP 404" and result.path is None
    assert (done, total) == (0, 0)
    assert source.hits[f"{CONSUMET}/manga/mangadex/read/{chapter_id}"] == 1


# --- whole jobs ------------------------------------------------------------------------------


def test_a_job_orders_chapters_and_builds_one_zip_of_cbzs(settings: Settings) -> None:
    source = FakeSource()
    source.add_chapter("c2", "2", 3)
    source.add_chapter("c1", "1", 2)

    job_id, state = run(
        settings, lambda store: run_with(settings, store, source, spec(source, "c2", "c1"))
    )
    assert state == "SUCCESS"
    archive = DownloadFolder.from_settings(settings).archive(job_id, "zip")
    with zipfile.ZipFile(archive) as zf:
        names = zf.namelist()
        assert [n.rsplit(" - ", 1)[1] for n in names] == ["Ch. 001.cbz", "Ch. 002.cbz"]
        for name, chapter in zip(names, ("c1", "c2"), strict=True):
            inner = settings.download_dir / "inner.cbz"
            inner.write_bytes(zf.read(name))
            assert images_in(inner) == [source.images[u] for u in source.chapters[chapter]]
    assert not (settings.download_dir / ".work" / job_id).exists()


def test_an_equal_request_gets_the_old_job_only_while_its_file_is_on_disk(
    settings: Settings,
) -> None:
    source = FakeSource()
    source.add_chapter("c1", "1", 2)
    folder = DownloadFolder.from_settings(settings)
    job_spec = spec(source, "c1")

    async def scenario(store: JobStore) -> tuple[str, str, str, str, bool]:
        first, state = await run_with(settings, store, source, job_spec)
        again, created = await store.create_or_get(job_spec, folder)
        assert not created
        folder.archive(first, "cbz").unlink()  # a manual delete, or a changed DOWNLOAD_DIR
        replaced, created = await store.create_or_get(job_spec, folder)
        without_folder, _ = await store.create_or_get(job_spec)
        return state, first, again, replaced, created and without_folder == replaced

    state, first, again, replaced, created = run(settings, scenario)
    assert state == "SUCCESS" and again == first
    assert replaced != first and created, "the old job's file is gone: a new job"


def test_a_half_done_job_resumes_from_its_finished_chapters(settings: Settings) -> None:
    source = FakeSource()
    first = source.add_chapter("c1", "1", 2)
    source.add_chapter("c2", "2", 2)
    folder = DownloadFolder.from_settings(settings)

    async def scenario(store: JobStore) -> tuple[str, str]:
        job_spec = spec(source, "c1", "c2")
        job_id, _ = await store.create_or_get(job_spec)
        # What a killed worker leaves: chapter 1 finished in the work folder, a temp archive.
        done = folder.chapter(job_id, 0)
        done.parent.mkdir(parents=True)
        meta = ChapterMeta(
            series=job_spec.title or "", title="Chapter 1", number="1", chapter_id="c1"
        )
        with ChapterWriter(done, meta, 2) as writer:
            for i, url in enumerate(first):
                writer.add(check_image(source.images[url], i, 10**6))
            writer.finish()
        (settings.download_dir / f".tmp-{job_id}.dead.zip").write_bytes(b"half")
        return job_id, await run_existing(settings, store, source, job_id)

    job_id, state = run(settings, scenario)
    assert state == "SUCCESS"
    assert source.hits[f"{CONSUMET}/manga/mangadex/read/c1"] == 0, "chapter 1 was kept"
    assert all(source.hits[u] == 0 for u in first)
    assert source.hits[f"{CONSUMET}/manga/mangadex/read/c2"] == 1
    assert not list(settings.download_dir.glob(".tmp-*")), "the dead archive was dropped"
    with zipfile.ZipFile(folder.archive(job_id, "zip")) as zf:
        assert len(zf.namelist()) == 2


def test_a_failed_chapter_is_reported_and_the_rest_delivered(settings: Settings) -> None:
    source = FakeSource()
    source.add_chapter("c1", "1", 2)
    bad = source.add_chapter("c2", "2", 3)
    source.broken[bad[1]] = 410

    async def scenario(store: JobStore) -> tuple[str, str, object]:
        job_id, state = await run_with(settings, store, source, spec(source, "c1", "c2"))
        return job_id, state, await store.get(job_id)

    job_id, state, job = run(settings, scenario)
    assert state == "SUCCESS"
    assert job.failed[0].chapter_id == "c2"  # type: ignore[attr-defined]
    assert job.failed[0].reason == "page 2: HTTP 410"  # type: ignore[attr-defined]
    assert job.file_name.endswith("Ch. 001.cbz")  # type: ignore[attr-defined]
    cbz = DownloadFolder.from_settings(settings).archive(job_id, "cbz")
    assert images_in(cbz) == [source.images[u] for u in source.chapters["c1"]]


def test_a_job_on_a_referer_checking_host_gets_its_pages_with_the_fallback(
    settings: Settings,
) -> None:
    source = FakeSource(provider="mangakakalot", referer_required="https://www.mangakakalot.gg/")
    urls = source.add_chapter("c1", "1", 3)

    async def scenario(store: JobStore) -> tuple[str, str]:
        return await run_with(settings, store, source, spec(source, "c1"))

    job_id, state = run(settings, scenario)
    assert state == "SUCCESS"
    cbz = DownloadFolder.from_settings(settings).archive(job_id, "cbz")
    assert images_in(cbz) == [source.images[u] for u in urls]
    assert source.referers.count("https://www.mangakakalot.gg") == 3, "the default first"
    assert source.referers.count("https://www.mangakakalot.gg/") == 3, "then the fallback"


class CountingPass:
    """A HostPass that records what it is told; `cool_down` None: it paces nothing."""

    def __init__(self, gate: CountingGate, host: str) -> None:
        self.gate = gate
        self.host = host

    async def throttled(self, headers: Mapping[str, str], *, strike: bool = True) -> float | None:
        self.gate.throttled.append((self.host, strike, headers.get("retry-after")))
        return self.gate.cool_down


class CountingGate:
    """A HostGate that records each admission and each throttled answer (what fleet-wide host
    budgets plug in as); with `cool_down` set it claims to wait throttled hosts out."""

    def __init__(self, cool_down: float | None = None) -> None:
        self.held: list[str] = []
        self.throttled: list[tuple[str, bool, str | None]] = []
        self.cool_down = cool_down

    @contextlib.asynccontextmanager
    async def _hold(self, host: str) -> AsyncIterator[CountingPass]:
        self.held.append(host)
        yield CountingPass(self, host)

    def hold(self, host: str) -> contextlib.AbstractAsyncContextManager[HostPass]:
        return self._hold(host)


def test_every_single_request_passes_the_host_gate(settings: Settings) -> None:
    source = FakeSource()
    url = source.add_chapter("c1", "1", 1)[0]
    source.faults[url] = [(503, None)]
    source.faults[f"{CONSUMET}/manga/mangadex/read/c1"] = [(502, None)]
    gate = CountingGate()

    async def scenario() -> None:
        async with (
            ConsumetClient.from_settings(settings, transport=source.transport(), gate=gate) as c,
            ImageFetcher(settings, transport=source.transport(), gate=gate) as fetcher,
        ):
            await c.read(resolve_provider("mangadex"), "c1")
            await fetcher.fetch(url, 0, {})

    asyncio.run(scenario())
    # Consumet is budgeted per provider (its upstreams rate-limit it per provider).
    assert gate.held == ["consumet:mangadex", "consumet:mangadex", "img.test", "img.test"]
    assert gate.throttled == [("consumet:mangadex", False, None)], (
        "Consumet's 5xx is a soft back-off for the gate; an image's 503 is the fetcher's retry"
    )


def test_a_throttled_429_the_gate_waits_out_does_not_spend_a_retry(settings: Settings) -> None:
    """IMAGE_RETRIES=2 allows 3 attempts; five 429s in a row still end in the page when the
    gate takes each cool-down on, and the gate hears every 429's headers."""
    source = FakeSource()
    url = source.add_chapter("c1", "1", 1)[0]
    source.faults[url] = [(429, "3")] * 5
    pacing = CountingGate(cool_down=0.0)

    async def fetch(gate: CountingGate) -> bytes:
        async with ImageFetcher(settings, transport=source.transport(), gate=gate) as fetcher:
            return (await fetcher.fetch(url, 0, {})).data

    assert asyncio.run(fetch(pacing)) == source.images[url]
    assert source.hits[url] == 6
    assert pacing.throttled == [("img.test", True, "3")] * 5
    source.faults[url] = [(429, "0")] * 5
    with pytest.raises(ImageFetchError, match=r"HTTP 429 \(after 3 attempts\)"):
        asyncio.run(fetch(CountingGate()))  # a gate that paces nothing: 429s are retries


def test_throttled_waits_are_capped_by_the_retry_policy() -> None:
    policy = RetryPolicy(2, 0.0, 0.0, throttled_max=3)
    assert [policy.waits_out(n, 0.0) for n in range(5)] == [True, True, True, False, False]
    assert not policy.waits_out(0, None), "no gate pacing: the 429 is an ordinary retry"


def test_a_record_no_delivery_can_run_ends_failure_after_max_job_attempts(
    settings: Settings,
) -> None:
    source = FakeSource()
    source.add_chapter("c1", "1", 1)
    limited = settings.model_copy(update={"max_job_attempts": 2})

    async def scenario(store: JobStore) -> tuple[list[str], JobStatus | None, str | None]:
        job_id, _ = await store.create_or_get(spec(source, "c1"))
        # Written by a newer version, say: a format this one does not know.
        await store.redis.hset(JobStore.key(job_id), "format", "bogus")
        ended = []
        for _ in range(2):  # what the sweep does between deliveries: back to the queue
            ended.append(await run_existing(limited, store, source, job_id))
            if ended[-1] == PROGRESS:
                await store.transition(job_id, {PROGRESS}, state=PENDING)
        raw = await store.get_raw(job_id)
        return ended, await store.get(job_id), (raw or {}).get("attempts")

    ended, job, attempts = run(settings, scenario)
    assert ended == [PROGRESS, "FAILURE"], "the first death is left for the sweep"
    assert job is not None and job.state == "FAILURE" and attempts == "2"
    assert job.error == "ValueError: unknown format 'bogus'"
    assert job.format == "cbz", "the status view still shows the job"
    assert source.hits[f"{CONSUMET}/manga/mangadex/read/c1"] == 0


def test_page_options_no_delivery_can_read_end_the_job_and_show_as_plain(
    settings: Settings,
) -> None:
    """Spoiled page options are the worker's ValueError, like an unknown format: it must not
    build plain pages for a job that asked for shaped ones; the status view still answers."""
    source = FakeSource()
    source.add_chapter("c1", "1", 1)
    limited = settings.model_copy(update={"max_job_attempts": 1})

    async def scenario(store: JobStore) -> tuple[str, JobStatus | None]:
        job_id, _ = await store.create_or_get(spec(source, "c1"))
        await store.redis.hset(JobStore.key(job_id), "page_options", '{"encode": "avif:9"}')
        ended = await run_existing(limited, store, source, job_id)
        return ended, await store.get(job_id)

    ended, job = run(settings, scenario)
    assert ended == "FAILURE"
    assert job is not None and job.state == "FAILURE"
    assert job.error is not None and job.error.startswith("InvalidPageOptions: ")
    assert (job.split_tall, job.encode) == (None, "original"), "the status view shows plain"
    assert source.hits[f"{CONSUMET}/manga/mangadex/read/c1"] == 0

"""Library checks: two at once make one job; a failing chapter is shown with its reason, kept
in back-off, and downloaded by a later check; the index is rebuilt from the folder alone, and
survives an export/import. Real Redis, the demo source, and (where a job must run) real workers.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from manhwa.celery_app import make_celery
from manhwa.config import Settings
from manhwa.jobs import JobStore
from manhwa.library.checks import check_series, wanted_chapters
from manhwa.library.store import ChapterFailure, Follow, LibraryStore, follow_id

from ..stack import SERVER, DemoSource, RedisServer, Stack, free_port
from .helpers import SCRIPT
from .test_library import RELEASING, follow_of, library_env, post_follow, release, wait_for


@pytest.fixture(scope="module")
def own_redis() -> Iterator[RedisServer]:
    """A Redis of its own: these tests flush their database."""
    server = RedisServer(free_port(), Path(tempfile.mkdtemp(prefix="manhwa-redis-lib-")))
    server.start()
    yield server
    server.stop()


def _settings(redis: RedisServer, demo: DemoSource, tmp_path: Path, **extra: Any) -> Settings:
    """Settings for checks run in this process against the demo source."""
    return Settings(
        redis_url=f"{redis.url}/0",
        mangapi_url=demo.url,
        library_dir=tmp_path / "library",
        allow_private_hosts="127.0.0.1/32",  # parsed by the validator
        cache_seconds=0,
        **extra,
    )


def test_two_checks_at_once_make_one_job(
    own_redis: RedisServer, demo: DemoSource, tmp_path: Path
) -> None:
    settings = _settings(own_redis, demo, tmp_path)
    celery = make_celery(settings)  # sends to the real broker; no worker consumes it here

    async def run() -> tuple[list[str], int]:
        redis = Redis.from_url(settings.store_url, decode_responses=True)
        try:
            await redis.flushdb()
            lib = LibraryStore(redis)
            fid = follow_id("mangadex", RELEASING)
            # "all chapters from 1": every chapter the source lists is wanted.
            await lib.save_follow(
                Follow(id=fid, source="mangadex", series_id=RELEASING, mode="from", from_number=1)
            )
            results = await asyncio.gather(
                *(check_series(settings, redis, celery, fid) for _ in range(4))
            )
            jobs = [j for j in await JobStore(redis).recent(50) if j.destination == "library"]
            return sorted(r.outcome for r in results), len(jobs)
        finally:
            await redis.flushdb()
            await redis.aclose()

    outcomes, jobs = asyncio.run(run())
    assert jobs == 1
    assert outcomes.count("job") == 1 and outcomes.count("busy") == 3


def test_checks_of_one_source_keep_to_its_host_budget(
    own_redis: RedisServer, demo: DemoSource, tmp_path: Path
) -> None:
    """Six checks of one source at once, its Consumet budget 1: the source never sees two."""
    settings = _settings(own_redis, demo, tmp_path, host_limits="consumet:mangahere=1")
    celery = make_celery(settings)
    ids = [f"bench_2x2_5-{n}" for n in range(1, 7)]

    async def run() -> list[str]:
        redis = Redis.from_url(settings.store_url, decode_responses=True)
        try:
            await redis.flushdb()
            lib = LibraryStore(redis)
            for series_id in ids:
                baseline = [f"{series_id}/c001", f"{series_id}/c002"]
                follow = Follow(
                    id=follow_id("mangahere", series_id),
                    source="mangahere",
                    series_id=series_id,
                    baseline=baseline,
                )
                await lib.save_follow(follow)
            results = await asyncio.gather(
                *(check_series(settings, redis, celery, follow_id("mangahere", i)) for i in ids)
            )
            return [r.outcome for r in results]
        finally:
            await redis.flushdb()
            await redis.aclose()

    httpx.put(f"{demo.url}/_control/faults", json={"api_latency_ms": 100}).raise_for_status()
    httpx.delete(f"{demo.url}/_control/stats").raise_for_status()
    try:
        outcomes = asyncio.run(run())
        host = httpx.get(f"{demo.url}/_control/stats").json()["hosts"]["consumet:mangahere"]
    finally:
        httpx.delete(f"{demo.url}/_control/faults").raise_for_status()
    assert outcomes == ["nothing new"] * 6
    assert host["served"] == 6
    assert host["max_concurrent"] == 1


def test_back_off_keeps_a_failed_chapter_out_until_its_time(own_redis: RedisServer) -> None:
    from manhwa.models import Chapter, MangaInfo

    async def run() -> tuple[list[str], list[str], list[str]]:
        redis = Redis.from_url(f"{own_redis.url}/1", decode_responses=True)
        try:
            await redis.flushdb()
            lib = LibraryStore(redis)
            info = MangaInfo(
                source="mangadex",
                id="s",
                title="S",
                chapters=[
                    Chapter(id="a", title="A", number="1"),
                    Chapter(id="b", title="B", number="2"),
                ],
            )
            follow = Follow(id="f", source="mangadex", series_id="s", mode="from", from_number=0)
            follow.failures["b"] = ChapterFailure(
                chapter_id="b", reason="page 2: 404", next_try=time.time() + 3600
            )
            waiting = [c.id for c in await wanted_chapters(lib, follow, info, True, False)]
            forced = [c.id for c in await wanted_chapters(lib, follow, info, True, True)]
            follow.failures["b"].next_try = time.time() - 1
            due = [c.id for c in await wanted_chapters(lib, follow, info, True, False)]
            return waiting, forced, due
        finally:
            await redis.flushdb()
            await redis.aclose()

    waiting, forced, due = asyncio.run(run())
    assert waiting == ["a"]
    assert forced == ["a", "b"]
    assert due == ["a", "b"]


def _chapters(stack: Stack, fid: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = httpx.get(
        f"{stack.url}/api/library/follows/{fid}/chapters", timeout=10
    ).json()
    return entries


def _cli(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "manhwa.cli", "library", *args],
        env=stack.env(),
        cwd=SERVER,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def test_failing_chapter_then_retry_and_rebuilt_index(
    make_stack: Callable[..., Stack], source: DemoSource, tmp_path: Path
) -> None:
    library = tmp_path / "library"
    # No automatic checks in this test: every check is asked for.
    env = library_env(library, LIBRARY_CHECK_MINUTES="600", LIBRARY_RETRY_MINUTES="600")
    stack = make_stack(**env)
    created = post_follow(stack, RELEASING, mode="new")
    assert created.status_code == 201, created.text
    fid = created.json()["id"]
    checked = wait_for(
        "the first check", lambda: (follow_of(stack, RELEASING) or {}).get("last_check"), stack
    )
    assert checked

    released = release(source)
    page = f"mangadex/{released['id']}/2.jpg"
    source.faults(rules=[{"match": page, "action": "status", "status": 404}])
    check_now = f"{stack.url}/api/library/follows/{fid}/check"
    httpx.post(check_now, headers=SCRIPT, timeout=10).raise_for_status()

    def failed() -> dict[str, Any] | None:
        follow = follow_of(stack, RELEASING) or {}
        failures = follow.get("failures", [])
        return next((f for f in failures if f["chapter_id"] == released["id"]), None)

    failure = wait_for("the chapter's failure", failed, stack)
    assert "page 2" in failure["reason"] and "404" in failure["reason"]
    assert failure["attempts"] == 1 and failure["next_try"] > time.time() + 60
    follow = follow_of(stack, RELEASING) or {}
    assert "404" in (follow.get("last_error") or "")
    assert _chapters(stack, fid) == []
    assert not list(library.rglob("*.cbz"))  # never half-written

    # The source is fixed; "Check now" retries it despite the back-off.
    source.reset()
    check_now = f"{stack.url}/api/library/follows/{fid}/check"
    httpx.post(check_now, headers=SCRIPT, timeout=10).raise_for_status()
    wait_for("the retried chapter", lambda: _chapters(stack, fid), stack)
    wait_for("the failure cleared", lambda: not failed(), stack)
    follow = follow_of(stack, RELEASING) or {}
    assert follow["last_error"] is None and follow["chapters_in_library"] == 1

    # The index: export it, forget it, rebuild it from the folder: the same answer.
    before = _chapters(stack, fid)
    exported = json.loads(_cli(stack, "export").stdout)
    assert [f["series_id"] for f in exported["follows"]] == [RELEASING]
    assert "indexed 1 chapter(s) in 1 series" in _cli(stack, "scan").stdout
    assert _chapters(stack, fid) == [
        {**e, "added_at": _chapters(stack, fid)[0]["added_at"]} for e in before
    ]
    dump = tmp_path / "export.json"
    dump.write_text(json.dumps(exported))
    imported = _cli(stack, "import", str(dump)).stdout
    assert "imported 1 follow(s) and 1 indexed chapter(s)" in imported
    assert _chapters(stack, fid) == before

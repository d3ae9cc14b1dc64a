"""Page options of a followed series (issue 15 point 1, "per followed series"): a follow takes
`split_tall` and `encode` as `POST /api/download` does, its checks' library jobs carry them into
the library CBZ (ComicInfo `PageCount` following), and a follow stored before they existed reads
as the default. And a library job never expires: the sweep, a DELETE and a file request leave
it SUCCESS, its chapters in the library. Real Redis, a real worker with beat, the demo source.
"""

from __future__ import annotations

import asyncio
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import httpx
from redis import Redis

from manhwa.cleanup import sweep
from manhwa.config import Settings
from manhwa.library.store import PREFIX, follow_id

from ..stack import Stack
from .helpers import SCRIPT
from .test_library import library_jobs, wait_for


def _chapters(stack: Stack, fid: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{stack.url}/api/library/follows/{fid}/chapters", timeout=10)
    response.raise_for_status()
    entries: list[dict[str, Any]] = response.json()
    return entries


def _pages_and_count(cbz: Path) -> tuple[list[tuple[str, bytes]], str | None]:
    with zipfile.ZipFile(cbz) as zf:
        pages = [(n, zf.read(n)) for n in sorted(zf.namelist()) if n != "ComicInfo.xml"]
        count = ET.fromstring(zf.read("ComicInfo.xml")).findtext("PageCount")
    return pages, count


def test_follow_with_encode_gives_webp_pages_and_old_follows_read_as_default(
    make_stack: Callable[..., Stack], tmp_path: Path
) -> None:
    library = tmp_path / "library"
    stack = make_stack(LIBRARY_DIR=str(library), LIBRARY_DUE_SECONDS="0.5")
    copy = time.monotonic_ns() % 90000 + 1  # series of their own in the shared demo source
    series = f"bench_2x3_5-{copy}"
    created = httpx.post(
        f"{stack.url}/api/library/follows",
        json={
            "source": "mangahere",
            "series_id": series,
            "mode": "from",
            "from_number": 1,
            "encode": "webp:80",
        },
        timeout=30,
    )
    assert created.status_code == 201, created.text
    follow = created.json()
    assert follow["encode"] == "webp:80" and follow["split_tall"] is None
    fid = follow["id"]

    entries = wait_for(
        "both chapters in the library", lambda: len(_chapters(stack, fid)) == 2, stack
    )
    assert entries
    for entry in _chapters(stack, fid):
        pages, count = _pages_and_count(library / entry["file"])
        assert len(pages) == 3 and count == "3" and entry["pages"] == 3
        for name, data in pages:
            assert name.endswith(".webp")
            assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"

    # The job that brought them: the sweep, a DELETE and a file request leave it as it is.
    job = next(j for j in library_jobs(stack) if j["series_id"] == series)
    assert job["state"] == "SUCCESS" and job["download_url"] is None
    settings = Settings(
        redis_url=stack.redis_url, download_dir=stack.download_dir, library_dir=library
    )
    asyncio.run(sweep(settings, requeue=lambda job_id: job_id))
    httpx.delete(f"{stack.url}/api/download/{job['task_id']}", headers=SCRIPT, timeout=10)
    answer = httpx.get(f"{stack.url}/api/download/file/{job['task_id']}", timeout=10)
    assert answer.status_code == 409 and "library" in answer.json()["detail"]
    after = httpx.get(f"{stack.url}/api/download/status/{job['task_id']}", timeout=10).json()
    assert after["state"] == "SUCCESS" and "library" in after["status"]
    assert all((library / e["file"]).is_file() for e in _chapters(stack, fid))

    # Changed options apply from then on; bad ones are a 422 with a reason, like a download's.
    changed = httpx.post(
        f"{stack.url}/api/library/follows/{fid}/pages",
        json={"split_tall": True, "encode": "jpeg:70"},
        timeout=10,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["encode"] == "jpeg:70"
    assert changed.json()["split_tall"] == {"ratio": 3.0, "target_height": 2000}
    for bad in ({"encode": "gif"}, {"encode": "webp:0"}, {"split_tall": {"ratio": 0.5}}):
        answer = httpx.post(f"{stack.url}/api/library/follows/{fid}/pages", json=bad, timeout=10)
        assert answer.status_code == 422 and "detail" in answer.json(), bad
    refused = httpx.post(
        f"{stack.url}/api/library/follows",
        json={"source": "mangahere", "series_id": "bench_1x1_5-1", "encode": "tiff"},
        timeout=10,
    )
    assert refused.status_code == 422 and "encode" in refused.json()["detail"]

    # A follow as the store wrote it before page options existed: no `split_tall`, no `encode`.
    old_series = f"bench_2x3_5-{copy + 1}"
    old = follow_id("mangahere", old_series)
    with Redis.from_url(stack.redis_url, decode_responses=True) as redis:
        redis.hset(
            f"{PREFIX}follow:{old}",
            mapping={
                "id": old,
                "source": "mangahere",
                "series_id": old_series,
                "title": "",
                "mode": "from",
                "from_number": "1.0",
                "baseline": "[]",
                "paused": "0",
                "created_at": repr(time.time()),
                "last_check": "",
                "next_check": repr(time.time()),
                "last_error": "",
                "new_chapters": "0",
                "pending_job": "",
                "failures": "{}",
            },
        )
        redis.sadd(f"{PREFIX}follows", old)
        redis.zadd(f"{PREFIX}due", {old: time.time()})
    view = httpx.get(f"{stack.url}/api/library/follows/{old}", timeout=10).json()
    assert view["encode"] == "original" and view["split_tall"] is None
    wait_for("the old follow's chapters", lambda: len(_chapters(stack, old)) == 2, stack)
    for entry in _chapters(stack, old):
        pages, count = _pages_and_count(library / entry["file"])
        assert count == "3" and all(data[:2] == b"\xff\xd8" for _, data in pages)  # as sent

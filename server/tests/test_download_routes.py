"""Download routes in-process: `create_app(settings)` over `httpx.ASGITransport`, a real Redis,
no worker (queued jobs stay PENDING), finished jobs made through `JobStore`."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

from manhwa.config import Settings
from manhwa.jobs import PENDING, PROGRESS, SUCCESS, JobSpec, JobStore
from manhwa.main import create_app
from manhwa.storage import DownloadFolder

from .stack import RedisServer

T = TypeVar("T")
DB = 11
BODY = bytes(range(256)) * 4  # 1 KiB whose every range is recognisable


@pytest.fixture
def settings(redis_server: RedisServer, tmp_path: Path) -> Settings:
    return Settings(
        redis_url=f"{redis_server.url}/{DB}",
        download_dir=tmp_path / "downloads",
        client_dist=tmp_path / "no-client",
        cleanup_grace_seconds=60,
    )


Scenario = Callable[[httpx.AsyncClient, JobStore], Awaitable[T]]


def run(settings: Settings, scenario: Scenario[T]) -> T:
    async def main() -> T:
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://127.0.0.1"
            ) as client:
                return await scenario(client, app.state.services.store)

    return asyncio.run(main())


async def finished_job(settings: Settings, store: JobStore) -> str:
    """A SUCCESS job whose 1 KiB archive is on disk, as a worker leaves it."""
    job_id, _ = await store.create_or_get(JobSpec("mangadex", ("c1",), title=str(time.time_ns())))
    path = DownloadFolder.from_settings(settings).archive(job_id, "cbz")
    path.write_bytes(BODY)
    await store.transition(job_id, {PENDING}, state=PROGRESS)
    await store.transition(
        job_id,
        {PROGRESS},
        state=SUCCESS,
        file_path=str(path),
        file_name="Series - Ch. 001.cbz",
        size=len(BODY),
        expires_at=time.time() + 3600,
    )
    return job_id


def test_unknown_and_malformed_ids_are_404(settings: Settings) -> None:
    async def scenario(client: httpx.AsyncClient, store: JobStore) -> list[int]:
        paths = [
            "/api/download/status/AAAAAAAAAAAAAAAAAAAAAA",
            "/api/download/status/bad!id",
            "/api/download/file/AAAAAAAAAAAAAAAAAAAAAA",
            "/api/download/events/AAAAAAAAAAAAAAAAAAAAAA",
        ]
        answers = [await client.get(p) for p in paths]
        answers.append(await client.delete("/api/download/AAAAAAAAAAAAAAAAAAAAAA"))
        assert all(a.json() == {"detail": "unknown task id"} for a in answers), answers
        return [a.status_code for a in answers]

    assert run(settings, scenario) == [404] * 5


def test_a_queued_jobs_file_is_409_and_a_cancelled_ones_410(settings: Settings) -> None:
    async def scenario(client: httpx.AsyncClient, store: JobStore) -> None:
        body = {"source": "mangadex", "ids": ["c1"], "title": str(time.time_ns())}
        made = await client.post("/api/download", json=body)
        assert made.status_code == 202
        assert made.json()["status"] == "PENDING"
        task = made.json()["task_id"]
        again = await client.post("/api/download", json=body)
        assert again.json()["task_id"] == task and again.json()["deduplicated"] is True
        early = await client.get(f"/api/download/file/{task}")
        assert early.status_code == 409
        assert early.json()["detail"] == "not ready yet: Queued"
        cancelled = await client.delete(f"/api/download/{task}")
        assert cancelled.json()["state"] == "CANCELLED"
        gone = await client.get(f"/api/download/file/{task}")
        assert (gone.status_code, gone.json()["detail"]) == (410, "the job was cancelled")
        retried = await client.post(
            f"/api/download/{task}/retry", headers={"X-Requested-With": "XMLHttpRequest"}
        )
        assert retried.status_code == 202 and retried.json()["task_id"] != task

    run(settings, scenario)


def test_ranges_are_served_and_an_unsatisfiable_one_is_416(settings: Settings) -> None:
    async def scenario(client: httpx.AsyncClient, store: JobStore) -> None:
        job_id = await finished_job(settings, store)
        url = f"/api/download/file/{job_id}"
        part = await client.get(url, headers={"Range": "bytes=10-19"})
        assert part.status_code == 206
        assert part.content == BODY[10:20]
        assert part.headers["content-range"] == f"bytes 10-19/{len(BODY)}"
        tail = await client.get(url, headers={"Range": "bytes=-5"})
        assert tail.content == BODY[-5:]
        beyond = await client.get(url, headers={"Range": f"bytes={len(BODY)}-"})
        assert beyond.status_code == 416
        assert beyond.headers["content-range"] == f"bytes */{len(BODY)}"
        assert beyond.json() == {"detail": "requested range not satisfiable"}
        whole = await client.get(url)
        assert whole.status_code == 200 and whole.content == BODY
        assert whole.headers["content-type"] == "application/vnd.comicbook+zip"
        assert "Series - Ch. 001.cbz" in whole.headers["content-disposition"]
        assert await store.serving_count(job_id) == 0
        job = await store.get(job_id)
        assert job is not None and job.expires_at is not None
        assert job.expires_at <= time.time() + 60, "a complete transfer brings the delete forward"

    run(settings, scenario)


def test_deleting_a_file_in_transfer_is_409_and_a_vanished_file_410(settings: Settings) -> None:
    async def scenario(client: httpx.AsyncClient, store: JobStore) -> None:
        job_id = await finished_job(settings, store)
        await store.serving_begin(job_id)
        busy = await client.delete(f"/api/download/{job_id}")
        assert busy.status_code == 409
        await store.serving_end(job_id)
        DownloadFolder.from_settings(settings).archive(job_id, "cbz").unlink()
        gone = await client.get(f"/api/download/file/{job_id}")
        assert (gone.status_code, gone.json()["detail"]) == (410, "the file is no longer on disk")
        assert (await client.get(f"/api/download/status/{job_id}")).json()["state"] == "EXPIRED"
        expired = await client.get(f"/api/download/file/{job_id}")
        assert expired.status_code == 410

    run(settings, scenario)


def test_the_event_stream_sends_the_state_and_ends_at_a_final_one(settings: Settings) -> None:
    async def scenario(client: httpx.AsyncClient, store: JobStore) -> str:
        job_id = await finished_job(settings, store)
        answer = await client.get(f"/api/download/events/{job_id}")
        assert answer.headers["content-type"].startswith("text/event-stream")
        return answer.text

    text = run(settings, scenario)
    assert text.startswith("event: progress\ndata: {")
    assert '"state": "SUCCESS"' in text and text.endswith("\n\n")


def test_retrying_a_library_job_keeps_it_a_library_job(settings: Settings) -> None:
    async def scenario(client: httpx.AsyncClient, store: JobStore) -> tuple[str, str]:
        spec = JobSpec("mangadex", ("c7",), title=str(time.time_ns()), destination="library")
        job_id, _ = await store.create_or_get(spec)
        await client.delete(f"/api/download/{job_id}")  # cancelled: all its chapters retried
        retried = await client.post(
            f"/api/download/{job_id}/retry", headers={"X-Requested-With": "XMLHttpRequest"}
        )
        assert retried.status_code == 202, retried.text
        new = await store.get(retried.json()["task_id"])
        assert new is not None
        return new.destination, ",".join(new.chapter_ids)

    assert run(settings, scenario) == ("library", "c7")

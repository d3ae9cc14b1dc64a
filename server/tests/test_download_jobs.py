"""Enqueueing through `DownloadJobs` when the broker is the store's Redis: the record and its
Celery message are written together or not at all; an equal request queues nothing more. A real
Redis of its own (these tests own its `downloads` queue), no worker."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest
from redis.asyncio import Redis

from manhwa.celery_app import DOWNLOADS, DownloadMessages, make_celery
from manhwa.config import Settings
from manhwa.download_jobs import DownloadJobs
from manhwa.errors import Conflict
from manhwa.jobs import PENDING, PROGRESS, SUCCESS, JobSpec, JobStore
from manhwa.storage import DownloadFolder

from .stack import RedisServer

T = TypeVar("T")


@pytest.fixture
def settings(own_redis: RedisServer, tmp_path: Path) -> Settings:
    return Settings(redis_url=f"{own_redis.url}/0", download_dir=tmp_path / "downloads")


def run(settings: Settings, scenario: Callable[[DownloadJobs, Redis], Awaitable[T]]) -> T:
    async def main() -> T:
        assert DownloadMessages.usable(settings)
        celery = make_celery(settings)
        messages = await asyncio.to_thread(DownloadMessages, celery)
        redis = Redis.from_url(settings.store_url, decode_responses=True)
        try:
            await redis.flushdb()
            folder = DownloadFolder.from_settings(settings)
            folder.ensure()
            jobs = DownloadJobs(JobStore(redis), celery, folder, 60, messages)
            return await scenario(jobs, redis)
        finally:
            await redis.aclose()
            messages.close()

    return asyncio.run(main())


async def queued(redis: Redis) -> list[tuple[str, list[str]]]:
    """(task id, args) of every message waiting in the downloads queue, oldest first."""
    out = []
    for raw in reversed(await redis.lrange(DOWNLOADS, 0, -1)):
        message = json.loads(raw)
        args = json.loads(base64.b64decode(message["body"]))[0]
        out.append((message["headers"]["id"], args))
    return out


def test_a_new_job_and_its_message_are_written_together_and_an_equal_request_adds_none(
    settings: Settings,
) -> None:
    spec = JobSpec("mangadex", ("c1", "c2"), title=str(time.time_ns()))

    async def scenario(jobs: DownloadJobs, redis: Redis) -> None:
        job, created = await jobs.enqueue(spec)
        assert created and job.state == PENDING and job.celery_task_id
        assert await queued(redis) == [(job.celery_task_id, [job.task_id])]
        assert await jobs.get(job.task_id) == job, "the answer is the record as stored"

        again, created = await jobs.enqueue(spec)
        assert not created and again.task_id == job.task_id
        assert len(await queued(redis)) == 1

    run(settings, scenario)


def test_an_equal_job_whose_file_is_gone_is_replaced_by_a_queued_one(settings: Settings) -> None:
    spec = JobSpec("mangadex", ("c1",), title=str(time.time_ns()))

    async def scenario(jobs: DownloadJobs, redis: Redis) -> None:
        old, _ = await jobs.enqueue(spec)
        await jobs.store.transition(old.task_id, {PENDING}, state=PROGRESS)
        gone = jobs.folder.archive(old.task_id, "cbz")  # recorded, never written
        await jobs.store.transition(old.task_id, {PROGRESS}, state=SUCCESS, file_path=str(gone))

        new, created = await jobs.enqueue(spec)
        assert created and new.task_id != old.task_id
        assert [args for _, args in await queued(redis)] == [[old.task_id], [new.task_id]]

    run(settings, scenario)


def test_a_message_redis_refuses_leaves_no_job_behind(settings: Settings) -> None:
    spec = JobSpec("mangadex", ("c1",), title=str(time.time_ns()))

    async def scenario(jobs: DownloadJobs, redis: Redis) -> None:
        await redis.set(DOWNLOADS, "not a list")  # every LPUSH onto the queue now fails
        with pytest.raises(Conflict, match="could not queue the job"):
            await jobs.enqueue(spec)
        assert await redis.keys("manhwa:*") == [], "no record, no index entry, no dedup key"

        await redis.delete(DOWNLOADS)
        job, created = await jobs.enqueue(spec)
        assert created and await queued(redis) == [(job.celery_task_id, [job.task_id])]

    run(settings, scenario)


def test_with_the_broker_elsewhere_the_record_comes_first_then_the_message(
    own_redis: RedisServer, tmp_path: Path
) -> None:
    settings = Settings(
        redis_url=f"{own_redis.url}/1",
        celery_broker_url=f"{own_redis.url}/2",
        download_dir=tmp_path / "downloads",
    )
    spec = JobSpec("mangadex", ("c1",), title=str(time.time_ns()))

    async def scenario() -> None:
        assert not DownloadMessages.usable(settings)
        store_redis = Redis.from_url(settings.store_url, decode_responses=True)
        broker = Redis.from_url(settings.broker_url, decode_responses=True)
        try:
            await broker.flushdb()
            folder = DownloadFolder.from_settings(settings)
            jobs = DownloadJobs(JobStore(store_redis), make_celery(settings), folder, 60)
            job, created = await jobs.enqueue(spec)
            assert created and job.celery_task_id
            assert await queued(broker) == [(job.celery_task_id, [job.task_id])]
            stored = await jobs.get(job.task_id)
            assert (stored.state, stored.celery_task_id) == (PENDING, job.celery_task_id)
        finally:
            await store_redis.aclose()
            await broker.aclose()

    asyncio.run(scenario())

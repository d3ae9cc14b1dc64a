"""Leases and the sweep on a real Redis: who may write a job, what the sweep re-queues and drops."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis
from redis.asyncio import Redis

from manhwa import cleanup
from manhwa.config import Settings
from manhwa.jobs import PENDING, PROGRESS, SUCCESS, JobSpec, JobStore

from ..stack import DemoSource, RedisServer, Stack
from .helpers import chapters_with_pages, request, wait_final

pytestmark = pytest.mark.integration


def _settings(redis_server: RedisServer, db: int, folder: Path) -> Settings:
    return Settings(redis_url=f"{redis_server.url}/{db}", download_dir=folder, lease_seconds=3)


async def _new_job(store: JobStore, title: str) -> str:
    job_id, created = await store.create_or_get(JobSpec("mangadex", ("a", "b"), title=title))
    assert created
    return job_id


def test_a_worker_that_lost_its_lease_cannot_write(redis_server: RedisServer) -> None:
    async def scenario() -> None:
        client = Redis.from_url(f"{redis_server.url}/15", decode_responses=True)
        store = JobStore(client)
        try:
            job_id = await _new_job(store, f"lease {time.time()}")
            assert await store.acquire_lease(job_id, "worker-a", 1)
            assert await store.transition(job_id, {PENDING}, lease_owner="worker-a", state=PROGRESS)
            assert not await store.transition(job_id, {PROGRESS}, lease_owner="worker-b", x="1")
            await asyncio.sleep(1.2)  # worker-a stalled past its lease
            assert not await store.transition(job_id, {PROGRESS}, lease_owner="worker-a", x="2")
            assert await store.acquire_lease(job_id, "worker-b", 5)
            assert await store.transition(job_id, {PROGRESS}, lease_owner="worker-b", x="3")
            assert (await store.get_raw(job_id) or {}).get("x") == "3"
        finally:
            await client.aclose()

    asyncio.run(scenario())


def test_sweep_drops_leftovers_of_ended_jobs_only(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    settings = _settings(redis_server, 14, tmp_path)
    work = tmp_path / ".work"

    async def scenario() -> tuple[str, str]:
        client = Redis.from_url(settings.store_url, decode_responses=True)
        store = JobStore(client)
        try:
            ended = await _new_job(store, f"ended {time.time()}")
            await store.transition(ended, {PENDING}, state=SUCCESS, expires_at=time.time() + 999)
            running = await _new_job(store, f"running {time.time()}")
            await store.transition(running, {PENDING}, state=PROGRESS)
            await store.acquire_lease(running, "w", 30)
            return ended, running
        finally:
            await client.aclose()

    ended, running = asyncio.run(scenario())
    old = time.time() - 10  # older than a lease, younger than an hour
    leftovers = {
        "ended temp": tmp_path / f".tmp-{ended}.0123abcd.zip",
        "running temp": tmp_path / f".tmp-{running}.0123abcd.zip",
        "unknown temp": tmp_path / ".tmp-0123abcd.zip",
        "ended work": work / ended,
        "running work": work / running,
    }
    for name, path in leftovers.items():
        if "work" in name:
            path.mkdir(parents=True)
        else:
            path.write_bytes(b"partial")
        os.utime(path, (old, old))

    report = asyncio.run(cleanup.sweep(settings, requeue=lambda job_id: "unused"))
    assert report.orphans == 2
    assert {name for name, path in leftovers.items() if path.exists()} == {
        "running temp",
        "unknown temp",  # not attributable to a job: kept for an hour
        "running work",
    }


def test_sweep_requeues_a_pending_job_only_when_its_message_is_gone(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    settings = _settings(redis_server, 13, tmp_path)
    sent: list[str] = []

    def requeue(job_id: str) -> str:
        sent.append(job_id)
        return "new-task-id"

    async def pending_job() -> str:
        client = Redis.from_url(settings.store_url, decode_responses=True)
        try:
            return await _new_job(JobStore(client), f"pending {time.time()}")
        finally:
            await client.aclose()

    job_id = asyncio.run(pending_job())
    soon, later = time.time() + 1, time.time() + 2 * settings.lease_seconds + 1
    asyncio.run(cleanup.sweep(settings, requeue, now=soon, queued=lambda: 0))
    asyncio.run(cleanup.sweep(settings, requeue, now=later, queued=lambda: 3))
    assert sent == [], "young, or messages still waiting in the queue: it may be among them"
    asyncio.run(cleanup.sweep(settings, requeue, now=later, queued=lambda: 0))
    assert sent == [job_id]
    store = redis.Redis.from_url(settings.store_url, decode_responses=True)
    assert store.hget(f"manhwa:job:{job_id}", "celery_task_id") == "new-task-id"
    store.close()


def test_job_whose_queued_message_was_lost_still_runs(
    make_stack: Callable[..., Stack], source: DemoSource
) -> None:
    stack = make_stack()
    chapter = chapters_with_pages(stack)[0]
    worker = stack.workers[0]
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()
    job = request(stack, [chapter["id"]], title="lost message")
    # What a worker SIGKILLed between taking the message and starting the task leaves behind.
    broker = redis.Redis.from_url(stack.redis_url)
    assert broker.delete("downloads") == 1
    broker.close()
    stack.start_worker(beat=True)
    final = wait_final(stack, job["task_id"], timeout=60)
    assert final["state"] == "SUCCESS", final
    assert "lost its queued message" in (stack.workdir / "worker1.log").read_text()

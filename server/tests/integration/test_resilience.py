"""A worker killed mid-job, and a job cancelled mid-job."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable

import httpx
import pytest

from ..stack import DemoSource, Stack
from .helpers import (
    SCRIPT,
    archive_chapters,
    cbz_pages,
    chapters_with_pages,
    download,
    request,
    source_pages,
    status,
    wait_final,
    wait_until,
)

pytestmark = pytest.mark.integration


def _wait_pages(stack: Stack, task_id: str, pages: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if status(stack, task_id)["pages_done"] >= pages:
            return
        time.sleep(0.1)
    raise AssertionError(f"no progress: {status(stack, task_id)}\n{stack.logs()}")


def test_worker_killed_mid_job_still_yields_one_valid_archive(
    make_stack: Callable[..., Stack], source: DemoSource
) -> None:
    stack = make_stack()
    chapters = chapters_with_pages(stack)[:3]
    source.faults(latency_ms=150)
    job = request(stack, [c["id"] for c in chapters], title="killed", format="zip")
    _wait_pages(stack, job["task_id"], 6)

    worker = stack.workers[0]
    os.killpg(worker.pid, signal.SIGKILL)  # the worker and its pool children, no goodbye
    worker.wait()
    assert status(stack, job["task_id"])["state"] == "PROGRESS"
    stack.start_worker(beat=True)

    final = wait_final(stack, job["task_id"], timeout=120)
    assert final["state"] == "SUCCESS", final
    assert final["done_chapters"] == 3
    # Checked before the download: a complete transfer starts the cleanup grace (3 s here).
    files = [p for p in stack.download_dir.iterdir() if not p.name.startswith(".celerybeat")]
    assert [p.name for p in files if p.is_file()] == [f"{job['task_id']}.zip"]
    assert not list(stack.download_dir.glob(".tmp-*"))
    entries = archive_chapters(download(stack, job["task_id"])[1])
    by_chapter: dict[str, list[bytes]] = {}
    for name in sorted(entries):
        by_chapter.setdefault(name.split("/")[0], []).append(entries[name])
    assert len(by_chapter) == 3
    for chapter, images in zip(chapters, by_chapter.values(), strict=True):
        assert images == source_pages(source, "mangadex", chapter["id"])


def test_cancel_mid_job_leaves_no_archive(stack: Stack, source: DemoSource) -> None:
    chapters = chapters_with_pages(stack)[:4]
    source.faults(latency_ms=200)
    job = request(stack, [c["id"] for c in chapters], title="cancel me")
    _wait_pages(stack, job["task_id"], 2)
    answer = httpx.delete(f"{stack.url}/api/download/{job['task_id']}")
    assert answer.status_code == 200
    assert answer.json()["state"] == "CANCELLED"
    # The worker notices within a heartbeat and deletes the partial output.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        leftovers = list(stack.download_dir.glob(f"{job['task_id']}*")) + list(
            (stack.download_dir / ".work").glob(f"{job['task_id']}*")
        )
        if not leftovers:
            break
        time.sleep(0.2)
    assert not leftovers
    assert status(stack, job["task_id"])["state"] == "CANCELLED"
    assert httpx.get(f"{stack.url}/api/download/file/{job['task_id']}").status_code == 410
    # The cancelled chapters can be asked for again.
    retry = httpx.post(f"{stack.url}/api/download/{job['task_id']}/retry", headers=SCRIPT)
    assert retry.status_code == 202
    source.reset()
    assert wait_final(stack, retry.json()["task_id"])["state"] == "SUCCESS"


def test_retry_reruns_failed_chapters_only(stack: Stack, source: DemoSource) -> None:
    good, bad = chapters_with_pages(stack)[1:3]
    pages = httpx.get(f"{source.url}/manga/mangadex/read/{bad['id']}").json()
    path = httpx.URL(pages[0]["img"]).path
    source.faults(rules=[{"match": path, "action": "status", "status": 404}])
    first = request(stack, [good["id"], bad["id"]], title="retry only failed")
    done = wait_final(stack, first["task_id"])
    assert [f["chapter_id"] for f in done["failed"]] == [bad["id"]]
    source.reset()
    again = httpx.post(f"{stack.url}/api/download/{first['task_id']}/retry", headers=SCRIPT)
    assert again.status_code == 202
    second = wait_final(stack, again.json()["task_id"])
    assert second["state"] == "SUCCESS" and second["chapter_ids"] == [bad["id"]]
    _, images, _ = cbz_pages(download(stack, again.json()["task_id"])[1])
    assert images == source_pages(source, "mangadex", bad["id"])
    nothing = httpx.post(
        f"{stack.url}/api/download/{again.json()['task_id']}/retry", headers=SCRIPT
    )
    assert nothing.status_code == 409 and "no failed chapters" in nothing.json()["detail"]


def test_unclaimed_file_expires_after_its_ttl(
    make_stack: Callable[..., Stack], source: DemoSource
) -> None:
    stack = make_stack(FILE_TTL_SECONDS="2")
    chapter = chapters_with_pages(stack)[0]
    job = request(stack, [chapter["id"]], title="ttl")
    done = wait_final(stack, job["task_id"])
    assert done["state"] == "SUCCESS" and done["expires_at"] - done["finished_at"] == pytest.approx(
        2
    )
    wait_until(stack, job["task_id"], {"EXPIRED"}, timeout=30)
    assert httpx.get(f"{stack.url}/api/download/file/{job['task_id']}").status_code == 410
    assert not list(stack.download_dir.glob(f"{job['task_id']}.*"))

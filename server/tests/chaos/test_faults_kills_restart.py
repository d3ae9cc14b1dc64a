"""40 multi-chapter jobs under random faults, 5 worker SIGKILLs and a Redis crash: nothing lost.

The demo source injects latency spikes, 5xx, 429 with Retry-After, hung responses and truncated
bodies at random (seeded), a few pages that always 404 (their chapters must fail by name, never
short) and flaky Consumet `read` calls. Meanwhile the test SIGKILLs a worker's whole process
group at random moments, restarting it each time, and SIGKILLs the embedded Redis once,
restarting it on the same port and folder (append-only file kept). Then every job must be final,
every archive whole and byte-exact, nothing stuck, lost, written twice or left behind.

`CHAOS_SEED=n make chaos` replays another run.
"""

from __future__ import annotations

import io
import json
import os
import random
import re
import signal
import tempfile
import time
import zipfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from ..integration.helpers import source_pages
from ..stack import DemoSource, RedisServer, Stack, free_port, stop
from .report import record

pytestmark = pytest.mark.chaos

JOBS = 40
CHAPTERS_PER_JOB = 3
PAGES = 6
SERIES = f"bench_{JOBS * CHAPTERS_PER_JOB}x{PAGES}_24"  # 6 pages of ~24 KB per chapter
KILLS = 5
DEADLINE = 300.0  # seconds for every job to end, counted from the submissions
SEED = int(os.environ.get("CHAOS_SEED", "5"))
# Chapters with a page that always 404s. 61-63 are all of job 20's: that job must be a FAILURE.
BROKEN = {5: 2, 50: 4, 61: 1, 62: 3, 63: 2, 77: 1}
FLAKY_READS = (10, 30, 90)  # Consumet's `read` answers 500 once for these
FINAL = {"SUCCESS", "FAILURE", "CANCELLED", "EXPIRED"}


def chapter_id(number: int) -> str:
    return f"{SERIES}/c{number:03d}"


def job_chapters(index: int) -> list[int]:
    first = index * CHAPTERS_PER_JOB + 1
    return list(range(first, first + CHAPTERS_PER_JOB))


def faults() -> dict[str, Any]:
    rules: list[dict[str, Any]] = [
        {"match": f"/img/mangahere/{SERIES}/c{ch:03d}/{page:03d}.jpg", "action": "status",
         "status": 404}
        for ch, page in BROKEN.items()
    ]  # fmt: skip
    rules += [
        {"match": f"chapterId={chapter_id(ch)}", "action": "status", "status": 500, "times": 1}
        for ch in FLAKY_READS
    ]
    return {
        "latency_ms": 40,
        "api_latency_ms": 15,
        "spike_rate": 0.04,
        "spike_ms": 1500,
        "error_rate": 0.04,
        "rate_429": 0.03,
        "retry_after": 1,
        "timeout_rate": 0.01,
        "truncate_rate": 0.03,
        "seed": SEED,
        "rules": rules,
    }


@pytest.fixture
def chaos_stack(source: DemoSource) -> Iterator[tuple[Stack, RedisServer]]:
    """A private Redis (it gets crashed) and an API with two workers on it."""
    server = RedisServer(free_port(), Path(tempfile.mkdtemp(prefix="manhwa-chaos-redis-")))
    server.start()
    stack = Stack(
        server,
        source,
        db=0,
        env_overrides={
            "CLEANUP_GRACE_SECONDS": "600",  # served files stay while they are checked
            "IMAGE_READ_TIMEOUT": "2",
            "IMAGE_TOTAL_TIMEOUT": "5",
            # Random kills may hit one job several times; giving up on poison jobs is
            # test_poison_job.py's subject, not this one's.
            "MAX_JOB_ATTEMPTS": str(KILLS + 2),
        },
    )
    try:
        stack.start(workers=2)
        yield stack, server
    finally:
        stack.stop()
        stop(server.proc, signal.SIGKILL)


def _call(method: str, url: str, patience: float = 60.0, **kwargs: Any) -> httpx.Response:
    """An API call that rides out a Redis restart (the API answers 500 while Redis is down)."""
    deadline = time.monotonic() + patience
    while True:
        try:
            response = httpx.request(method, url, timeout=30, **kwargs)
            if response.status_code < 500:
                return response
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{method} {url} kept failing")
        time.sleep(0.3)


def _states(stack: Stack, ids: list[str]) -> dict[str, str]:
    try:
        answer = httpx.get(f"{stack.url}/api/downloads", params={"limit": 500}, timeout=10)
        if answer.status_code != 200:
            return {}
    except httpx.HTTPError:
        return {}
    wanted = set(ids)
    return {j["task_id"]: j["state"] for j in answer.json()["jobs"] if j["task_id"] in wanted}


def _log_lines(stack: Stack, pattern: str) -> list[re.Match[str]]:
    found = []
    for log in sorted(stack.workdir.glob("worker*.log")):
        found += list(re.finditer(pattern, log.read_text(errors="replace")))
    return found


def _check_chapter(data: bytes, expected: list[bytes], where: str) -> list[str]:
    """Problems with one chapter CBZ: sound zip, exactly the pages, in order, the source's bytes."""
    problems = []
    with zipfile.ZipFile(io.BytesIO(data)) as cbz:
        if cbz.testzip() is not None:
            return [f"{where}: bad CRC"]
        names = [n for n in cbz.namelist() if n != "ComicInfo.xml"]
        if names != [f"{n:03d}.jpg" for n in range(1, len(expected) + 1)]:
            problems.append(f"{where}: pages {names}")
        elif [cbz.read(n) for n in names] != expected:
            problems.append(f"{where}: page bytes differ from the source")
        if "ComicInfo.xml" not in cbz.namelist():
            problems.append(f"{where}: no ComicInfo.xml")
    return problems


def _check_archive(
    data: bytes, job: dict[str, Any], index: int, pages: dict[int, list[bytes]]
) -> list[str]:
    """Problems with a SUCCESS job's download; an empty list when it is whole."""
    failed = {f["chapter_id"] for f in job["failed"]}
    done = [ch for ch in job_chapters(index) if chapter_id(ch) not in failed]
    series = f"Chaos {index:02d}"
    try:
        if len(done) == 1 and job["format"] == "cbz":
            return _check_chapter(data, pages[done[0]], job["task_id"])
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if archive.testzip() is not None:
                return [f"{job['task_id']}: bad CRC"]
            names = archive.namelist()
            if job["format"] == "cbz":
                want = [f"{series} - Ch. {ch:03d}.cbz" for ch in done]
                if names != want:
                    return [f"{job['task_id']}: entries {names}, expected {want}"]
                problems = []
                for ch, name in zip(done, names, strict=True):
                    problems += _check_chapter(archive.read(name), pages[ch], name)
                return problems
            want = [
                f"{series} - Ch. {ch:03d}/{page:03d}.jpg"
                for ch in done
                for page in range(1, PAGES + 1)
            ]
            if names != want:
                return [f"{job['task_id']}: entries {names}, expected {want}"]
            got = [archive.read(n) for n in names]
            if got != [image for ch in done for image in pages[ch]]:
                return [f"{job['task_id']}: page bytes differ from the source"]
            return []
    except zipfile.BadZipFile as exc:
        return [f"{job['task_id']}: not a zip: {exc}"]


def test_forty_jobs_survive_faults_worker_kills_and_a_redis_crash(
    chaos_stack: tuple[Stack, RedisServer], source: DemoSource
) -> None:
    stack, server = chaos_stack
    rng = random.Random(SEED)
    started = time.monotonic()
    source.faults(**faults())

    ids: list[str] = []
    for index in range(JOBS):
        body = {
            "source": "mangahere",
            "series_id": SERIES,
            "title": f"Chaos {index:02d}",
            "ids": [chapter_id(ch) for ch in job_chapters(index)],
            "format": "zip" if index % 4 == 3 else "cbz",
        }
        answer = _call("POST", f"{stack.url}/api/download", json=body)
        assert answer.status_code == 202, answer.text
        ids.append(answer.json()["task_id"])
    submitted = time.monotonic()

    # Slot 0 runs the beat (the sweep that re-queues a dead worker's jobs), like `make run`.
    slots = {0: stack.workers[0], 1: stack.workers[1]}
    kills = restarts = running_at_kill = 0
    crash_redis_after = rng.randint(1, KILLS - 1)
    while kills < KILLS:
        time.sleep(rng.uniform(2.0, 6.0))
        slot = rng.choice(sorted(slots))
        victim = slots[slot]
        os.killpg(victim.pid, signal.SIGKILL)  # the worker and its pool children, no goodbye
        victim.wait()
        kills += 1
        running_at_kill += sum(1 for s in _states(stack, ids).values() if s == "PROGRESS")
        time.sleep(rng.uniform(0.2, 1.5))
        slots[slot] = stack.start_worker(beat=slot == 0)
        if kills == crash_redis_after:
            time.sleep(rng.uniform(0.5, 3.0))
            stop(server.proc, signal.SIGKILL)
            time.sleep(rng.uniform(0.5, 2.0))
            server.start()  # same port, same folder: the append-only file is replayed
            restarts += 1

    states: dict[str, str] = {}
    while time.monotonic() - submitted < DEADLINE:
        states = _states(stack, ids)
        if len(states) == JOBS and all(s in FINAL for s in states.values()):
            break
        time.sleep(1.0)
    finished = time.monotonic()
    source.reset()  # the checks below compare with the source's bytes, fetched without faults

    jobs: dict[str, dict[str, Any]] = {}
    lost: list[str] = []
    for task_id in ids:
        answer = _call("GET", f"{stack.url}/api/download/status/{task_id}")
        if answer.status_code == 404:
            lost.append(task_id)
        else:
            jobs[task_id] = answer.json()
    stuck = [t for t, job in jobs.items() if job["state"] not in FINAL]

    # Files on disk, before any download starts a cleanup countdown.
    store = redis.Redis.from_url(stack.redis_url, decode_responses=True)
    on_disk = Counter(
        p.name.split(".", 1)[0]
        for p in stack.download_dir.iterdir()
        if p.is_file() and not p.name.startswith(".")
    )
    finishes = Counter(m.group(1) for m in _log_lines(stack, r"job (\S+): finished [A-Z]+"))

    def written_twice(task_id: str) -> bool:
        files = 1 if jobs.get(task_id, {}).get("state") == "SUCCESS" else 0
        return finishes[task_id] > 1 or on_disk[task_id] > files

    duplicates = [t for t in ids if written_twice(t)]

    pages = {
        ch: source_pages(source, "mangahere", chapter_id(ch))
        for index in range(JOBS)
        for ch in job_chapters(index)
    }
    corrupt: list[str] = []
    chapters_ok = chapters_failed = 0
    for index, task_id in enumerate(ids):
        job = jobs.get(task_id)
        if job is None or job["state"] not in FINAL:
            continue
        failed = {f["chapter_id"]: f for f in job["failed"]}
        broken = {chapter_id(ch) for ch in job_chapters(index) if ch in BROKEN}
        problems = []
        if not broken <= set(failed):
            problems.append(f"{task_id}: broken chapters {broken - set(failed)} not reported")
        if any(not f["title"] or not f["reason"] for f in failed.values()):
            problems.append(f"{task_id}: a failed chapter without a name or reason: {failed}")
        chapters_failed += len(failed)
        if job["state"] == "SUCCESS":
            chapters_ok += job["done_chapters"]
            if job["done_chapters"] + len(failed) != CHAPTERS_PER_JOB:
                problems.append(f"{task_id}: {job['done_chapters']} done + {len(failed)} failed")
            file_path = store.hget(f"manhwa:job:{task_id}", "file_path")
            if not file_path or not Path(file_path).is_file():
                problems.append(f"{task_id}: SUCCESS without its file ({file_path})")
            answer = _call("GET", f"{stack.url}/api/download/file/{task_id}")
            if answer.status_code != 200:
                problems.append(f"{task_id}: download answered {answer.status_code}")
            else:
                problems += _check_archive(answer.content, job, index, pages)
        elif job["state"] == "FAILURE":
            if on_disk[task_id]:
                problems.append(f"{task_id}: FAILURE left a file")
            if set(failed) != {chapter_id(ch) for ch in job_chapters(index)}:
                problems.append(f"{task_id}: FAILURE without every chapter named: {failed}")
        else:
            problems.append(f"{task_id}: ended {job['state']}")
        if problems:
            corrupt.append(task_id)
            print("\n".join(problems))

    # Temp files of killed writers and work folders are swept (the sweep runs every second).
    def leftovers() -> list[str]:
        temps = [str(p) for p in stack.download_dir.rglob(".tmp-*")]
        work = stack.download_dir / ".work"
        return temps + ([str(p) for p in work.iterdir()] if work.exists() else [])

    deadline = time.monotonic() + 15
    while leftovers() and time.monotonic() < deadline:
        time.sleep(0.5)
    orphans = leftovers()
    leases = store.keys("manhwa:lease:*")
    serving = [k for k in store.keys("manhwa:serving:*") if int(store.get(k) or 0) > 0]
    requeued = len(_log_lines(stack, r"lost its worker; re-enqueueing"))
    resent = len(_log_lines(stack, r"lost its queued message; re-enqueueing"))
    store.close()

    counts = Counter(job["state"] for job in jobs.values())
    record(
        f"faults+kills+restart: jobs={JOBS} kills={kills} restarts={restarts} lost={len(lost)} "
        f"corrupt={len(corrupt)} stuck={len(stuck)} duplicates={len(duplicates)} "
        f"orphans={len(orphans)}"
    )
    record(
        f"  success={counts['SUCCESS']} failure={counts['FAILURE']} chapters_ok={chapters_ok} "
        f"chapters_failed={chapters_failed} (by name; {len(BROKEN)} had a page that always 404s) "
        f"pages={chapters_ok * PAGES} running_at_kills={running_at_kill} requeued={requeued} "
        f"resent={resent} "
        f"seed={SEED} run={finished - started:.0f}s total={time.monotonic() - started:.0f}s"
    )
    detail = json.dumps(
        {"lost": lost, "stuck": stuck, "corrupt": corrupt, "duplicates": duplicates,
         "orphans": orphans, "leases": leases, "serving": serving},
        indent=1,
    )  # fmt: skip
    assert not (lost or stuck or corrupt or duplicates or orphans), detail + stack.logs()
    assert not leases and not serving, detail
    assert kills == KILLS and restarts == 1
    assert counts["FAILURE"] >= 1 and counts["SUCCESS"] >= JOBS - 5, counts

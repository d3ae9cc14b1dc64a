"""A full download disk fails the job that hit it, cleanly, and the worker serves the next one.

The download folder is a 2 MiB tmpfs (or, where tmpfs cannot be mounted, a loop-mounted 2 MiB
ext2 image). Mounting needs root or password-less sudo; without either the test fails: a
silently skipped disk-full test proves nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from ..integration.helpers import cbz_pages, download, request, source_pages, wait_final
from ..stack import DemoSource, Stack
from .report import record

pytestmark = pytest.mark.chaos

SIZE = "2m"


def _sudo(command: list[str]) -> list[str]:
    return command if os.geteuid() == 0 else ["sudo", "-n", *command]


def _mount(target: Path, image: Path) -> str:
    """Mount a 2 MiB file system at `target`; returns how, or fails the test saying why not."""
    errors = []
    tmpfs = _sudo(["mount", "-t", "tmpfs", "-o", f"size={SIZE},mode=0777", "tmpfs", str(target)])
    done = subprocess.run(tmpfs, capture_output=True, text=True, check=False)
    if done.returncode == 0:
        return "tmpfs"
    errors.append(f"{' '.join(tmpfs)}: {done.stderr.strip()}")
    mkfs = shutil.which("mkfs.ext2") or "/sbin/mkfs.ext2"
    with image.open("wb") as handle:
        handle.truncate(2 * 1024 * 1024)
    made = subprocess.run([mkfs, "-q", "-F", str(image)], capture_output=True, text=True)
    loop = _sudo(["mount", "-o", "loop", str(image), str(target)])
    if made.returncode == 0:
        done = subprocess.run(loop, capture_output=True, text=True, check=False)
        if done.returncode == 0:
            subprocess.run(_sudo(["chmod", "0777", str(target)]), check=True)
            return "loop-mounted ext2"
        errors.append(f"{' '.join(loop)}: {done.stderr.strip()}")
    else:
        errors.append(f"mkfs.ext2: {made.stderr.strip()}")
    pytest.fail("cannot mount a small file system for the disk-full test: " + "; ".join(errors))


@pytest.fixture
def small_disk() -> Iterator[tuple[Path, str]]:
    work = Path(tempfile.mkdtemp(prefix="manhwa-disk-"))
    target = work / "downloads"
    target.mkdir()
    how = _mount(target, work / "disk.img")
    try:
        yield target, how
    finally:
        # Lazy: a worker being stopped may still hold a file there for a moment.
        subprocess.run(_sudo(["umount", "-l", str(target)]), check=False)
        shutil.rmtree(work, ignore_errors=True)


def _entries(folder: Path) -> list[str]:
    return sorted(
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if p.is_file() and not p.name.startswith(".celerybeat")
    )


def test_full_disk_fails_the_job_cleanly_and_the_worker_goes_on(
    small_disk: tuple[Path, str], make_stack: Callable[..., Stack], source: DemoSource
) -> None:
    disk, how = small_disk
    stack = make_stack(DOWNLOAD_DIR=str(disk))
    workers = list(stack.workers)

    # 2 chapters of 10 pages of ~400 KB: 8 MB into 2 MiB.
    big = "bench_2x10_400"
    job = request(
        stack, [f"{big}/c001", f"{big}/c002"], source="mangahere", series_id=big, title="big"
    )
    final = wait_final(stack, job["task_id"], timeout=120)
    assert final["state"] == "FAILURE", final
    assert final["error"].startswith("disk full"), final
    assert final["status"].startswith("Failed: disk full")
    answer = httpx.get(f"{stack.url}/api/download/file/{job['task_id']}")
    assert answer.status_code == 409 and "disk full" in answer.json()["detail"]
    assert _entries(disk) == [], "no partial archive, chapter or temp file is left"
    assert shutil.disk_usage(disk).used < 512 * 1024

    # The same worker processes take the next job, which fits.
    small = "bench_3x4_24"
    job2 = request(stack, [f"{small}/c001"], source="mangahere", series_id=small, title="small")
    done = wait_final(stack, job2["task_id"], timeout=120)
    assert done["state"] == "SUCCESS", done
    assert all(w.poll() is None for w in workers) and stack.workers == workers
    _, images, _ = cbz_pages(download(stack, job2["task_id"])[1])
    assert images == source_pages(source, "mangahere", f"{small}/c001")

    record(
        f"disk full ({how}, {SIZE}): job FAILURE {final['error']!r}, partial files left=0, "
        f"next job {done['state']} on the same worker"
    )

"""End to end through the API: POST /api/download → worker → SUCCESS → archive on disk."""

from __future__ import annotations

import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import httpx

from .workload import PROVIDER, Series

_FINAL = {"SUCCESS", "FAILURE", "CANCELLED", "EXPIRED"}


@dataclass
class JobRun:
    task_id: str
    state: str
    seconds: float
    pages: int
    size: int
    path: Path | None
    first_page_s: float | None = None  # when the first page was stored
    pages_done_s: float | None = None  # when the last page was stored (then: the archive)


def submit(client: httpx.Client, series: Series, ids: list[str], title: str) -> str:
    response = client.post(
        "/api/download",
        json={"source": PROVIDER, "series_id": series.series_id, "ids": ids, "title": title},
    )
    response.raise_for_status()
    body = response.json()
    if body["deduplicated"]:
        raise RuntimeError("the benchmark job was deduplicated against an earlier one")
    return str(body["task_id"])


def run_jobs(
    api_url: str,
    download_dir: Path,
    series: Series,
    batches: list[list[str]],
    title: str,
    timeout: float = 1800.0,
) -> tuple[float, list[JobRun]]:
    """Submit one job per batch at once; wall time until every one is final, and each job."""
    with httpx.Client(base_url=api_url, timeout=30) as client:
        started = time.perf_counter()
        ids = [submit(client, series, batch, f"{title} #{n}") for n, batch in enumerate(batches)]
        runs: dict[str, JobRun] = {}
        pages_done: dict[str, float] = {}
        first_page: dict[str, float] = {}
        deadline = started + timeout
        while len(runs) < len(ids):
            if time.perf_counter() > deadline:
                raise RuntimeError(f"jobs not finished after {timeout:.0f}s")
            for task_id in ids:
                if task_id in runs:
                    continue
                status = client.get(f"/api/download/status/{task_id}").json()
                total = int(status["pages_total"])
                if task_id not in first_page and int(status["pages_done"]):
                    first_page[task_id] = time.perf_counter() - started
                if task_id not in pages_done and total and int(status["pages_done"]) >= total:
                    pages_done[task_id] = time.perf_counter() - started
                if status["state"] in _FINAL:
                    runs[task_id] = JobRun(
                        task_id,
                        status["state"],
                        time.perf_counter() - started,
                        int(status["pages_done"]),
                        int(status.get("size") or 0),
                        next(download_dir.glob(f"{task_id}.*"), None),
                        first_page.get(task_id),
                        pages_done.get(task_id),
                    )
            time.sleep(0.02)
        wall = max(run.seconds for run in runs.values())
    return wall, [runs[i] for i in ids]


def check_archive(run: JobRun, chapters: int) -> None:
    """The archive is there and holds one CBZ per chapter (a broken run is no figure)."""
    if run.state != "SUCCESS" or run.path is None:
        raise RuntimeError(f"job {run.task_id} ended {run.state}")
    with zipfile.ZipFile(run.path) as archive:
        names = [n for n in archive.namelist() if n.endswith(".cbz")]
    if len(names) != chapters and not (chapters == 1 and run.path.suffix == ".cbz"):
        raise RuntimeError(f"archive holds {len(names)} chapters, expected {chapters}")

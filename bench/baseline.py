"""The naive downloader we compare against: one image at a time, into a zip.

What a first script does: one `httpx.Client` (keep-alive), each chapter's page list from the
source, each page fetched in turn and written to a stored ZIP, one folder per chapter.
"""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import httpx

from .workload import PROVIDER, Series


def sequential_download(source_url: str, series: Series, dest: Path) -> tuple[float, int]:
    """Seconds and bytes for the whole series, fetched sequentially and zipped."""
    started = time.perf_counter()
    received = 0
    with (
        httpx.Client(base_url=source_url, timeout=60) as client,
        zipfile.ZipFile(dest, "w", zipfile.ZIP_STORED) as archive,
    ):
        for chapter_id in series.chapter_ids():
            pages = client.get(f"/manga/{PROVIDER}/read", params={"chapterId": chapter_id})
            pages.raise_for_status()
            folder = chapter_id.rsplit("/", 1)[1]
            for number, page in enumerate(pages.json(), start=1):
                response = client.get(page["img"], headers=page.get("headerForImage") or {})
                response.raise_for_status()
                archive.writestr(f"{folder}/{number:03d}.jpg", response.content)
                received += len(response.content)
    return time.perf_counter() - started, received

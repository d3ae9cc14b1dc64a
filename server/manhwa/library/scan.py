"""The index rebuilt from the folder, and the library's state as JSON (backup and restore).

Every library CBZ carries ComicInfo.xml with `Series`, `Number`, `Volume`, `Title`, `PageCount`
and our ids in `Notes` (`naming.notes`), so the folder alone is enough to rebuild the index:
delete it, `manhwa library scan`, same answer. CBZs without our Notes (put there by hand) are
counted and left alone.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from ..comicinfo import COMICINFO
from ..storage import TEMP_PREFIX, LibraryFolder
from .naming import parse_notes
from .store import Follow, IndexEntry, LibraryStore, SeriesRecord, follow_id

EXPORT_VERSION = 1


@dataclass
class ScanReport:
    series: int = 0
    chapters: int = 0
    skipped: int = 0


def read_chapter(path: Path) -> tuple[str, str, str, str, IndexEntry] | None:
    """(source, series id, series title, follow id, entry) from a CBZ's ComicInfo, or None."""
    try:
        with zipfile.ZipFile(path) as zf:
            # Files in our own library; Python's expat (>= 2.4.1) caps entity amplification.
            root = ET.fromstring(zf.read(COMICINFO))  # noqa: S314
    except (zipfile.BadZipFile, KeyError, ET.ParseError, OSError):
        return None

    def text(tag: str) -> str | None:
        node = root.find(tag)
        return node.text if node is not None and node.text else None

    ids = parse_notes(text("Notes") or "")
    if ids is None:
        return None
    source, series_id, chapter_id = ids
    entry = IndexEntry(
        chapter_id=chapter_id,
        number=text("Number"),
        volume=text("Volume"),
        title=text("Title") or "",
        file="",
        pages=int(text("PageCount") or 0),
        size=path.stat().st_size,
        added_at=path.stat().st_mtime,
    )
    return source, series_id, text("Series") or series_id, follow_id(source, series_id), entry


async def rebuild_index(redis: Redis, library: LibraryFolder) -> ScanReport:
    """Forget the index and read it back from the folder's ComicInfo."""
    lib = LibraryStore(redis)
    await lib.clear_index()
    report = ScanReport()
    if not library.root.exists():
        return report
    seen: set[str] = set()
    for path in sorted(library.root.glob("*/*.cbz")):
        if path.name.startswith(TEMP_PREFIX):
            continue
        found = read_chapter(path)
        if found is None:
            report.skipped += 1
            continue
        source, series_id, title, fid, entry = found
        entry.file = library.relative(path)
        if fid not in seen:
            seen.add(fid)
            folder = path.parent.name
            await lib.save_series(
                SeriesRecord(
                    id=fid,
                    source=source,
                    series_id=series_id,
                    title=title,
                    folder=folder,
                    cover=(path.parent / "cover.jpg").exists(),
                )
            )
        await lib.add_entry(fid, entry)
        report.chapters += 1
    report.series = len(seen)
    return report


async def export_state(redis: Redis) -> dict[str, Any]:
    lib = LibraryStore(redis)
    series = []
    for record in await lib.all_series():
        entries = [e.model_dump() for e in await lib.entries(record.id)]
        series.append({**record.model_dump(), "chapters": entries})
    return {
        "version": EXPORT_VERSION,
        "exported_at": time.time(),
        "follows": [f.model_dump() for f in await lib.follows()],
        "series": series,
    }


async def import_state(redis: Redis, data: dict[str, Any]) -> tuple[int, int]:
    """Merge an export into the store (follows and index); returns (follows, chapters)."""
    if data.get("version") != EXPORT_VERSION:
        raise ValueError(f"unsupported export version {data.get('version')!r}")
    lib = LibraryStore(redis)
    follows = 0
    for raw in data.get("follows", []):
        follow = Follow.model_validate(raw)
        follow.pending_job = None  # jobs are not exported
        await lib.save_follow(follow)
        follows += 1
    chapters = 0
    for raw in data.get("series", []):
        raw = dict(raw)
        entries = raw.pop("chapters", [])
        record = SeriesRecord.model_validate(raw)
        await lib.save_series(record)
        for item in entries:
            await lib.add_entry(record.id, IndexEntry.model_validate(item))
            chapters += 1
    return follows, chapters

"""`manhwa library scan|export|import`: the index rebuilt from the folder, backup and restore."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from redis.asyncio import Redis

from ..config import Settings
from ..storage import LibraryFolder
from .scan import export_state, import_state, rebuild_index


async def _run(settings: Settings, command: str, file: str | None) -> int:
    redis = Redis.from_url(settings.store_url, decode_responses=True)
    try:
        if command == "scan":
            report = await rebuild_index(redis, LibraryFolder.from_settings(settings))
            print(
                f"indexed {report.chapters} chapter(s) in {report.series} series"
                f" ({report.skipped} CBZ(s) without our ComicInfo notes left alone)"
            )
        elif command == "export":
            text = json.dumps(await export_state(redis), indent=2, ensure_ascii=False)
            if file in (None, "-"):
                print(text)
            else:
                Path(file or "").write_text(text + "\n", encoding="utf-8")
        elif command == "import":
            data = json.loads(Path(file or "").read_text(encoding="utf-8"))
            follows, chapters = await import_state(redis, data)
            print(f"imported {follows} follow(s) and {chapters} indexed chapter(s)")
        else:
            print(f"unknown library command {command!r}", file=sys.stderr)
            return 2
        return 0
    finally:
        await redis.aclose()


def run_command(settings: Settings, command: str, file: str | None) -> int:
    try:
        return asyncio.run(_run(settings, command, file))
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1

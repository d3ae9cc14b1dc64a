"""A demo series that keeps releasing chapters, so following a series works offline.

"Night Shift No. 8" (MangaDex, a long-strip webtoon with a number inside its title, to show the
library's naming) starts with chapters 1, 1.5 and 2; each release adds the next whole chapter.
`make run` releases one every few minutes (`--release-every`), tests one on demand through
`POST /_control/releases`. Chapter ids and page bytes derive from the chapter number, so a
restarted demo source serves the same chapters again.
"""

from __future__ import annotations

import asyncio
import uuid

from demo_source.catalog import Catalog, DexChapter, DexSeries
from demo_source.titles import dex_chapter, dex_cover

RELEASE_SERIES = "5e1ea5e0-8a1e-4c57-9a43-5b6c0ffee008"
_NAMESPACE = uuid.UUID("0d2f8d1b-5f7e-4a5e-9b59-3c1c0a7e5e08")
TITLE = "Night Shift No. 8"
PAGES = 4


def _chapter(number: str) -> DexChapter:
    chapter_id = str(uuid.uuid5(_NAMESPACE, f"release/{number}"))
    return dex_chapter(TITLE, chapter_id, f"Shift {number}", number, None, PAGES)


def release_series(numbers: list[str]) -> DexSeries:
    return DexSeries(
        id=RELEASE_SERIES,
        titles=(("en", TITLE),),
        alt_titles=(("ko", "야간 근무 8호"),),
        descriptions=(("en", "A convenience store on the night shift; a new chapter often."),),
        genres=("Comedy", "Slice of Life", "Long Strip"),
        themes=("Office Workers",),
        status="ongoing",
        year=2026,
        content_rating="safe",
        last_volume="",
        last_chapter="",
        cover=dex_cover(RELEASE_SERIES, TITLE),
        chapters=tuple(_chapter(n) for n in reversed(numbers)),  # newest first, like MangaDex
    )


class Releases:
    """The releasing series' chapter numbers, and releasing the next one into the catalog."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.numbers = ["1", "1.5", "2"]
        self.catalog.put_dex(release_series(self.numbers))

    def release(self) -> DexChapter:
        whole = [int(n) for n in self.numbers if n.isdigit()]
        number = str(max(whole) + 1)
        self.numbers.append(number)
        series = release_series(self.numbers)
        self.catalog.put_dex(series)
        return series.chapters[0]

    def state(self) -> dict[str, object]:
        series = self.catalog.dex_series(RELEASE_SERIES)
        chapters = series.chapters if series else ()
        return {
            "series_id": RELEASE_SERIES,
            "title": TITLE,
            "chapters": [
                {"id": c.id, "number": c.chapter, "pages": [p.path for p in c.pages]}
                for c in chapters
            ],
        }

    async def every(self, seconds: float) -> None:
        """Release a chapter every `seconds` (the `make run` demo)."""
        while True:
            await asyncio.sleep(seconds)
            self.release()

"""The demo library: series, chapters and page images, and lookups by id and image path.

Static series come from `titles.py`; `bench_{C}x{P}_{KB}` mangahere series are made up on demand.
Image paths (under `/img/`) are the stable identity of a page: the same path always maps to the
same art and therefore the same bytes.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from demo_source import bench
from demo_source.artwork import Art
from demo_source.bench import BenchSpec, NoiseArt

ArtSpec = Art | NoiseArt
# How a mangahere `read` answer spells each page's Referer and host (CONTRACT.md §4/§5):
# "page" = path (a), "packed" = path (b), "loopback" = the SSRF lab's loopback spellings.
RefererStyle = Literal["page", "packed", "loopback"]


@dataclass(frozen=True)
class Page:
    """One page image: `path` is its URL path below `/img/`."""

    path: str
    art: ArtSpec


@dataclass(frozen=True)
class DexChapter:
    """One MangaDex upload; an external chapter has no pages."""

    id: str
    title: str | None
    chapter: str | None
    volume: str | None
    pages: tuple[Page, ...]


@dataclass(frozen=True)
class DexSeries:
    """A MangaDex title with its raw attribute maps, as `mangadex.ts` sees them."""

    id: str
    titles: tuple[tuple[str, str], ...]
    alt_titles: tuple[tuple[str, str], ...]
    descriptions: tuple[tuple[str, str], ...]
    genres: tuple[str, ...]
    themes: tuple[str, ...]
    status: str
    year: int | None
    content_rating: str
    last_volume: str | None
    last_chapter: str | None
    cover: Page
    chapters: tuple[DexChapter, ...]

    def names(self) -> Iterable[str]:
        """Every title a search may match on."""
        yield from (text for _, text in self.titles)
        yield from (text for _, text in self.alt_titles)


@dataclass(frozen=True)
class HereChapter:
    """A mangahere chapter as listed by `info`; its pages come from `Catalog.here_pages`."""

    id: str
    title: str
    released: str
    page_count: int
    style: RefererStyle = "page"


@dataclass(frozen=True)
class HereSeries:
    """A mangahere title (slug id)."""

    id: str
    title: str
    description: str
    genres: tuple[str, ...]
    status: str
    rating: float | None
    authors: tuple[str, ...]
    cover: Page
    chapters: tuple[HereChapter, ...]


@dataclass(frozen=True)
class ImageEntry:
    """What `/img/{path}` serves, and whether it is behind the mangahere Referer check."""

    art: ArtSpec
    needs_referer: bool


def release_date(index: int) -> str:
    """mangahere's date text (`Nov 14,2025`), one week apart per chapter, newest first."""
    day = datetime.date(2025, 11, 14) - datetime.timedelta(days=7 * index)
    return f"{day:%b} {day.day},{day.year}"


class Catalog:
    """Index over the demo series; only `put_dex` (the releasing series) changes it."""

    def __init__(
        self,
        dex: Sequence[DexSeries],
        here: Sequence[HereSeries],
        here_pages: dict[str, tuple[Page, ...]],
    ) -> None:
        self._dex = list(dex)
        self._dex_by_id = {series.id: series for series in dex}
        self._dex_chapters = {ch.id: ch for series in dex for ch in series.chapters}
        self._here = list(here)
        self._here_by_id = {series.id: series for series in here}
        self._here_chapters = {ch.id: ch for series in here for ch in series.chapters}
        self._here_pages = dict(here_pages)
        self._images: dict[str, ImageEntry] = {}
        for dex_series in dex:
            self._images[dex_series.cover.path] = ImageEntry(dex_series.cover.art, False)
            for dex_chapter in dex_series.chapters:
                for page in dex_chapter.pages:
                    self._images[page.path] = ImageEntry(page.art, False)
        for here_series in here:
            self._images[here_series.cover.path] = ImageEntry(here_series.cover.art, True)
        for pages in here_pages.values():
            for page in pages:
                self._images[page.path] = ImageEntry(page.art, True)

    def put_dex(self, series: DexSeries) -> None:
        """Add or replace a MangaDex series (the releasing demo series grows this way)."""
        self._dex = [s for s in self._dex if s.id != series.id] + [series]
        self._dex_by_id[series.id] = series
        self._images[series.cover.path] = ImageEntry(series.cover.art, False)
        for chapter in series.chapters:
            self._dex_chapters[chapter.id] = chapter
            for page in chapter.pages:
                self._images[page.path] = ImageEntry(page.art, False)

    def search_dex(self, query: str) -> list[DexSeries]:
        """Case-insensitive substring match on any title; blank queries match nothing."""
        needle = query.strip().casefold()
        if not needle:
            return []
        return [s for s in self._dex if any(needle in name.casefold() for name in s.names())]

    def dex_series(self, series_id: str) -> DexSeries | None:
        return self._dex_by_id.get(series_id)

    def dex_chapter(self, chapter_id: str) -> DexChapter | None:
        return self._dex_chapters.get(chapter_id)

    def search_here(self, query: str) -> list[HereSeries]:
        """Like `search_dex`; benchmark series are reachable by id only."""
        needle = query.strip().casefold()
        if not needle:
            return []
        return [s for s in self._here if needle in s.title.casefold()]

    def here_series(self, series_id: str) -> HereSeries | None:
        series = self._here_by_id.get(series_id)
        if series is None:
            spec = bench.parse_series_id(series_id)
            if spec is not None:
                series = _bench_series(spec)
        return series

    def here_chapter(self, chapter_id: str) -> tuple[HereChapter, tuple[Page, ...]] | None:
        """The chapter and its pages, in reading order."""
        chapter = self._here_chapters.get(chapter_id)
        if chapter is not None:
            return chapter, self._here_pages[chapter_id]
        series_id, _, number = chapter_id.partition("/")
        spec = bench.parse_series_id(series_id)
        index = _bench_chapter_number(number)
        if spec is None or index is None or index > spec.chapters:
            return None
        pages = tuple(_bench_page(spec, index, page) for page in range(1, spec.pages + 1))
        return _bench_chapter(spec, index), pages

    def image(self, path: str) -> ImageEntry | None:
        """The image at `/img/{path}`, or None."""
        entry = self._images.get(path)
        if entry is None:
            entry = _bench_image(path)
        return entry


# --- benchmark series ------------------------------------------------------------------------


def _bench_series(spec: BenchSpec) -> HereSeries:
    return HereSeries(
        id=spec.series_id,
        title=f"Benchmark {spec.chapters}x{spec.pages} {spec.kb} KB"
        + (f" copy {spec.copy}" if spec.copy is not None else ""),
        description=(
            f"{spec.chapters} chapters of {spec.pages} noisy {spec.kb} KB JPEG pages, for "
            "measuring download throughput."
        ),
        genres=("Benchmark",),
        status="Completed",
        rating=None,
        authors=("Demo Source",),
        cover=Page(
            f"covers/mangahere/{spec.series_id}.jpg",
            Art("cover", "JPEG", 512, 728, "Benchmark", f"{spec.kb} KB pages", 900),
        ),
        chapters=tuple(_bench_chapter(spec, number) for number in range(spec.chapters, 0, -1)),
    )


def _bench_chapter(spec: BenchSpec, number: int) -> HereChapter:
    return HereChapter(
        id=f"{spec.series_id}/c{number:03d}",
        title=f"Ch.{number:03d}",
        released=release_date(spec.chapters - number),
        page_count=spec.pages,
    )


def _bench_page(spec: BenchSpec, chapter: int, page: int) -> Page:
    return Page(
        f"mangahere/{spec.series_id}/c{chapter:03d}/{page:03d}.jpg",
        bench.pick_variant(spec.kb, chapter, page),
    )


def _bench_chapter_number(text: str) -> int | None:
    if len(text) < 2 or text[0] != "c" or not text[1:].isdigit():
        return None
    number = int(text[1:])
    return number if number >= 1 and text == f"c{number:03d}" else None


def _bench_image(path: str) -> ImageEntry | None:
    parts = path.split("/")
    if len(parts) == 3 and parts[0] == "covers" and parts[1] == "mangahere":
        series_id = parts[2].removesuffix(".jpg")
        spec = bench.parse_series_id(series_id)
        if spec is None or parts[2] != f"{series_id}.jpg":
            return None
        return ImageEntry(_bench_series(spec).cover.art, True)
    if len(parts) != 4 or parts[0] != "mangahere":
        return None
    spec = bench.parse_series_id(parts[1])
    chapter = _bench_chapter_number(parts[2])
    stem = parts[3].removesuffix(".jpg")
    if spec is None or chapter is None or chapter > spec.chapters or not stem.isdigit():
        return None
    page = int(stem)
    if not 1 <= page <= spec.pages or parts[3] != f"{page:03d}.jpg":
        return None
    return ImageEntry(bench.pick_variant(spec.kb, chapter, page), True)

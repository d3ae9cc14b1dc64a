"""Library names, following Kavita's and Komga's documented rules.

- One folder per series, no file at the library root (Kavita requires it; Komga makes a
  series of each folder).
- `<Series> Ch. 012.cbz`, `<Series> Ch. 012.5.cbz`, `<Series> Vol. 02 Ch. 012.cbz`: explicit
  `Vol.`/`Ch.` markers, so a number inside the title ("Kaiju No. 8", "After 4000 Years") is never
  parsed as a chapter; and every CBZ carries ComicInfo `Series`, which both servers prefer over
  the file name, so the series never splits.
- Parentheses are dropped from the folder and file names: Kavita strips `(...)` from parsed
  series names, so "Title (2019)" and "Title" would merge or split depending on the file.
- A chapter without a number is a special for Kavita: named `<Series> SP01 <title>.cbz`.
"""

from __future__ import annotations

import re
from dataclasses import replace

from ..models import ChapterMeta, MangaInfo
from ..names import chapter_label, safe_name

NOTES_PREFIX = "manhwa-downloader"
_PARENS = re.compile(r"\s*[\(\[\{][^\)\]\}]*[\)\]\}]\s*")
_LONG_STRIP = ("long strip", "webtoon", "manhwa", "manhua", "full color")
_WESTERN = ("western", "comic")
_NOTES = re.compile(r"manhwa-downloader source=([^\s<]+) series=([^\s<]+) chapter=([^\s<]+)")


def series_folder(title: str) -> str:
    """The series' folder name: its title, safe on every file system, without parentheses."""
    cleaned = _PARENS.sub(" ", title).strip()
    return safe_name(cleaned or title, max_len=100, fallback="Untitled series")


def chapter_file(series: str, number: str | None, volume: str | None, title: str, n: int) -> str:
    """`<Series> [Vol. 02 ]Ch. 012[.5].cbz`; a chapter without a number is a special."""
    folder = series_folder(series)
    if not (number or "").strip() or not any(c.isdigit() for c in number or ""):
        special = safe_name(_PARENS.sub(" ", title), max_len=60, fallback="Special")
        return f"{folder} SP{n:02d} {special}.cbz"
    label = chapter_label(number, 0)
    vol = _volume(volume)
    prefix = f"{folder} Vol. {vol:02d} " if vol is not None else f"{folder} "
    return safe_name(f"{prefix}{label}", max_len=160) + ".cbz"


def _volume(volume: str | None) -> int | None:
    match = re.fullmatch(r"\s*(?:vol(?:ume)?\.?\s*)?0*([0-9]{1,6})\s*", volume or "", re.I)
    return int(match.group(1)) if match else None


def manga_value(info: MangaInfo | None, default: str = "Yes") -> str:
    """ComicInfo `Manga`: `Yes` (manga-style, read left to right: webtoons, manhwa, manhua),
    `YesAndRightToLeft` for Japanese manga, `No` for western comics."""
    if info is None:
        return default
    tags = " ".join(info.genres).casefold()
    if any(word in tags for word in _LONG_STRIP):
        return "Yes"
    if any(word in tags for word in _WESTERN):
        return "No"
    alt = " ".join(info.alt_titles)
    if re.search(r"[\u3040-\u30ff]", alt) and not re.search(r"[\uac00-\ud7af]", alt):
        return "YesAndRightToLeft"  # a kana title and no hangul one: Japanese
    return default


def notes(source: str, series_id: str, chapter_id: str) -> str:
    """ComicInfo `Notes` naming our ids, so the index can be rebuilt from the folder alone."""
    return f"{NOTES_PREFIX} source={source} series={series_id} chapter={chapter_id}"


def parse_notes(text: str) -> tuple[str, str, str] | None:
    match = _NOTES.search(text or "")
    return (match.group(1), match.group(2), match.group(3)) if match else None


def library_meta(
    meta: ChapterMeta, info: MangaInfo | None, source: str, series_id: str, language: str
) -> ChapterMeta:
    """The chapter's ComicInfo for the library: the series' own title, Manga, language, ids."""
    return replace(
        meta,
        series=(info.title if info else None) or meta.series,
        manga=manga_value(info),
        language_iso=language,
        notes=notes(source, series_id, meta.chapter_id),
    )

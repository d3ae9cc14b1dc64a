"""Our own typed models: what the Consumet client returns and the API answers.

Consumet's shapes differ per provider (see shared/consumet/CONTRACT.md); everything past the
client speaks these models only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

from pydantic import BaseModel, Field

Format = Literal["cbz", "zip", "pdf"]
"""What a download is made of: CBZs, plain image folders, or PDFs."""
Layout = Literal["auto", "per-chapter"]
"""`per-chapter` wraps even one chapter in a ZIP, so one script handles every download."""
FORMATS: tuple[Format, ...] = get_args(Format)
LAYOUTS: tuple[Layout, ...] = get_args(Layout)


class Source(BaseModel):
    """A provider the Consumet instance serves; `index` is the original client's numeric id."""

    index: int
    name: str
    title: str
    ids_in_path: bool


class MangaResult(BaseModel):
    """A series as a search lists it; `MangaInfo` is the same series with its details."""

    id: str
    title: str
    image: str | None = None
    cover: str | None = None
    description: str | None = None
    status: str | None = None
    alt_titles: list[str] = Field(default_factory=list)


class SearchPage(BaseModel):
    source: str
    query: str
    page: int
    has_next_page: bool
    results: list[MangaResult]


class Chapter(BaseModel):
    id: str
    title: str
    number: str | None = None
    volume: str | None = None
    pages: int | None = None
    released: str | None = None


class MangaInfo(MangaResult):
    source: str
    genres: list[str] = Field(default_factory=list)
    authors: list[str] = Field(default_factory=list)
    headers: dict[str, str] = Field(default_factory=dict)
    chapters: list[Chapter] = Field(default_factory=list)


class Page(BaseModel):
    """One page of a chapter; `index` is its position in Consumet's array (0-based)."""

    index: int
    img: str
    headers: dict[str, str] = Field(default_factory=dict)


class ChapterPages(BaseModel):
    source: str
    chapter_id: str
    pages: list[Page]


@dataclass(frozen=True)
class PageImage:
    """A fetched, checked page image, ready to be stored in an archive."""

    index: int
    data: bytes
    format: str  # Pillow format name, upper case: JPEG, PNG, WEBP, GIF
    ext: str  # file extension without dot: jpg, png, webp, gif
    width: int
    height: int


@dataclass(frozen=True)
class ChapterMeta:
    """What ComicInfo.xml and file names say about one chapter."""

    series: str
    title: str
    number: str
    chapter_id: str
    volume: str | None = None
    summary: str | None = None
    writer: str | None = None
    genres: tuple[str, ...] = field(default_factory=tuple)
    language_iso: str = "en"
    manga: str = "Yes"
    notes: str | None = None  # library CBZs name their source/series/chapter ids here

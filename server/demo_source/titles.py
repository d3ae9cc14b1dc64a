"""The fixed demo series (fictional), laid out to exercise the quirks in CONTRACT.md.

MangaDex: `Tower of Dawn` has an untitled chapter, a chapter number uploaded twice and an external
chapter (`pages: 0`, read → `[]`); a romanised-only title has no English title and no chapters;
25 anthology fillers make searches page. mangahere: a webtoon with PNG/WebP long strips (one
chapter uses the unusable "packed" Referer), a series with GIF pages, and the SSRF lab.

Over 300 lines because it is data: each series is spelled out in full beside the quirk it
exercises, and `releases.py` builds its chapters with the same `dex_chapter`/`dex_cover`.
"""

from __future__ import annotations

import hashlib
import uuid

from demo_source.artwork import EXTENSIONS, Art, ArtKind, ImageFormat
from demo_source.catalog import (
    Catalog,
    DexChapter,
    DexSeries,
    HereChapter,
    HereSeries,
    Page,
    RefererStyle,
    release_date,
)

TOWER_OF_DAWN = "60c01dc6-0a5c-4e46-a115-a934ebc404f2"
DAWN_CARETAKER = "888dc5f6-be71-4b10-bebc-dacff5aec95f"
REQUIEM_AT_DAWN = "14ab1d37-4b4b-45d9-8b7b-09289e7686ed"
_ANTHOLOGY_NAMESPACE = uuid.UUID("7828a368-bfb5-40d4-a4a8-c96544abc7f1")


def _seed(text: str) -> int:
    # Not hash(): that is salted per process, and bytes must survive restarts.
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def _cover(path: str, title: str, label: str) -> Page:
    return Page(path, Art("cover", "JPEG", 512, 728, title, label, _seed(path)))


# --- MangaDex ---------------------------------------------------------------------------------


def dex_chapter(
    series_title: str,
    chapter_id: str,
    title: str | None,
    chapter: str | None,
    volume: str | None,
    pages: int,
    note: str = "",
) -> DexChapter:
    """A MangaDex chapter of `pages` JPEG pages drawn from its path (the same bytes every run)."""
    images = []
    for number in range(1, pages + 1):
        path = f"mangadex/{chapter_id}/{number}.jpg"
        label = f"Ch {chapter} · p {number}{note}"
        images.append(Page(path, Art("page", "JPEG", 800, 1200, series_title, label, _seed(path))))
    return DexChapter(chapter_id, title, chapter, volume, tuple(images))


def dex_cover(series_id: str, title: str) -> Page:
    """A MangaDex series' cover at a path derived from its id, as the CDN names it."""
    file = uuid.uuid5(_ANTHOLOGY_NAMESPACE, f"cover/{series_id}")
    return _cover(f"covers/mangadex/{series_id}/{file}.jpg", title, "MangaDex demo")


def _tower_of_dawn() -> DexSeries:
    name = "Tower of Dawn"
    return DexSeries(
        id=TOWER_OF_DAWN,
        titles=(("en", name),),
        alt_titles=(("ko", "새벽의 탑"), ("ko-ro", "Saebyeok-ui Tap"), ("ja", "夜明けの塔")),
        descriptions=(
            (
                "en",
                "Every dawn a new floor of the Tower opens over the harbour city. A porter who "
                "fell from the ninth floor wakes up on the morning of his first climb.",
            ),
            ("pt-br", "Todo amanhecer um novo andar da Torre se abre sobre a cidade portuária."),
        ),
        genres=("Action", "Adventure", "Fantasy"),
        themes=("Monsters", "Time Travel"),
        status="ongoing",
        year=2022,
        content_rating="safe",
        last_volume="",
        last_chapter="",
        cover=dex_cover(TOWER_OF_DAWN, name),
        chapters=(
            dex_chapter(
                name, "cf99ee32-f732-408e-b838-0652bcbe8792", "Across the Dawn Gate", "6", None, 8
            ),
            dex_chapter(
                name, "c7bd0dc4-2dd1-43c1-a21c-1a3c7cae6c0a", "The Ninth Floor", "5", "2", 8
            ),
            dex_chapter(
                name, "59223f24-c05c-456d-a625-4280d1edbea2", "Bargain at the Gate", "4", "1", 8
            ),
            # The same chapter from a second scanlation group: a separate upload and id.
            dex_chapter(
                name,
                "195e3189-5b52-41da-9c14-e6724f96f5b1",
                "Bargain at the Gate",
                "4",
                "1",
                8,
                " (alt)",
            ),
            dex_chapter(name, "e5fab167-6ebc-43aa-8e5d-6f77ef875948", None, "3", "1", 8),
            dex_chapter(name, "b122969f-d2f7-4f01-b6ea-e205ba1ef89f", "First Floor", "2", "1", 8),
            # Externally hosted: `pages: 0`, and `read` answers `[]`.
            dex_chapter(
                name, "0067b350-9248-41c4-8aaa-97fa059ee38a", "The Tower Opens", "1", "1", 0
            ),
        ),
    )


def _dawn_caretaker() -> DexSeries:
    """Romanised title only (info has no `title`), no description, no English chapters."""
    return DexSeries(
        id=DAWN_CARETAKER,
        titles=(("ko-ro", "Saebyeok Gwanriin"),),
        alt_titles=(("en", "The Dawn Caretaker"), ("ko", "새벽 관리인")),
        descriptions=(),
        genres=("Drama", "Slice of Life"),
        themes=(),
        status="hiatus",
        year=None,
        content_rating="suggestive",
        last_volume=None,
        last_chapter=None,
        cover=dex_cover(DAWN_CARETAKER, "Saebyeok Gwanriin"),
        chapters=(),
    )


def _requiem_at_dawn() -> DexSeries:
    name = "Requiem at Dawn"
    return DexSeries(
        id=REQUIEM_AT_DAWN,
        titles=(("en", name),),
        alt_titles=(("ja", "夜明けのレクイエム"),),
        descriptions=(
            ("en", "A retired guide takes one last climb for the daughter of a friend."),
        ),
        genres=("Drama", "Mystery"),
        themes=("Survival",),
        status="completed",
        year=2019,
        content_rating="safe",
        last_volume="1",
        last_chapter="2",
        cover=dex_cover(REQUIEM_AT_DAWN, name),
        chapters=(
            dex_chapter(name, "170a79c5-50e4-4938-b8ed-c7bc9698eb28", "Last Light", "2", "1", 5),
            dex_chapter(name, "7a1c3f0e-6a43-4d0e-9a59-3f1f2c7d9b10", "The Guide", "1", "1", 5),
        ),
    )


def _anthology(number: int) -> DexSeries:
    series_id = str(uuid.uuid5(_ANTHOLOGY_NAMESPACE, f"anthology/{number}"))
    chapter_id = str(uuid.uuid5(_ANTHOLOGY_NAMESPACE, f"anthology/{number}/1"))
    name = f"Demo Anthology No. {number:02d}"
    return DexSeries(
        id=series_id,
        titles=(("en", name),),
        alt_titles=(),
        descriptions=(("en", f"Short story number {number} of the demo anthology."),),
        genres=("Comedy",),
        themes=(),
        status="completed",
        year=2020 + number % 5,
        content_rating="safe",
        last_volume="",
        last_chapter="1",
        cover=dex_cover(series_id, name),
        chapters=(dex_chapter(name, chapter_id, "Pilot", "1", None, 3),),
    )


# --- mangahere --------------------------------------------------------------------------------


def _here_series(
    slug: str,
    title: str,
    description: str,
    genres: tuple[str, ...],
    status: str,
    rating: float | None,
    authors: tuple[str, ...],
    chapters: list[tuple[str, str, list[Art], RefererStyle]],
    pages: dict[str, tuple[Page, ...]],
) -> HereSeries:
    """Build a series from (chapter id suffix, title, page arts, referer style), newest first."""
    listed = []
    for index, (suffix, chapter_title, arts, style) in enumerate(chapters):
        chapter_id = f"{slug}/{suffix}"
        listed.append(HereChapter(chapter_id, chapter_title, release_date(index), len(arts), style))
        pages[chapter_id] = tuple(
            Page(f"mangahere/{chapter_id}/{number:03d}.{EXTENSIONS[art.fmt]}", art)
            for number, art in enumerate(arts, start=1)
        )
    return HereSeries(
        id=slug,
        title=title,
        description=description,
        genres=genres,
        status=status,
        rating=rating,
        authors=authors,
        cover=_cover(f"covers/mangahere/{slug}.jpg", title, "mangahere demo"),
        chapters=tuple(listed),
    )


def _arts(
    title: str,
    key: str,
    chapter: str,
    count: int,
    kind: ArtKind,
    formats: dict[int, ImageFormat],
    default: ImageFormat,
    size: tuple[int, int],
) -> list[Art]:
    arts = []
    for number in range(1, count + 1):
        fmt = formats.get(number, default)
        seed = _seed(f"{key}/{number}")
        label = f"Ch {chapter} · p {number}"
        arts.append(Art(kind, fmt, size[0], size[1], title, label, seed))
    return arts


def _strips(chapter: str, key: str) -> list[Art]:
    # Long strips alternate PNG and WebP, as webtoon sites mix them.
    formats: dict[int, ImageFormat] = {n: "PNG" for n in range(1, 11, 2)}
    return _arts("Demo Webtoon Strip", key, chapter, 10, "strip", formats, "WEBP", (720, 2400))


def _mangahere(pages: dict[str, tuple[Page, ...]]) -> list[HereSeries]:
    webtoon = _here_series(
        "demo_webtoon_strip",
        "Demo Webtoon Strip",
        "A bicycle courier delivers parcels between the rooftops of a city that never lands, "
        "one long vertical strip at a time.",
        ("Action", "Comedy", "Webtoons"),
        "Ongoing",
        4.61,
        ("Mira Vale",),
        [
            ("c004", "Ch.004 - Rooftop Run", _strips("4", "webtoon/c004"), "page"),
            # Path (b): the Referer handed out is the image URL without its scheme.
            ("c003", "Ch.003", _strips("3", "webtoon/c003"), "packed"),
            ("c002.5", "Ch.002.5 - Side Story", _strips("2.5", "webtoon/c002.5"), "page"),
            ("v01/c002", "Vol.01 Ch.002 - Night Shift", _strips("2", "webtoon/c002"), "page"),
            ("v01/c001", "Vol.01 Ch.001 - First Delivery", _strips("1", "webtoon/c001"), "page"),
        ],
        pages,
    )
    knights = _here_series(
        "pixel_knights",
        "Pixel Knights",
        "Two speedrunners are trapped inside the arcade cabinet they were trying to beat.",
        ("Adventure", "Comedy"),
        "Completed",
        None,
        ("Oto Haneda",),
        [
            (
                "c002",
                "Ch.002 - Boss Room",
                _arts(
                    "Pixel Knights",
                    "knights/c002",
                    "2",
                    4,
                    "page",
                    {2: "GIF", 4: "GIF"},
                    "JPEG",
                    (600, 900),
                ),
                "page",
            ),
            (
                "c001",
                "Ch.001 - Insert Coin",
                _arts(
                    "Pixel Knights", "knights/c001", "1", 4, "page", {2: "GIF"}, "JPEG", (600, 900)
                ),
                "page",
            ),
        ],
        pages,
    )
    tower = _here_series(
        "tower_of_dawn",
        "Tower of Dawn",
        "Every dawn a new floor of the Tower opens over the harbour city. A porter who fell "
        "from the ninth floor wakes up on the morning of his first climb.",
        ("Action", "Adventure", "Fantasy", "Webtoons"),
        "Ongoing",
        4.72,
        ("Han Jiwoo",),
        [
            (
                f"c{n:03d}",
                title,
                _arts("Tower of Dawn", f"tower/c{n}", str(n), 6, "page", {}, "JPEG", (800, 1200)),
                "page",
            )
            for n, title in (
                (3, "Ch.003 - Bargain at the Gate"),
                (2, "Ch.002 - First Floor"),
                (1, "Ch.001 - The Tower Opens"),
            )
        ],
        pages,
    )
    ssrf = _here_series(
        "ssrf_lab",
        "SSRF Lab",
        "Test fixture: every page URL points at a loopback address spelled a different way.",
        ("Test",),
        "Unknown",
        None,
        (),
        [
            (
                "c001",
                "Ch.001 - Loopback",
                _arts("SSRF Lab", "ssrf/c001", "1", 6, "page", {}, "JPEG", (400, 600)),
                "loopback",
            )
        ],
        pages,
    )
    return [tower, webtoon, knights, ssrf]


def build_catalog() -> Catalog:
    """The whole demo library (cheap: no image is rendered until it is requested)."""
    dex = [_tower_of_dawn(), _dawn_caretaker(), _requiem_at_dawn()]
    dex.extend(_anthology(number) for number in range(1, 26))
    pages: dict[str, tuple[Page, ...]] = {}
    here = _mangahere(pages)
    return Catalog(dex, here, pages)

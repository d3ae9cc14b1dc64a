"""Library names and ComicInfo extras (Kavita's and Komga's naming rules), in-process."""

from __future__ import annotations

import xmlschema

from manhwa.comicinfo import comicinfo_xml
from manhwa.library.naming import (
    chapter_file,
    library_meta,
    manga_value,
    notes,
    parse_notes,
    series_folder,
)
from manhwa.models import ChapterMeta, MangaInfo

from .stack import REPO

XSD = REPO.parent / "shared" / "testdata" / "ComicInfo-v2.0.xsd"


def test_chapter_files_carry_explicit_markers_and_keep_numbers_in_titles() -> None:
    assert chapter_file("Kaiju No. 8", "12", None, "x", 1) == "Kaiju No. 8 Ch. 012.cbz"
    assert chapter_file("Kaiju No. 8", "12.5", None, "x", 1) == "Kaiju No. 8 Ch. 012.5.cbz"
    assert chapter_file("Zom 100", "3", "2", "x", 1) == "Zom 100 Vol. 02 Ch. 003.cbz"
    assert chapter_file("Zom 100", "3", "Vol. 2", "x", 1) == "Zom 100 Vol. 02 Ch. 003.cbz"
    # No number: a Kavita special.
    assert chapter_file("Zom 100", None, None, "Oneshot", 4) == "Zom 100 SP04 Oneshot.cbz"


def test_series_folders_are_safe_and_drop_parentheses() -> None:
    assert series_folder("Solo Leveling (2018)") == "Solo Leveling"
    assert series_folder("../../etc") not in ("..", ".", "")
    assert "/" not in series_folder("A/B: C")


def test_manga_value_is_right_for_webtoons_manga_and_comics() -> None:
    def info(genres: list[str], alt: list[str] | None = None) -> MangaInfo:
        return MangaInfo(source="m", id="i", title="T", genres=genres, alt_titles=alt or [])

    assert manga_value(info(["Action", "Long Strip"])) == "Yes"
    assert manga_value(info(["Action"], ["ワンピース"])) == "YesAndRightToLeft"
    assert manga_value(info(["Action"], ["나 혼자만 레벨업", "俺だけレベルアップな件"])) == "Yes"
    assert manga_value(info(["Western", "Superhero"])) == "No"


def test_library_comicinfo_names_our_ids_and_is_valid() -> None:
    meta = ChapterMeta(series="job title", title="Ch", number="12.5", chapter_id="c-1")
    info = MangaInfo(source="mangadex", id="s-1", title="Night Shift No. 8", genres=["Long Strip"])
    meta = library_meta(meta, info, "mangadex", "s-1", "en")
    xml = comicinfo_xml(meta, [(800, 1200, 1000)])
    xmlschema.XMLSchema(str(XSD)).validate(xml.decode())
    text = xml.decode()
    assert "<Series>Night Shift No. 8</Series>" in text and "<Manga>Yes</Manga>" in text
    assert parse_notes(notes("mangadex", "s-1", "c-1")) == ("mangadex", "s-1", "c-1")
    assert parse_notes(text) == ("mangadex", "s-1", "c-1")

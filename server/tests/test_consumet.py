"""Normalising Consumet's shapes, on the contract's own sample responses."""

from __future__ import annotations

import json

import pytest

from manhwa.consumet import chapter_number, sort_newest_first, usable_referer
from manhwa.errors import NotFound
from manhwa.models import Chapter
from manhwa.providers import resolve_provider

from .stack import REPO

FIXTURES = REPO.parent / "shared" / "consumet"


def test_chapter_numbers_from_fields_ids_and_titles() -> None:
    assert chapter_number({"chapterNumber": "6"}) == "6"
    assert chapter_number({"chapterNumber": None, "id": "x", "title": "Chapter 3.5"}) == "3.5"
    assert chapter_number({"id": "the_tower_climbers_return/c006"}) == "6"
    assert chapter_number({"id": "the_tower/c003.5"}) == "3.5"
    assert chapter_number({"id": "slug/v01/c001"}) == "1"
    assert chapter_number({"id": "naruto/chapter-700-5"}) == "700.5"
    assert chapter_number({"id": "2-10001000/one-piece-chapter-1", "chapter": "1"}) == "1"
    assert chapter_number({"id": "abc", "title": "Prologue"}) is None


def test_sort_newest_first_keeps_unnumbered_last_in_upstream_order() -> None:
    chapters = [
        Chapter(id="a", title="a", number="2"),
        Chapter(id="b", title="b", number=None),
        Chapter(id="c", title="c", number="10"),
        Chapter(id="d", title="d", number="2"),
        Chapter(id="e", title="e", number=None),
    ]
    assert [c.id for c in sort_newest_first(chapters)] == ["c", "a", "d", "b", "e"]


def test_referer_must_be_absolute_http() -> None:
    assert usable_referer({"Referer": "https://mangahere.cc/manga/x/1.html"})
    assert usable_referer("https://weebcentral.com") == "https://weebcentral.com"
    assert usable_referer({"Referer": "//zjcdn.mangahere.org/store/x.jpg"}) is None
    assert usable_referer(None) is None


def test_contract_fixtures_parse_into_our_models() -> None:
    from manhwa.consumet import _alt_titles, _text

    info = json.loads((FIXTURES / "mangadex" / "info.json").read_text())
    assert _text(info["description"]).startswith("Ten years")
    assert "탑을 오르는 자의 귀환" in _alt_titles(info["altTitles"])
    pages = json.loads((FIXTURES / "mangahere" / "read.json").read_text())
    assert pages[0]["page"] == 0 and usable_referer(pages[0]["headerForImage"])


@pytest.mark.parametrize(
    ("given", "name"),
    [
        ("0", "mangadex"),
        ("MangaHere", "mangahere"),
        ("mangareader", "managreader"),
        (1, "mangahere"),
    ],
)
def test_providers_by_name_or_index(given: str | int, name: str) -> None:
    assert resolve_provider(given).name == name


@pytest.mark.parametrize("given", ["²", "٣", "1²", "१", "⑤"])
def test_non_ascii_digits_are_not_source_indexes(given: str) -> None:
    with pytest.raises(NotFound, match="unknown source"):
        resolve_provider(given)

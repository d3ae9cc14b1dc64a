from __future__ import annotations

import pytest

from manhwa.errors import InvalidInput
from manhwa.validation import check_id, check_title


@pytest.mark.parametrize(
    "good",
    ["70888bb3-02fa-4331-b099-c19d8d888bef", "the_tower/c006", "naruto/chapter-700-5",
     "2-10001000/one-piece-chapter-1", "slug/v01/c001", "x" * 200],
)  # fmt: skip
def test_real_id_formats_pass(good: str) -> None:
    assert check_id(good) == good


@pytest.mark.parametrize(
    "bad",
    ["", " ", "../../etc/passwd", "a/../b", "/abs", "a\\b", "a\x00b", "a\nb", "x" * 201, "./a",
     " padded"],
)  # fmt: skip
def test_hostile_ids_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInput):
        check_id(bad)


def test_titles_lose_control_characters() -> None:
    assert check_title("Tower\x00 of\x1b Dawn ") == "Tower of Dawn"
    assert check_title("   ") is None
    with pytest.raises(InvalidInput):
        check_title("t" * 301)

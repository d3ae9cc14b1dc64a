"""names.py: titles and ids from an untrusted API become safe, portable file names."""

from __future__ import annotations

import unicodedata
from urllib.parse import unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from manhwa.names import chapter_label, content_disposition, page_name, safe_name

FORBIDDEN = set('/\\:*?"<>|')


def assert_safe(name: str, max_len: int = 120) -> None:
    assert name
    assert name not in (".", "..")
    assert ".." not in name
    assert not FORBIDDEN & set(name)
    assert not name.startswith((".", " "))
    assert not name.endswith((".", " "))
    assert len(name.encode("utf-8")) <= max_len
    assert all(unicodedata.category(c) not in ("Cc", "Cf", "Cs") for c in name)


@pytest.mark.parametrize(
    "text",
    [
        "../../etc/passwd",
        "/etc/passwd",
        "C:\\Windows\\System32",
        "..",
        ".",
        "...",
        ". . .",
        "a\x00b",
        "\x1b[31mred\x1b[0m",
        "evil\u202egpj.exe",
        "\u2066hidden\u2069",
        "zero\u200bwidth\ufeff",
        "\uff0e\uff0e\uff0fetc",  # fullwidth "../" becomes ASCII under NFKC
        "a" * 1000,
        "\U0001f600" * 1000,
        "\ud800lone surrogate",
        'What? <Why> "How" | a*b',
        " .hidden ",
        "line\nbreak\ttab",
    ],
)
def test_hostile_text_becomes_a_safe_name(text: str) -> None:
    assert_safe(safe_name(text))


def test_traversal_keeps_readable_words() -> None:
    name = safe_name("../../etc/passwd")
    assert "etc" in name
    assert "passwd" in name


def test_plain_titles_are_kept() -> None:
    assert safe_name("Solo Leveling") == "Solo Leveling"
    assert safe_name("나 혼자만 레벨업") == "나 혼자만 레벨업"
    assert safe_name("The Beginning After The End 🐉") == "The Beginning After The End 🐉"


def test_colons_and_separators_are_replaced() -> None:
    assert safe_name("Re:Zero: Starting Life") == "Re-Zero - Starting Life"
    assert safe_name("Fate/Zero") == "Fate-Zero"


def test_bidi_and_zero_width_characters_are_dropped() -> None:
    assert safe_name("evil\u202egpj.exe") == "evilgpj.exe"
    assert safe_name("a\u200bb\u200dc\u2060d") == "abcd"


def test_control_characters_are_dropped() -> None:
    assert safe_name("a\x00b\x7fc") == "abc"
    assert safe_name("one\ntwo") == "one two"


def test_ellipsis_survives_without_double_dots() -> None:
    assert safe_name("Wait...") == "Wait\u2026"
    assert safe_name("a..b") == "a\u2026b"


@pytest.mark.parametrize("text", ["CON", "con", "Nul", "COM1", "lpt9", "CON.txt", "aux .cbz"])
def test_windows_reserved_names_are_prefixed(text: str) -> None:
    assert safe_name(text) == "_" + text


def test_windows_reserved_lookalikes_are_caught_after_normalising() -> None:
    assert safe_name("\uff23\uff2f\uff2e") == "_CON"  # fullwidth CON
    assert safe_name("COM\u00b9") == "_COM1"  # superscript one


def test_reserved_word_inside_a_name_is_fine() -> None:
    assert safe_name("CONAN") == "CONAN"


def test_length_is_bounded_in_utf8_bytes_without_splitting_characters() -> None:
    name = safe_name("한" * 100, max_len=50)
    assert name == "한" * 16  # 3 bytes each: 48 bytes, a 17th would need 51
    name = safe_name("\U0001f600" * 100, max_len=10)
    assert name == "\U0001f600" * 2


def test_cut_does_not_leave_a_trailing_dot_or_space() -> None:
    assert safe_name("abcd. efgh", max_len=6) == "abcd"


def test_empty_results_use_the_fallback() -> None:
    assert safe_name("") == "untitled"
    assert safe_name("...///") != ""
    assert safe_name("\u202e\u200b\x00") == "untitled"
    assert safe_name(" . ", fallback="chapter") == "chapter"


@settings(max_examples=300, database=None, deadline=None)
@given(text=st.text(max_size=300), max_len=st.integers(min_value=1, max_value=255))
def test_any_text_gives_a_safe_name(text: str, max_len: int) -> None:
    name = safe_name(text, max_len=max_len)
    assert name
    assert "/" not in name
    assert "\\" not in name
    assert "\x00" not in name
    assert name not in (".", "..")
    assert ".." not in name
    assert len(name.encode("utf-8")) <= max_len


@settings(max_examples=200, database=None, deadline=None)
@given(text=st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_any_text_gives_a_fully_safe_name(text: str) -> None:
    assert_safe(safe_name(text))


# --- chapter labels, page names --------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "label"),
    [
        ("12", "Ch. 012"),
        ("1", "Ch. 001"),
        ("0", "Ch. 000"),
        ("0012", "Ch. 012"),
        ("1234", "Ch. 1234"),
        ("3.5", "Ch. 003.5"),
        ("3,5", "Ch. 003.5"),
        ("10.10", "Ch. 010.10"),
        (" 7 ", "Ch. 007"),
        ("\uff11\uff12", "Ch. 012"),  # fullwidth digits
        ("Chapter 7", "Ch. 007"),
        ("ch.7.5", "Ch. 007.5"),
        ("12a", "Ch. 012a"),
        ("12-13", "Ch. 012-13"),
        ("Extra", "Ch. Extra"),
    ],
)
def test_chapter_label(number: str, label: str) -> None:
    assert chapter_label(number, 99) == label


@pytest.mark.parametrize("number", [None, "", "   ", "\u202e\x00"])
def test_chapter_label_falls_back_to_the_index(number: str | None) -> None:
    assert chapter_label(number, 4) == "Ch. 004"


@pytest.mark.parametrize("number", ["../../etc/passwd", "1/2", "x" * 500, "9" * 5000, "CON"])
def test_hostile_chapter_numbers_give_safe_labels(number: str) -> None:
    label = chapter_label(number, 1)
    assert label.startswith("Ch. ")
    assert_safe(label)


@pytest.mark.parametrize(
    ("index", "count", "name"),
    [(0, 1, "001.jpg"), (8, 10, "009.jpg"), (99, 100, "100.jpg"), (0, 1000, "0001.jpg")],
)
def test_page_names_are_one_based_and_zero_padded(index: int, count: int, name: str) -> None:
    assert page_name(index, count, "jpg") == name


def test_page_names_sort_in_page_order() -> None:
    names = [page_name(i, 1200, "png") for i in range(1200)]
    assert sorted(names) == names


@pytest.mark.parametrize(("index", "ext"), [(-1, "jpg"), (5, "jpg"), (0, "../x"), (0, "")])
def test_bad_page_names_are_refused(index: int, ext: str) -> None:
    with pytest.raises(ValueError):
        page_name(index, 5, ext)


# --- Content-Disposition ---------------------------------------------------------------------


def parse_disposition(header: str) -> tuple[str, str]:
    kind, plain, star = header.split("; ")
    assert kind == "attachment"
    assert plain.startswith('filename="')
    assert plain.endswith('"')
    assert star.startswith("filename*=UTF-8''")
    return plain[len('filename="') : -1], unquote(star[len("filename*=UTF-8''") :])


def test_content_disposition_ascii_name() -> None:
    header = content_disposition("Solo Leveling - Ch. 012.cbz")
    plain, exact = parse_disposition(header)
    assert plain == exact == "Solo Leveling - Ch. 012.cbz"


def test_content_disposition_unicode_name() -> None:
    plain, exact = parse_disposition(content_disposition("Pokémon 나 - Ch. 001.cbz"))
    assert exact == "Pokémon 나 - Ch. 001.cbz"
    assert plain == "Pokemon _ - Ch. 001.cbz"
    assert plain.isascii()


def test_content_disposition_cannot_be_broken_out_of() -> None:
    header = content_disposition('a"b\\c\r\nSet-Cookie: x=1.cbz')
    assert "\r" not in header
    assert "\n" not in header
    plain, _ = parse_disposition(header)
    assert '"' not in plain
    assert "\\" not in plain
    header.encode("latin-1")  # a valid HTTP header value


def test_content_disposition_all_non_ascii_keeps_the_extension() -> None:
    plain, exact = parse_disposition(content_disposition("漫画.cbz"))
    assert plain == "download.cbz"
    assert exact == "漫画.cbz"


def test_content_disposition_ascii_name_has_no_leading_or_doubled_dots() -> None:
    # safe_name turns ".." into "…", which NFKD spells "..." again in the ASCII fallback.
    plain, exact = parse_disposition(content_disposition("…-…-etc-passwd - Ch. 001.zip"))
    assert plain == "-.-etc-passwd - Ch. 001.zip"
    assert exact == "…-…-etc-passwd - Ch. 001.zip"

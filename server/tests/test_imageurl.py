"""Page URLs from a source are data: each is parsed or refused with a short reason, never raised
as anything but our own errors."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from manhwa.errors import BadImageURL, ImageFetchError, TargetRefused
from manhwa.imageurl import check_image_url


def _parses(url: str) -> bool:
    try:
        httpx.URL(url)
    except (httpx.InvalidURL, ValueError, UnicodeError):
        return False
    return True


REFUSED = [
    "http://0177.0.0.1:8000/x.jpg",
    "http://127.000.000.001:8000/x.jpg",
    "http://0x7f.0.0.1/x.jpg",
    "http://0x7f.1/x.jpg",
    "http://127.1/x.jpg",
    "http://2130706433/x.jpg",
    "http://1.1.1.1.1/x.jpg",
    "http://127.0.0.1./x.jpg",
    "http://0.0.0.0/x.jpg",
    "http://[::]/x.jpg",
    "http://[::ffff:127.0.0.1]/x.jpg",
    "http://[::127.0.0.1]/x.jpg",
    "http://[2002:7f00:1::]/x.jpg",
    "http://[fe80::1%25eth0]/x.jpg",
    "ftp://example.com/x.jpg",
    "file:///etc/passwd",
]
BAD = [
    "",
    "http:///x.jpg",
    "http://:80/x.jpg",
    "http://" + "a" * 300 + "/x.jpg",
    "http://" + "a" * 64 + ".example/x.jpg",
    "http://example.com:99999/x.jpg",
    "http://example.com:0/x.jpg",
    "http://%00/x.jpg",
    "http://a b/x.jpg",
    "http://[::1/x.jpg",
    "http://example.com/" + "x" * 5000,
    "http://ex\nample.com/x.jpg",
]


@pytest.mark.parametrize("url", REFUSED)
def test_ambiguous_or_unfetchable_targets_are_refused(url: str) -> None:
    with pytest.raises(TargetRefused) as caught:
        check_image_url(url)
    assert caught.value.detail.startswith("refused") and len(caught.value.detail) < 120


@pytest.mark.parametrize("url", BAD)
def test_unusable_urls_are_bad_image_urls(url: str) -> None:
    with pytest.raises(BadImageURL) as caught:
        check_image_url(url)
    assert caught.value.detail.startswith("bad image URL") and len(caught.value.detail) < 120


@pytest.mark.parametrize(
    "url",
    [
        "https://uploads.mangadex.org/data/abc/1-x.png",
        "http://127.0.0.1:8100/img/a.jpg",
        "https://[2001:db8::1]/x.jpg",
        "https://[::1]:8443/x.jpg",
        "https://zjcdn.mangahere.org/store/manga/1/x.jpg?token=ab&ttl=1767225600",
        "https://例え.jp/x.jpg",
        "https://cdn.example.com./x.jpg",
        "https://1a.example/x.jpg",
    ],
)
def test_ordinary_urls_pass(url: str) -> None:
    assert check_image_url(url).scheme in ("http", "https")


@given(st.text(max_size=300) | st.from_regex(r"\Ahttps?://[^/]{0,80}(/.{0,40})?\Z"))
def test_any_string_is_parsed_or_refused_with_our_error(text: str) -> None:
    try:
        check_image_url(text)
    except ImageFetchError as exc:
        assert 0 < len(exc.detail) < 200


@pytest.mark.parametrize("url", [u for u in REFUSED + BAD if _parses(u)])
def test_a_parsed_url_is_judged_as_its_text(url: str) -> None:
    """The guard passes each hop's parsed URL (a redirect's Location, parsed by httpx)."""
    with pytest.raises(ImageFetchError) as from_text:
        check_image_url(url)
    with pytest.raises(type(from_text.value)):
        check_image_url(httpx.URL(url))

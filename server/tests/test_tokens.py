from __future__ import annotations

import pytest

from manhwa.errors import Forbidden
from manhwa.tokens import TOKEN_SECONDS, sign, verify

KEY = b"k" * 32


def test_round_trip_keeps_url_and_referer() -> None:
    token = sign(KEY, "https://cdn.example/a.jpg", "https://mangahere.cc")
    assert verify(KEY, token) == ("https://cdn.example/a.jpg", "https://mangahere.cc")


def test_other_key_is_refused() -> None:
    with pytest.raises(Forbidden, match="signature"):
        verify(b"x" * 32, sign(KEY, "https://cdn.example/a.jpg", None))


def test_tampered_payload_is_refused() -> None:
    body, mac = sign(KEY, "https://cdn.example/a.jpg", None).split(".")
    forged = sign(b"x" * 32, "http://127.0.0.1/", None).split(".")[0]
    with pytest.raises(Forbidden):
        verify(KEY, f"{forged}.{mac}")
    with pytest.raises(Forbidden):
        verify(KEY, f"{body}.")


def test_expired_token_is_refused() -> None:
    token = sign(KEY, "https://cdn.example/a.jpg", None, now=1000.0)
    with pytest.raises(Forbidden, match="expired"):
        verify(KEY, token, now=1000.0 + TOKEN_SECONDS + 1)


@pytest.mark.parametrize("junk", ["", ".", "abc", "a.b.c", "!!!.???"])
def test_malformed_tokens_are_refused(junk: str) -> None:
    with pytest.raises(Forbidden):
        verify(KEY, junk)

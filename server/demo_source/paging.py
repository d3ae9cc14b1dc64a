"""The `?page=` quirk shared by mangadex and mangahere searches (CONTRACT.md §1, §4).

Query values reach Consumet's scrapers as strings: without `page` the answer says
`"currentPage": 1` (a number), with `?page=2` it says `"2"` (a string). A page that is not a
positive integer breaks the upstream request, which surfaces as a 500.
"""

from __future__ import annotations

from dataclasses import dataclass

PAGE_SIZE = 20
# MangaDex refuses offsets of 10000 and more.
MAX_OFFSET = 10000


@dataclass(frozen=True)
class PageRequest:
    """The page to serve and the `currentPage` value to echo."""

    number: int
    echoed: int | str

    @property
    def offset(self) -> int:
        return (self.number - 1) * PAGE_SIZE


def parse_page(raw: str | None) -> PageRequest | None:
    """None when the scraper would fail on this page value."""
    if raw is None:
        return PageRequest(1, 1)
    if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
        return None
    request = PageRequest(int(raw), raw)
    return request if request.offset < MAX_OFFSET else None

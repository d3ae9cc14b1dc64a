"""The `?page=` quirk shared by mangadex and mangahere searches (CONTRACT.md §1, §4).

Query values reach Consumet's scrapers as strings: without `page` the answer says
`"currentPage": 1` (a number), with `?page=2` it says `"2"` (a string). A page that is not a
positive integer breaks the upstream request, which surfaces as a 500.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from starlette.requests import Request
from starlette.responses import Response

from demo_source.errors import page_not_found, scraper_failure
from demo_source.routing import is_one_raw_segment

T = TypeVar("T")

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

    def window(self, found: Sequence[T]) -> Sequence[T]:
        """This page's share of all the search results."""
        return found[self.offset : self.offset + PAGE_SIZE]


def parse_page(raw: str | None) -> PageRequest | None:
    """None when the scraper would fail on this page value."""
    if raw is None:
        return PageRequest(1, 1)
    if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
        return None
    request = PageRequest(int(raw), raw)
    return request if request.offset < MAX_OFFSET else None


def search_page(request: Request, prefix: str) -> PageRequest | Response:
    """The page a search route under `prefix` serves, or upstream's answer instead: 404 when the
    query is not one raw path segment (routing.py), 500 for a page value the scraper fails on."""
    if not is_one_raw_segment(request, prefix):
        return page_not_found()
    page = parse_page(request.query_params.get("page"))
    return scraper_failure() if page is None else page

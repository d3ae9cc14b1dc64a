"""The Consumet manga providers we speak to, with the per-provider quirks from the contract."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import NotFound


@dataclass(frozen=True)
class Provider:
    name: str  # Consumet route name
    title: str
    ids_in_path: bool  # MangaDex takes info/read ids in the path, the others in the query
    default_referer: str | None  # sent when the API hands out no usable Referer
    fallback_referer: str | None = None  # tried once on a 403


PROVIDERS: tuple[Provider, ...] = (
    Provider("mangadex", "MangaDex", True, None),
    Provider("mangahere", "MangaHere", False, "https://mangahere.cc"),
    Provider("mangapill", "MangaPill", False, "https://mangapill.com/"),
    Provider("managreader", "MangaReader", False, "https://mangareader.to/"),
    Provider(
        "mangakakalot",
        "MangaKakalot",
        False,
        "https://www.mangakakalot.gg",
        fallback_referer="https://www.mangakakalot.gg/",
    ),
)

_BY_NAME = {p.name: p for p in PROVIDERS}
_ALIASES = {"mangareader": "managreader"}


def resolve_provider(value: str | int) -> Provider:
    """A provider by name (case-insensitive) or by its index, as the original client sent it."""
    text = str(value).strip()
    if text.isascii() and text.isdigit():  # "²".isdigit() is true, int("²") fails
        index = int(text)
        if 0 <= index < len(PROVIDERS):
            return PROVIDERS[index]
        raise NotFound(f"unknown source index {index}; valid: 0-{len(PROVIDERS) - 1}")
    key = _ALIASES.get(text.lower(), text.lower())
    if key in _BY_NAME:
        return _BY_NAME[key]
    names = ", ".join(p.name for p in PROVIDERS)
    raise NotFound(f"unknown source {text[:50]!r}; valid: {names}")

"""Input rules for ids and titles that reach Consumet, file names and Redis."""

from __future__ import annotations

import re

from .errors import InvalidInput

MAX_ID_LENGTH = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def check_id(value: str, what: str = "chapter id") -> str:
    """1–200 printable characters, no `..` segment, no leading `/`, no backslash."""
    shown = value[:60].encode("unicode_escape").decode()
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{what} must not be empty")
    if len(value) > MAX_ID_LENGTH:
        raise InvalidInput(f"{what} {shown!r}… is longer than {MAX_ID_LENGTH} characters")
    if _CONTROL.search(value):
        raise InvalidInput(f"{what} {shown!r} contains control characters")
    if "\\" in value:
        raise InvalidInput(f"{what} {shown!r} contains a backslash")
    if value.startswith("/"):
        raise InvalidInput(f"{what} {shown!r} starts with '/'")
    if any(part in ("..", ".") for part in value.split("/")):
        raise InvalidInput(f"{what} {shown!r} contains a '..' or '.' path segment")
    if value != value.strip():
        raise InvalidInput(f"{what} {shown!r} has leading or trailing spaces")
    return value


def check_title(value: str | None) -> str | None:
    if value is None:
        return None
    value = _CONTROL.sub("", value).strip()
    if len(value) > 300:
        raise InvalidInput("title is longer than 300 characters")
    return value or None

"""Safe file and entry names from untrusted titles, chapter numbers and ids.

Titles come from an untrusted API and end up as file names on disk, entry names in archives
and `Content-Disposition` headers. Every name passes through `safe_name`: it holds no path
separator, no `..`, no control or invisible characters, no Windows-reserved name, and fits a
byte bound, so it is safe on Linux, macOS and Windows alike.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

# Characters Windows (or a shell) treats specially, and what they become.
_REPLACE = str.maketrans(
    {"/": "-", "\\": "-", "|": "-", ":": "-", "*": "_", "?": "_", "<": "(", ">": ")", '"': "'"}
)
# Categories dropped outright: controls, format characters (bidi overrides and isolates,
# zero-width spaces and joiners, BOM, soft hyphen), surrogates and private use.
_DROP_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co"})
_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "CLOCK$"}
    | {f"COM{i}" for i in range(10)}
    | {f"LPT{i}" for i in range(10)}
)
_NUMBER = re.compile(r"([0-9]{1,12})(?:[.,]([0-9]{1,12}))?")
_CHAPTER_PREFIX = re.compile(r"^(?:chapter|chap|ch)\b\.?\s*(?=[0-9])", re.IGNORECASE)
_LEADING_NUMBER = re.compile(r"([0-9]{1,12})(?![0-9])(.*)", re.DOTALL)


def safe_name(text: str, max_len: int = 120, fallback: str = "untitled") -> str:
    """A file name made from untrusted text: one path component, portable, at most `max_len`
    bytes of UTF-8; `fallback` (bounded the same way) when nothing usable is left."""
    if max_len < 1:
        raise ValueError("max_len must be at least 1")
    return _clean(text, max_len) or _clean(fallback, max_len) or "_"


def chapter_label(number: str | None, fallback_index: int) -> str:
    """`Ch. 012` / `Ch. 003.5`: the integer part padded to 3 digits so names sort in order."""
    text = unicodedata.normalize("NFKC", number or "").strip()
    text = _CHAPTER_PREFIX.sub("", text, count=1)
    match = _NUMBER.fullmatch(text)
    if match:
        label = _pad(match.group(1))
        if match.group(2):
            label += "." + match.group(2)
        return f"Ch. {label}"
    leading = _LEADING_NUMBER.fullmatch(text)
    if leading:  # "12a", "12-13", "12 (part 2)"
        return _clean(f"Ch. {_pad(leading.group(1))}{leading.group(2)}", 60)
    cleaned = _clean(text, 40)
    if cleaned:
        return f"Ch. {cleaned}"
    return f"Ch. {max(fallback_index, 0):03d}"


def page_name(index: int, count: int, ext: str) -> str:
    """Archive name of the page at 0-based `index`: `001.jpg`, padded to max(3, digits of count)."""
    if not 0 <= index < count:
        raise ValueError(f"page index {index} out of range for {count} pages")
    if not re.fullmatch(r"[a-z0-9]{1,5}", ext):
        raise ValueError(f"bad extension {ext!r}")
    width = max(3, len(str(count)))
    return f"{index + 1:0{width}d}.{ext}"


def content_disposition(filename: str) -> str:
    """`Content-Disposition` for a download: a plain ASCII name for old clients and the exact
    UTF-8 name in `filename*` (RFC 6266 / RFC 8187)."""
    name = "".join(c for c in filename if unicodedata.category(c) not in _DROP_CATEGORIES)
    ascii_name = _ascii_fallback(name)
    encoded = quote(name, safe="")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{encoded}"


def _clean(text: str, max_len: int) -> str:
    """The sanitised name, possibly empty."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(
        " " if c.isspace() else c
        for c in text
        if c.isspace() or unicodedata.category(c) not in _DROP_CATEGORIES
    )
    text = re.sub(r"\s*:\s+", " - ", text).translate(_REPLACE)  # "Title: Sub" -> "Title - Sub"
    text = re.sub(r" {2,}", " ", text)
    text = re.sub(r"\.{2,}", "\u2026", text)  # "Wait..." keeps its ellipsis, loses the ".."
    text = _bound(text.lstrip(". ").rstrip(". "), max_len)
    if text.split(".", 1)[0].rstrip(" ").upper() in _RESERVED:
        text = _bound("_" + text, max_len)
    return text


def _bound(text: str, max_len: int) -> str:
    """Cut to `max_len` UTF-8 bytes on a character boundary; no trailing dot or space."""
    raw = text.encode("utf-8")
    if len(raw) > max_len:
        text = raw[:max_len].decode("utf-8", "ignore")
    return text.rstrip(". ")


def _pad(digits: str) -> str:
    return (digits.lstrip("0") or "0").zfill(3)


def _ascii_fallback(name: str) -> str:
    chars = []
    for c in unicodedata.normalize("NFKD", name):
        if not unicodedata.combining(c) and c not in '"\\':  # '"' or '\\' would end the string
            chars.append(c if " " <= c <= "~" else "_")
    text = re.sub(r"_{2,}", "_", "".join(chars)).strip()
    # NFKD spells "…" as "...": no dot runs, and no leading dot (a hidden file when saved).
    text = re.sub(r"\.{2,}", ".", text).lstrip(". ")
    stem, dot, ext = text.rpartition(".")
    if not dot:
        stem, ext = text, ""
    if not stem.strip("_ .-"):
        stem = "download"
    return stem + dot + ext

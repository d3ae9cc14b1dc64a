"""ComicInfo.xml (schema v2.0), the metadata file Komga, Kavita and Mihon read from a CBZ."""

from __future__ import annotations

import re
from collections.abc import Sequence

from manhwa.models import ChapterMeta

COMICINFO = "ComicInfo.xml"
_MANGA_VALUES = {v.casefold(): v for v in ("Unknown", "No", "Yes", "YesAndRightToLeft")}
# Characters XML 1.0 forbids, plus the C1 controls it discourages.
_XML_INVALID = re.compile("[^\t\n\r\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_VOLUME = re.compile(r"\s*(?:vol(?:ume)?\.?\s*)?0*([0-9]{1,9})\s*", re.IGNORECASE)


def comicinfo_xml(meta: ChapterMeta, pages: Sequence[tuple[int, int, int]]) -> bytes:
    """ComicInfo.xml (schema v2.0) for a chapter; `pages` holds (width, height, bytes) per page.

    Elements follow the schema's xs:sequence order; Volume appears only when it is a whole
    number (the schema types it xs:int).
    """
    lines = ['<?xml version="1.0" encoding="utf-8"?>']
    lines.append(
        '<ComicInfo xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
        ' xmlns:xsd="http://www.w3.org/2001/XMLSchema">'
    )
    volume = _VOLUME.fullmatch(meta.volume or "")
    genres = ", ".join(g for g in (_xml_text(g).strip() for g in meta.genres) if g)
    fields: list[tuple[str, str | None]] = [
        ("Title", meta.title),
        ("Series", meta.series),
        ("Number", meta.number),
        ("Volume", volume.group(1) if volume else None),
        ("Summary", meta.summary),
        ("Notes", meta.notes),
        ("Writer", meta.writer),
        ("Genre", genres),
        ("PageCount", str(len(pages))),
        ("LanguageISO", meta.language_iso),
        ("Manga", _MANGA_VALUES.get(meta.manga.strip().casefold(), "Unknown")),
    ]
    for tag, value in fields:
        text = _xml_text(value or "").strip()
        if text or tag == "Number":
            lines.append(f"  <{tag}>{_escape(text)}</{tag}>")
    lines.append("  <Pages>")
    for image, (width, height, size) in enumerate(pages):
        lines.append(
            f'    <Page Image="{image}" ImageWidth="{width}" ImageHeight="{height}"'
            f' ImageSize="{size}" />'
        )
    lines.append("  </Pages>")
    lines.append("</ComicInfo>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _xml_text(value: str) -> str:
    return _XML_INVALID.sub("", value)


def _escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )

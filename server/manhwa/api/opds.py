"""OPDS 1.2 catalog of the library at `/opds`, for KOReader, Panels, Chunky and friends.

`/opds` is a navigation feed of the series (with covers); `/opds/series/{id}` an acquisition
feed of its chapters, each with an `http://opds-spec.org/acquisition` link to the CBZ. Everything
comes from the library index; files are served only from inside `LIBRARY_DIR`.
"""

from __future__ import annotations

import datetime
from xml.sax.saxutils import escape, quoteattr

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response

from ..errors import NotFound
from ..library.store import LibraryStore
from ..storage import LibraryFolder
from .deps import ServicesDep

router = APIRouter(prefix="/opds", tags=["opds"])
NAV = "application/atom+xml;profile=opds-catalog;kind=navigation"
ACQ = "application/atom+xml;profile=opds-catalog;kind=acquisition"
CBZ = "application/vnd.comicbook+zip"


def _time(ts: float | None = None) -> str:
    moment = datetime.datetime.fromtimestamp(ts or 0, datetime.UTC) if ts else None
    moment = moment or datetime.datetime.now(datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _feed(feed_id: str, title: str, self_href: str, kind: str, entries: list[str]) -> Response:
    body = "\n".join(
        [
            '<?xml version="1.0" encoding="utf-8"?>',
            '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opds="http://opds-spec.org/2010/catalog">',
            f"  <id>{escape(feed_id)}</id>",
            f"  <title>{escape(title)}</title>",
            f"  <updated>{_time()}</updated>",
            "  <author><name>Manhwa Downloader</name></author>",
            f'  <link rel="self" href={quoteattr(self_href)} type="{kind}"/>',
            f'  <link rel="start" href="/opds" type="{NAV}"/>',
            *entries,
            "</feed>",
        ]
    )
    return Response(body, media_type=kind)


@router.get("", response_class=Response)
async def root(services: ServicesDep) -> Response:
    lib = LibraryStore(services.redis)
    entries = []
    for record in await lib.all_series():
        held = await lib.entries(record.id)
        href = f"/opds/series/{record.id}"
        cover = ""
        if record.cover:
            url = quoteattr(f"/opds/series/{record.id}/cover.jpg")
            cover = (
                f'\n    <link rel="http://opds-spec.org/image" href={url} type="image/jpeg"/>'
                f'\n    <link rel="http://opds-spec.org/image/thumbnail" href={url}'
                ' type="image/jpeg"/>'
            )
        updated = max((e.added_at for e in held), default=0.0)
        entries.append(
            f"  <entry>\n    <title>{escape(record.title)}</title>\n"
            f"    <id>urn:manhwa:series:{record.id}</id>\n    <updated>{_time(updated)}</updated>\n"
            f'    <content type="text">{len(held)} chapter(s)</content>\n'
            f'    <link rel="subsection" href={quoteattr(href)} type="{ACQ}"/>{cover}\n  </entry>'
        )
    return _feed("urn:manhwa:library", "Manhwa library", "/opds", NAV, entries)


@router.get("/series/{fid}", response_class=Response)
async def series(fid: str, services: ServicesDep) -> Response:
    lib = LibraryStore(services.redis)
    record = await lib.get_series(fid) if fid.isalnum() else None
    if record is None:
        raise NotFound("no such series in the library")
    entries = []
    for entry in await lib.entries(fid):
        href = quoteattr(f"/opds/series/{fid}/chapters/{entry.chapter_id}")
        name = entry.file.rsplit("/", 1)[-1].removesuffix(".cbz")
        cover = ""
        if record.cover:
            url = quoteattr(f"/opds/series/{fid}/cover.jpg")
            cover = (
                f'\n    <link rel="http://opds-spec.org/image/thumbnail" href={url}'
                ' type="image/jpeg"/>'
            )
        entries.append(
            f"  <entry>\n    <title>{escape(name)}</title>\n"
            f"    <id>urn:manhwa:chapter:{escape(entry.chapter_id)}</id>\n"
            f"    <updated>{_time(entry.added_at)}</updated>\n"
            f'    <content type="text">{escape(entry.title)} ({entry.pages} pages)</content>\n'
            f'    <link rel="http://opds-spec.org/acquisition" href={href} type="{CBZ}"'
            f' length="{entry.size}"/>{cover}\n  </entry>'
        )
    return _feed(f"urn:manhwa:series:{fid}", record.title, f"/opds/series/{fid}", ACQ, entries)


@router.get("/series/{fid}/cover.jpg", response_class=FileResponse)
async def cover(fid: str, services: ServicesDep) -> FileResponse:
    record = await LibraryStore(services.redis).get_series(fid) if fid.isalnum() else None
    path = None
    if record is not None and record.cover:
        folder = LibraryFolder.from_settings(services.settings)
        path = folder.series_dir(record.folder) / "cover.jpg"
    if path is None or not path.is_file():
        raise NotFound("no cover")
    return FileResponse(path, media_type="image/jpeg")


@router.get("/series/{fid}/chapters/{chapter_id:path}", response_class=FileResponse)
async def chapter(fid: str, chapter_id: str, services: ServicesDep) -> FileResponse:
    entry = await LibraryStore(services.redis).entry(fid, chapter_id) if fid.isalnum() else None
    if entry is None:
        raise NotFound("no such chapter in the library")
    try:
        path = LibraryFolder.from_settings(services.settings).file(entry.file)
    except ValueError as exc:
        raise NotFound("no such chapter in the library") from exc
    if not path.is_file():
        raise NotFound("the chapter's file is missing; run `manhwa library scan`")
    return FileResponse(path, media_type=CBZ, filename=path.name)

"""A chapter's CBZ, written as its pages arrive, and the ZIP rules every archive follows.

Archives are what Komga, Kavita and Mihon read, so their shape follows those readers: one CBZ
per chapter, images at the root named `001.jpg`…, `ComicInfo.xml` (schema v2.0, `comicinfo.py`)
at the root. Images are stored, never re-compressed. Every ZIP is a `StagedZip`, written by a
`storedzip.StoredZipWriter` through `storage.create_temp` and `storage.publish`, so a reader
never sees half a file; the job's download (`archive.py`) is built on the same pieces.

Entries get a fixed timestamp (1980-01-01) so the same chapter always yields the same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path
from typing import Self

from manhwa.comicinfo import COMICINFO, comicinfo_xml
from manhwa.models import ChapterMeta, PageImage
from manhwa.names import page_name
from manhwa.storage import create_temp, publish
from manhwa.storedzip import StoredZipWriter


class IncompleteChapter(Exception):
    """`finish()` was called before every page was added: a chapter is never written short."""


class StagedZip:
    """A ZIP written to a temporary file beside its destination and renamed into place only
    when complete, so a reader never sees a half-written archive."""

    def __init__(self, dest: Path) -> None:
        self._done = False
        self._file, self.temp_path = create_temp(dest)
        try:
            self._zip = StoredZipWriter(self._file)
        except BaseException:
            self._file.close()
            self.temp_path.unlink(missing_ok=True)
            raise

    def _check_open(self) -> None:
        if self._done:
            raise RuntimeError(f"{type(self).__name__} is closed")

    def _publish(self, dest: Path) -> None:
        try:
            self._zip.close()
            publish(self._file, self.temp_path, dest)
        except BaseException:
            self.abort()
            raise
        self._done = True

    def abort(self) -> None:
        """Close and delete the temporary file; safe to call more than once."""
        if self._done:
            return
        self._done = True
        with suppress(OSError):
            self._file.close()
        self.temp_path.unlink(missing_ok=True)


class ChapterWriter(StagedZip):
    """Writes one chapter's CBZ as its pages arrive, in page order, then publishes it atomically.

    Use as a context manager: leaving the block without `finish()` (an exception, a cancelled
    job) deletes the temporary file.
    """

    def __init__(
        self, final_path: Path, meta: ChapterMeta, page_count: int, *, split: bool = False
    ) -> None:
        if page_count < 1:
            raise ValueError("a chapter has at least one page")
        self.final_path = final_path
        self.meta = meta
        self.page_count = page_count
        self._pages: list[tuple[int, int, int]] = []
        self.crc: int | None = None  # the finished CBZ's CRC-32: the job's ZIP stores it as is
        self._sources = 0  # source pages added; differs from len(_pages) when pages are split
        # Split pages make more entries than source pages, a number known only at the end, so
        # their names get room for ~100 pieces per page up front and still sort in order.
        self._name_width = max(4, len(str(page_count)) + 2) if split else None
        super().__init__(final_path)

    @property
    def pages_written(self) -> int:
        return len(self._pages)

    def add_pieces(self, index: int, pieces: Sequence[PageImage]) -> None:
        """Store source page `index` as one or more entries (a split page), numbered on from
        the entries before it; pages must come in order, from index 0."""
        self._check_open()
        if index != self._sources:
            raise ValueError(f"page {index} added out of order, expected page {self._sources}")
        if not pieces:
            raise ValueError("a page has at least one piece")
        for piece in pieces:
            number = len(self._pages) + 1
            if self._name_width is None:
                name = page_name(index, self.page_count, piece.ext)
            else:
                name = f"{number:0{self._name_width}d}.{_checked_ext(piece.ext)}"
            self._zip.add(name, piece.data)
            self._pages.append((piece.width, piece.height, len(piece.data)))
        self._sources += 1

    def add(self, page: PageImage) -> None:
        """Store the next page; pages must come in order, from index 0."""
        self.add_pieces(page.index, (page,))

    def finish(self) -> Path:
        """Write ComicInfo.xml, make the file durable and move it to `final_path`."""
        self._check_open()
        if self._sources != self.page_count:
            self.abort()
            raise IncompleteChapter(
                f"chapter has {self._sources} of {self.page_count} pages; not written"
            )
        try:
            self._zip.add(COMICINFO, comicinfo_xml(self.meta, self._pages))
        except BaseException:
            self.abort()
            raise
        self._publish(self.final_path)
        self.crc = self._zip.crc
        return self.final_path

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.abort()  # no-op once finished


def _checked_ext(ext: str) -> str:
    if not re.fullmatch(r"[a-z0-9]{1,5}", ext):
        raise ValueError(f"bad extension {ext!r}")
    return ext

"""Chapter archives: the streaming CBZ writer, the job's final archive, and their names.

Archives are what Komga, Kavita and Mihon read, so their shape follows those readers: one CBZ
per chapter, images at the root named `001.jpg`…, `ComicInfo.xml` (schema v2.0, `comicinfo.py`)
at the root. Images are stored, never re-compressed (ZIP_STORED). Every file is written through
`storage.create_temp` and `storage.publish`, so a reader never sees half a file.

Entries get a fixed timestamp (1980-01-01) so the same chapter always yields the same bytes.
"""

from __future__ import annotations

import os
import re
import shutil
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import suppress
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import BinaryIO, Self, cast

from manhwa.comicinfo import COMICINFO, comicinfo_xml
from manhwa.images import identify_image
from manhwa.models import FORMATS, LAYOUTS, ChapterMeta, Format, Layout, PageImage
from manhwa.names import chapter_label, page_name, safe_name
from manhwa.pdf import to_pdf
from manhwa.storage import create_temp, publish

_COPY_BUFFER = 1 << 20  # bytes held while streaming an entry or file
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


class IncompleteChapter(Exception):
    """`finish()` was called before every page was added: a chapter is never written short."""


class _StagedZip:
    """A ZIP written to a temporary file beside its destination and renamed into place only
    when complete, so a reader never sees a half-written archive."""

    def __init__(self, dest: Path) -> None:
        self._done = False
        self._file, self.temp_path = create_temp(dest)
        try:
            self._zip = zipfile.ZipFile(self._file, "w", zipfile.ZIP_STORED, allowZip64=True)
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
        with suppress(OSError, ValueError):
            self._zip.close()
        self._file.close()
        self.temp_path.unlink(missing_ok=True)


class ChapterWriter(_StagedZip):
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
            self._zip.writestr(_entry(name, len(piece.data)), piece.data)
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
            info = comicinfo_xml(self.meta, self._pages)
            self._zip.writestr(_entry(COMICINFO, len(info)), info)
        except BaseException:
            self.abort()
            raise
        self._publish(self.final_path)
        return self.final_path

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.abort()  # no-op once finished


def archive_ext(fmt: Format, layout: Layout, chapters: int) -> str:
    """A job's download is one chapter's own CBZ or PDF, or else a ZIP."""
    if chapters == 1 and layout != "per-chapter" and fmt in ("cbz", "pdf"):
        return fmt
    return "zip"


def download_name(
    done: Sequence[tuple[int, ChapterMeta]], ext: str, requested: int | None = None
) -> str:
    """`Series - Ch. 002-004.zip` from the finished chapters (position, meta) in reading order;
    the name the browser saves, not the name on disk. With failed chapters it names only what
    the file holds (`Ch. 002-003, 005`): a name must not claim a range with a hole in it."""
    series = safe_name(done[0][1].series, max_len=100)
    runs: list[list[tuple[int, ChapterMeta]]] = []
    for position, meta in done:
        if runs and runs[-1][-1][0] == position - 1:
            runs[-1].append((position, meta))
        else:
            runs.append([(position, meta)])

    def label(entry: tuple[int, ChapterMeta]) -> str:
        return chapter_label(entry[1].number, entry[0] + 1).removeprefix("Ch. ")

    def span(run: list[tuple[int, ChapterMeta]]) -> str:
        return label(run[0]) if len(run) == 1 else f"{label(run[0])}-{label(run[-1])}"

    if len(runs) > 3:  # past three runs, a count
        of = f" of {requested}" if requested else ""
        return f"{series} - Ch. {label(done[0])}-{label(done[-1])} partial, {len(done)}{of}.{ext}"
    return f"{series} - Ch. {', '.join(span(run) for run in runs)}.{ext}"


def chapter_stem(meta: ChapterMeta) -> str:
    """`Series - Ch. 012`: a chapter's entry name in a job's ZIP; safe on every file system,
    and sorts in chapter order."""
    return f"{safe_name(meta.series)} - {chapter_label(meta.number or None, 0)}"


def assemble(
    chapters: Sequence[tuple[ChapterMeta, Path]],
    fmt: Format,
    dest: Path,
    layout: Layout = "auto",
) -> Path:
    """Build the job's download from finished chapter CBZs, streaming, and publish it at `dest`.

    cbz: one chapter is a copy of its CBZ, several a ZIP of CBZs; zip: a ZIP with one folder of
    plain images per chapter; pdf: one PDF per chapter, several zipped. `layout="per-chapter"`
    wraps even a single chapter (cbz or pdf) in a ZIP.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}")
    if not chapters:
        raise ValueError("nothing to assemble")
    single = len(chapters) == 1 and layout == "auto"
    out, temp = create_temp(dest)
    try:
        if fmt == "cbz" and single:
            with chapters[0][1].open("rb") as src:
                shutil.copyfileobj(src, out, _COPY_BUFFER)
        elif fmt == "pdf" and single:
            to_pdf(_chapter_pages(chapters[0][1]), out)
        else:
            with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
                _fill_zip(zf, chapters, fmt)
        publish(out, temp, dest)
    except BaseException:
        out.close()
        temp.unlink(missing_ok=True)
        raise
    return dest


def _fill_zip(
    zf: zipfile.ZipFile, chapters: Sequence[tuple[ChapterMeta, Path]], fmt: Format
) -> None:
    names = _UniqueNames()
    for meta, path in chapters:
        _add_chapter(zf, names, meta, path, fmt)


def _add_chapter(
    zf: zipfile.ZipFile, names: _UniqueNames, meta: ChapterMeta, path: Path, fmt: Format
) -> None:
    if fmt == "cbz":
        info = _entry(names.claim(chapter_stem(meta), ".cbz"), path.stat().st_size)
        with path.open("rb") as src, zf.open(info, "w") as dst:
            shutil.copyfileobj(src, dst, _COPY_BUFFER)
    elif fmt == "pdf":
        info = _entry(names.claim(chapter_stem(meta), ".pdf"), 0)
        with zf.open(info, "w", force_zip64=True) as dst:
            to_pdf(_chapter_pages(path), cast(BinaryIO, dst))
    else:
        folder = names.claim(chapter_stem(meta), "")
        in_folder = _UniqueNames()
        with zipfile.ZipFile(path) as chapter:
            for item in _image_entries(chapter):
                stem, dot, ext = safe_name(PurePosixPath(item.filename).name).rpartition(".")
                name = in_folder.claim(stem, dot + ext) if dot else in_folder.claim(ext, "")
                info = _entry(f"{folder}/{name}", item.file_size)
                with chapter.open(item) as src, zf.open(info, "w") as dst:
                    shutil.copyfileobj(src, dst, _COPY_BUFFER)


class ArchiveBuilder(_StagedZip):
    """The job's ZIP of several chapters (what `assemble` makes), built while the job runs.

    The pipeline adds each chapter as soon as it and every chapter before it have ended, so the
    copying, and the writing back to disk, overlap the downloads instead of following them.
    `finish()` publishes the ZIP at `dest`; `abort()` deletes it.
    """

    def __init__(self, dest: Path, fmt: Format) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}")
        self.dest = dest
        self.fmt = fmt
        self.chapters = 0
        self._names = _UniqueNames()
        super().__init__(dest)

    def add(self, meta: ChapterMeta, path: Path) -> None:
        """Append the next finished chapter and push it to disk, so `finish` has little to sync."""
        self._check_open()
        _add_chapter(self._zip, self._names, meta, path, self.fmt)
        self.chapters += 1
        self._file.flush()
        os.fdatasync(self._file.fileno())

    def finish(self) -> Path:
        self._check_open()
        if not self.chapters:
            self.abort()
            raise ValueError("nothing to assemble")
        self._publish(self.dest)
        return self.dest


def _chapter_pages(path: Path) -> Iterator[PageImage]:
    """The chapter's images in order, one in memory at a time."""
    with zipfile.ZipFile(path) as chapter:
        for index, item in enumerate(_image_entries(chapter)):
            yield identify_image(chapter.read(item), index)


def _image_entries(chapter: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    return sorted(
        (i for i in chapter.infolist() if not i.is_dir() and i.filename != COMICINFO),
        key=lambda i: i.filename,
    )


class _UniqueNames:
    """Hands out entry names once each, case-insensitively (extraction on Windows/macOS)."""

    def __init__(self) -> None:
        self._seen: set[str] = set()

    def claim(self, stem: str, suffix: str) -> str:
        name, n = stem + suffix, 1
        while name.casefold() in self._seen:
            n += 1
            name = f"{stem} ({n}){suffix}"
        self._seen.add(name.casefold())
        return name


def _checked_ext(ext: str) -> str:
    if not re.fullmatch(r"[a-z0-9]{1,5}", ext):
        raise ValueError(f"bad extension {ext!r}")
    return ext


def _entry(name: str, size: int) -> zipfile.ZipInfo:
    """A stored, reproducible ZIP entry; refuses names that could escape the extraction dir."""
    path = PurePosixPath(name)
    if name.startswith("/") or "\\" in name or ".." in path.parts or not name:
        raise ValueError(f"unsafe archive entry name {name!r}")
    info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
    info.compress_type = zipfile.ZIP_STORED
    info.create_system = 3  # Unix, so the permission bits below mean what they say
    info.external_attr = 0o644 << 16
    info.file_size = size  # lets zipfile pick ZIP64 up front for entries past 4 GiB
    return info

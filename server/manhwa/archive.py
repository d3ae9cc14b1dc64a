"""The job's download: its name, its extension, and building it from finished chapter CBZs.

One chapter is served as its own CBZ (or PDF); several go into one ZIP, of CBZs, of PDFs, or of
plain image folders (`assemble` after the fact, `ArchiveBuilder` while the job runs). A chapter's
CBZ and the ZIP rules both follow are in `cbz.py`.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path, PurePosixPath

from manhwa.cbz import StagedZip
from manhwa.comicinfo import COMICINFO
from manhwa.images import identify_image
from manhwa.models import FORMATS, LAYOUTS, ChapterMeta, Format, Layout, PageImage
from manhwa.names import chapter_label, safe_name
from manhwa.pdf import to_pdf
from manhwa.storage import create_temp, publish
from manhwa.storedzip import StoredZipWriter, copy_range, file_crc32


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
            with chapters[0][1].open("rb", buffering=0) as src:
                out.flush()
                copy_range(src.fileno(), out.fileno(), os.fstat(src.fileno()).st_size)
        elif fmt == "pdf" and single:
            to_pdf(_chapter_pages(chapters[0][1]), out)
        else:
            writer = StoredZipWriter(out)
            names = _UniqueNames()
            for meta, path in chapters:
                _add_chapter(writer, names, meta, path, fmt)
            writer.close()
        publish(out, temp, dest)
    except BaseException:
        out.close()
        temp.unlink(missing_ok=True)
        raise
    return dest


def _add_chapter(
    zf: StoredZipWriter,
    names: _UniqueNames,
    meta: ChapterMeta,
    path: Path,
    fmt: Format,
    crc: int | None = None,
) -> None:
    """One chapter into the job's ZIP: its CBZ as is (`crc`, the CBZ's CRC-32, when the
    chapter was written by this delivery), its PDF, or its images in a folder."""
    if fmt == "cbz":
        size = path.stat().st_size
        name = names.claim(chapter_stem(meta), ".cbz")
        zf.add_file(name, path, size, file_crc32(path) if crc is None else crc)
    elif fmt == "pdf":
        name = names.claim(chapter_stem(meta), ".pdf")
        pdf, pdf_path = create_temp(path.with_suffix(".pdf"))
        try:
            with pdf:
                to_pdf(_chapter_pages(path), pdf)
            zf.add_file(name, pdf_path, pdf_path.stat().st_size, file_crc32(pdf_path))
        finally:
            pdf_path.unlink(missing_ok=True)
    else:
        folder = names.claim(chapter_stem(meta), "")
        in_folder = _UniqueNames()
        with zipfile.ZipFile(path) as chapter:
            for item in _image_entries(chapter):
                stem, dot, ext = safe_name(PurePosixPath(item.filename).name).rpartition(".")
                name = in_folder.claim(stem, dot + ext) if dot else in_folder.claim(ext, "")
                zf.add(f"{folder}/{name}", chapter.read(item), item.CRC)


class ArchiveBuilder(StagedZip):
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

    def add(self, meta: ChapterMeta, path: Path, crc: int | None = None) -> None:
        """Append the next finished chapter (`crc`: its CBZ's CRC-32, when known) and push it to
        disk, so `finish` has little to sync."""
        self._check_open()
        _add_chapter(self._zip, self._names, meta, path, self.fmt, crc)
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

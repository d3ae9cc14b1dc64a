"""The one owner of the folders we write: paths, temp files, publishing, deleting, the sweep.

Every file we write goes to a `.tmp-*` file beside its destination, is fsynced and
`os.replace`d into place (`create_temp` + `publish`), so a reader never sees half a file.

`LibraryFolder` (`LIBRARY_DIR`) is the library Komga, Kavita and OPDS read: `<Series>/<file>.cbz`
and `<Series>/cover.jpg`, kept for good; nothing in cleanup ever receives it.

`DownloadFolder` is the download staging area (`DOWNLOAD_DIR`), laid out by job id:

    {id}.{ext}          a finished job's archive (the display name lives in the job record)
    .tmp-{id}.*         an archive being written (the id tells the sweep whose leftover it is)
    .work/{id}/NNNN.cbz a job's finished chapters, kept across a crash so a re-run resumes

Nothing else spells a path under `DOWNLOAD_DIR`. Files there are short-lived: cleanup deletes
them and sweeps orphans. A library folder (kept for good, never swept) is meant to be a second
`Folder` subclass beside this one, sharing `create_temp`/`publish`; cleanup only ever receives a
`DownloadFolder`, so it cannot touch the library. An object-store backend would replace these
classes behind the same methods.
"""

from __future__ import annotations

import os
import secrets
import shutil
from contextlib import suppress
from pathlib import Path
from typing import BinaryIO

from .config import Settings

TEMP_PREFIX = ".tmp-"
WORK_DIR = ".work"
ORPHAN_AGE_SECONDS = 3600  # a temp file nobody can be found for is dropped after this long


def create_temp(final: Path) -> tuple[BinaryIO, Path]:
    """A new `.tmp-{stem}.*` file next to where the result goes, so `os.replace` stays atomic;
    the stem (a job id, for a job's archive) lets the sweep tell whose leftover it is."""
    while True:
        path = final.parent / f"{TEMP_PREFIX}{final.stem}.{secrets.token_hex(8)}{final.suffix}"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            continue
        return os.fdopen(fd, "wb"), path


def publish(file: BinaryIO, temp: Path, final: Path) -> None:
    """Make the temp file durable, then atomically put it in place (and make that durable)."""
    file.flush()
    os.fsync(file.fileno())
    file.close()
    os.replace(temp, final)
    with suppress(OSError):  # not every file system can fsync a directory
        dir_fd = os.open(final.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


class Folder:
    """A root folder we own; subclasses give it a layout."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def ensure(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)


class DownloadFolder(Folder):
    """The download staging area: job archives, their temp files and work folders."""

    @classmethod
    def from_settings(cls, settings: Settings) -> DownloadFolder:
        return cls(settings.download_dir)

    def archive(self, job_id: str, ext: str) -> Path:
        """Files on disk are named by job id only; the display name travels in the job record."""
        return self.root / f"{job_id}.{ext}"

    def work_dir(self, job_id: str) -> Path:
        return self.root / WORK_DIR / job_id

    def make_work_dir(self, job_id: str) -> None:
        self.work_dir(job_id).mkdir(parents=True, exist_ok=True)

    def chapter(self, job_id: str, position: int) -> Path:
        """Where a job's chapter at `position` (0-based, reading order) is kept once finished."""
        return self.work_dir(job_id) / f"{position:04d}.cbz"

    def clear_temp(self, job_id: str) -> None:
        """Drop a job's half-written archives (a worker killed mid-job leaves one)."""
        for stale in self.root.glob(f"{TEMP_PREFIX}{job_id}.*"):
            stale.unlink(missing_ok=True)

    def remove_work(self, job_id: str) -> None:
        shutil.rmtree(self.work_dir(job_id), ignore_errors=True)

    def remove_all_work(self) -> None:
        shutil.rmtree(self.root / WORK_DIR, ignore_errors=True)

    def remove_outputs(self, job_id: str) -> None:
        """Everything of a job: archive, temp files, work folder (a cancelled or failed job)."""
        self.remove_work(job_id)
        for path in self.root.glob(f"{job_id}.*"):
            path.unlink(missing_ok=True)
        for path in self.root.glob(f"{TEMP_PREFIX}{job_id}*"):
            path.unlink(missing_ok=True)

    def has_archive(self, recorded: str | None) -> bool:
        """Whether the archive a job record names (`file_path`) is really on disk: a manual
        delete, or a changed `DOWNLOAD_DIR`, leaves a SUCCESS record without its file."""
        return bool(recorded) and Path(str(recorded)).is_file()

    def delete_archive(self, recorded: str | None) -> None:
        """Delete a published archive by the path its job record holds (`file_path`)."""
        if recorded:
            Path(recorded).unlink(missing_ok=True)

    def sweep_orphans(self, known: set[str], live: set[str], now: float, settled: float) -> int:
        """Temp files and work folders of jobs that are no longer queued or running (a worker
        killed while writing leaves them), once older than `settled`; any other temp file once
        it is ORPHAN_AGE_SECONDS old. Returns how many were removed."""
        removed = 0
        if not self.root.exists():
            return 0
        for path in self.root.glob(f"{TEMP_PREFIX}*"):
            job_id = path.name.removeprefix(TEMP_PREFIX).split(".", 1)[0]
            try:
                mtime = path.stat().st_mtime
            except FileNotFoundError:
                continue
            ended = job_id in known and job_id not in live
            if mtime < now - ORPHAN_AGE_SECONDS or (ended and mtime < settled):
                path.unlink(missing_ok=True)
                removed += 1
        work = self.root / WORK_DIR
        if work.exists():
            for folder in work.iterdir():
                if folder.name not in live and folder.stat().st_mtime < settled:
                    shutil.rmtree(folder, ignore_errors=True)
                    removed += 1
        return removed


class LibraryFolder(Folder):
    """The library: one folder per series, chapter CBZs and a `cover.jpg` in it. Kept for good:
    files are only ever added or replaced (temp file + rename), never swept."""

    @classmethod
    def from_settings(cls, settings: Settings) -> LibraryFolder:
        return cls(settings.library_dir)

    def series_dir(self, folder: str) -> Path:
        """`folder` is one safe path component (`library.naming` makes it)."""
        if not folder or "/" in folder or "\\" in folder or folder in {".", ".."}:
            raise ValueError(f"unsafe series folder {folder!r}")
        return self.root / folder

    def file(self, relative: str) -> Path:
        """A file the index names (`Series/Series Ch. 001.cbz`), refused if it leaves the root."""
        path = (self.root / relative).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"path outside the library: {relative!r}")
        return path

    def relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def write_bytes(self, dest: Path, data: bytes) -> None:
        """Write a whole small file (a cover) by temp file + rename."""
        dest.parent.mkdir(parents=True, exist_ok=True)
        out, temp = create_temp(dest)
        try:
            out.write(data)
            publish(out, temp, dest)
        except BaseException:
            out.close()
            temp.unlink(missing_ok=True)
            raise

    def copy_in(self, source: Path, dest: Path) -> None:
        """Copy a finished chapter CBZ into the library by temp file + rename."""
        dest.parent.mkdir(parents=True, exist_ok=True)
        out, temp = create_temp(dest)
        try:
            with source.open("rb") as src:
                shutil.copyfileobj(src, out, 1 << 20)
            publish(out, temp, dest)
        except BaseException:
            out.close()
            temp.unlink(missing_ok=True)
            raise

"""The archive writer: the bytes zipfile writes for the same entries, ZIP64 past its limits,
the running CRC a job's ZIP stores for a CBZ, and the kernel copy with its fallback."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import zipfile
import zlib
from pathlib import Path

import pytest

from manhwa.storedzip import StoredZipWriter, check_entry_name, copy_range, file_crc32

ENTRIES = [
    ("001.jpg", os.urandom(70_000)),
    ("002.png", b"\x89PNG" + os.urandom(5000)),
    ("empty.txt", b""),
    ("제1화/003.webp", os.urandom(1234)),  # a non-ASCII name: the UTF-8 flag
    ("ComicInfo.xml", b"<?xml version='1.0'?><ComicInfo/>"),
]


def _zipfile_bytes(entries: list[tuple[str, bytes]]) -> bytes:
    """What the standard library writes for the entries, set up as our archives are."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.create_system = 3
            info.external_attr = 0o644 << 16
            info.file_size = len(data)
            zf.writestr(info, data)
    return out.getvalue()


def _ours(path: Path, entries: list[tuple[str, bytes]], **limits: int) -> StoredZipWriter:
    with path.open("wb") as f:
        writer = StoredZipWriter(f, **limits)
        for name, data in entries:
            writer.add(name, data)
        writer.close()
    return writer


def test_the_bytes_are_those_zipfile_writes(tmp_path: Path) -> None:
    path = tmp_path / "ours.cbz"
    writer = _ours(path, ENTRIES)
    ours = path.read_bytes()
    assert ours == _zipfile_bytes(ENTRIES)
    assert (writer.size, writer.crc) == (len(ours), zlib.crc32(ours))


def test_a_cbz_copied_into_a_zip_by_its_known_crc_matches_zipfile(tmp_path: Path) -> None:
    """The job's ZIP of chapter CBZs: each copied in the kernel, stored with the CRC its own
    writer kept, never read back; zipfile, which reads every byte, writes the same file."""
    cbzs = []
    for n in range(3):
        path = tmp_path / f"{n}.cbz"
        writer = _ours(path, ENTRIES[n:])
        cbzs.append((f"Series - Ch. {n:03d}.cbz", path, writer.crc))
    job = tmp_path / "job.zip"
    with job.open("wb") as f:
        outer = StoredZipWriter(f)
        for name, path, crc in cbzs:
            outer.add_file(name, path, path.stat().st_size, crc)
        outer.close()
    expected = _zipfile_bytes([(name, path.read_bytes()) for name, path, _ in cbzs])
    assert job.read_bytes() == expected
    with zipfile.ZipFile(job) as zf:
        assert zf.testzip() is None
        inner = zipfile.ZipFile(io.BytesIO(zf.read("Series - Ch. 001.cbz")))
        assert inner.read("002.png") == ENTRIES[1][1]


def test_zip64_records_past_the_limits_read_back(tmp_path: Path) -> None:
    """Limits lowered so every ZIP64 field appears: entry sizes and offsets in the central
    directory, the local header's sizes, the ZIP64 end records for the entry count."""
    entries = [(f"{n:03d}.bin", os.urandom(150 + n)) for n in range(5)]
    path = tmp_path / "big.zip"
    writer = _ours(path, entries, zip64_limit=100, count_limit=3)
    data = path.read_bytes()
    assert b"PK\x06\x06" in data and b"PK\x06\x07" in data
    assert (writer.size, writer.crc) == (len(data), zlib.crc32(data))
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
        assert [(i.filename, zf.read(i)) for i in zf.infolist()] == entries
        assert all(i.file_size == len(d) for i, (_, d) in zip(zf.infolist(), entries, strict=True))
    if shutil.which("unzip"):  # a second, independent reader
        test = subprocess.run(["unzip", "-tq", str(path)], capture_output=True, text=True)
        assert test.returncode == 0, test.stdout + test.stderr


@pytest.mark.parametrize("name", ["", "/etc/passwd", "../up.jpg", "a/../../b", "a\\b", "a\x00b"])
def test_unsafe_entry_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="unsafe archive entry name"):
        check_entry_name(name)


def test_copy_range_falls_back_to_reads_where_the_kernel_refuses(tmp_path: Path) -> None:
    """A pipe is no file for copy_file_range (EINVAL): the bytes still arrive, in order."""
    src = tmp_path / "src.bin"
    payload = os.urandom(20_000)
    src.write_bytes(payload + b"tail not copied")
    read_end, write_end = os.pipe()
    try:
        with src.open("rb") as f:
            copy_range(f.fileno(), write_end, len(payload))
        os.close(write_end)
        with os.fdopen(read_end, "rb") as r:
            assert r.read() == payload
    finally:
        for fd in (read_end, write_end):
            try:
                os.close(fd)
            except OSError:
                pass


def test_a_file_shorter_than_its_entry_is_an_error_not_a_short_archive(tmp_path: Path) -> None:
    src = tmp_path / "short.cbz"
    src.write_bytes(b"x" * 100)
    with (tmp_path / "job.zip").open("wb") as f:
        writer = StoredZipWriter(f)
        with pytest.raises(OSError, match="ended 50 bytes early"):
            writer.add_file("a.cbz", src, 150, 0)
    assert file_crc32(src) == zlib.crc32(b"x" * 100)

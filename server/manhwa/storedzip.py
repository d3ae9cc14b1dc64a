"""ZIPs of stored entries written front to back, each entry's size and CRC-32 known up front.

Every archive we write is one (`cbz.py`, `archive.py`). Why not `zipfile`'s writer: on the
plain path it was a third of a worker's CPU per page. It computes each entry's CRC-32 with zlib
(~85 µs per 300 KB page here) and, for a job's ZIP of chapter CBZs, reads every CBZ back
through Python to CRC it a second time. Here CRC-32 comes from zlib-ng (SIMD, ~5 µs per 300 KB),
a header and its page go out in one `writev`, and the writer keeps the CRC of everything it
wrote (`crc`), so a finished CBZ goes into the job's ZIP by `os.copy_file_range`, inside the
kernel, without being read or checksummed again.

The bytes are what `zipfile` writes for the same entries (tests compare them): fixed 1980-01-01
timestamps, Unix mode 0644, UTF-8 flag only for non-ASCII names, ZIP64 fields past the same
limits. Readers see nothing new.
"""

from __future__ import annotations

import errno
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from zlib_ng import zlib_ng

ZIP64_LIMIT = (1 << 31) - 1  # zipfile's: sizes and offsets past it move to ZIP64 fields
ZIP_FILECOUNT_LIMIT = (1 << 16) - 1

_LOCAL = struct.Struct("<4s2B4HL2L2H")
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
_END = struct.Struct("<4s4H2LH")
_END64 = struct.Struct("<4sQ2H2L4Q")
_LOCATOR64 = struct.Struct("<4sLQL")
_DOS_DATE = (1980 - 1980) << 9 | 1 << 5 | 1  # 1980-01-01 00:00: the same chapter, the same bytes
_DOS_TIME = 0
_UTF8_NAME = 0x800
_VERSION = 20
_VERSION64 = 45
_UNIX = 3
_MODE = 0o644 << 16
_CHUNK = 1 << 20
# copy_file_range is refused across file systems on older kernels and by some file systems.
_NO_KERNEL_COPY = {errno.EXDEV, errno.ENOSYS, errno.EOPNOTSUPP, errno.EINVAL, errno.EBADF}


def crc32(data: bytes | memoryview, value: int = 0) -> int:
    """CRC-32 as zlib computes it, an order of magnitude faster."""
    return zlib_ng.crc32(data, value)


def file_crc32(path: Path) -> int:
    """CRC-32 of a whole file (a chapter CBZ finished by an earlier delivery of its job)."""
    value = 0
    with path.open("rb", buffering=0) as src:
        while chunk := src.read(_CHUNK):
            value = zlib_ng.crc32(chunk, value)
    return value


def check_entry_name(name: str) -> bytes:
    """The name as stored, refusing names that could escape the extraction folder."""
    parts = name.split("/")
    if not name or name.startswith("/") or "\\" in name or ".." in parts or "\x00" in name:
        raise ValueError(f"unsafe archive entry name {name!r}")
    return name.encode("utf-8")


@dataclass(frozen=True)
class _Entry:
    name: bytes
    flags: int
    crc: int
    size: int
    offset: int


class StoredZipWriter:
    """Writes a ZIP of stored entries to `file` from its current position; `close()` writes
    the central directory. `crc` and `size` are those of every byte written so far, which is
    what a ZIP holding this file as an entry needs."""

    def __init__(
        self,
        file: BinaryIO,
        *,
        zip64_limit: int = ZIP64_LIMIT,
        count_limit: int = ZIP_FILECOUNT_LIMIT,
    ) -> None:
        file.flush()  # from here on the writer writes to the descriptor itself
        self._fd = file.fileno()
        self._base = os.lseek(self._fd, 0, os.SEEK_CUR)
        self._zip64_limit = zip64_limit
        self._count_limit = count_limit
        self._entries: list[_Entry] = []
        self._closed = False
        self.size = 0
        self.crc = 0

    def add(self, name: str, data: bytes | memoryview, crc: int | None = None) -> None:
        """Append one entry holding `data` (its CRC-32 when the caller already has it)."""
        size = memoryview(data).nbytes
        crc = crc32(data) if crc is None else crc
        header = self._start_entry(name, crc, size)
        self._write([header, data] if size else [header])
        self.crc = zlib_ng.crc32_combine(zlib.crc32(header, self.crc), crc, size)
        self.size += len(header) + size

    def add_file(self, name: str, path: Path, size: int, crc: int) -> None:
        """Append `path`'s first `size` bytes, whose CRC-32 is `crc`, copied by the kernel."""
        header = self._start_entry(name, crc, size)
        self._write([header])
        self.crc = zlib.crc32(header, self.crc)
        self.size += len(header)
        with path.open("rb", buffering=0) as src:
            copy_range(src.fileno(), self._fd, size)
        self.crc = zlib_ng.crc32_combine(self.crc, crc, size)
        self.size += size

    def close(self) -> None:
        """Write the central directory and the end records (ZIP64 ones when needed)."""
        if self._closed:
            return
        self._closed = True
        limit = self._zip64_limit
        start = self._base + self.size
        records: list[bytes] = []
        for entry in self._entries:
            extra: list[int] = []
            size = entry.size
            if size > limit:
                extra += [size, size]
                size = 0xFFFFFFFF
            offset = entry.offset
            if offset > limit:
                extra.append(offset)
                offset = 0xFFFFFFFF
            extra_data = b""
            if extra:
                extra_data = struct.pack(f"<HH{len(extra)}Q", 1, 8 * len(extra), *extra)
            version = _VERSION64 if extra else _VERSION
            records.append(
                _CENTRAL.pack(
                    b"PK\x01\x02",
                    version,
                    _UNIX,
                    version,
                    0,
                    entry.flags,
                    0,
                    _DOS_TIME,
                    _DOS_DATE,
                    entry.crc,
                    size,
                    size,
                    len(entry.name),
                    len(extra_data),
                    0,
                    0,
                    0,
                    _MODE,
                    offset,
                )
            )
            records += [entry.name, extra_data]
        directory = b"".join(records)
        count, dir_size = len(self._entries), len(directory)
        end: list[bytes] = []
        if count > self._count_limit or start > limit or dir_size > limit:
            end_at = start + dir_size
            end.append(_END64.pack(b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, dir_size, start))
            end.append(_LOCATOR64.pack(b"PK\x06\x07", 0, end_at, 1))
            count, dir_size, start = (
                min(count, 0xFFFF),
                min(dir_size, 0xFFFFFFFF),
                min(start, 0xFFFFFFFF),
            )
        end.append(_END.pack(b"PK\x05\x06", 0, 0, count, count, dir_size, start, 0))
        tail = directory + b"".join(end)
        self._write([tail])
        self.crc = zlib.crc32(tail, self.crc)
        self.size += len(tail)

    def _start_entry(self, name: str, crc: int, size: int) -> bytes:
        if self._closed:
            raise ValueError("the ZIP is closed")
        encoded = check_entry_name(name)
        flags = 0 if encoded.isascii() else _UTF8_NAME
        self._entries.append(_Entry(encoded, flags, crc, size, self._base + self.size))
        # zipfile's rule for an entry of known size: ZIP64 fields a little before the limit.
        if size * 1.05 > self._zip64_limit:
            extra = struct.pack("<HHQQ", 1, 16, size, size)
            return (
                _LOCAL.pack(
                    b"PK\x03\x04",
                    _VERSION64,
                    0,
                    flags,
                    0,
                    _DOS_TIME,
                    _DOS_DATE,
                    crc,
                    0xFFFFFFFF,
                    0xFFFFFFFF,
                    len(encoded),
                    len(extra),
                )
                + encoded
                + extra
            )
        return (
            _LOCAL.pack(
                b"PK\x03\x04",
                _VERSION,
                0,
                flags,
                0,
                _DOS_TIME,
                _DOS_DATE,
                crc,
                size,
                size,
                len(encoded),
                0,
            )
            + encoded
        )

    def _write(self, buffers: list[bytes | memoryview]) -> None:
        views = [memoryview(b).cast("B") for b in buffers]
        while views:
            written = os.writev(self._fd, views)
            while views and written >= views[0].nbytes:
                written -= views[0].nbytes
                views.pop(0)
            if views and written:
                views[0] = views[0][written:]


def copy_range(src: int, dst: int, size: int) -> None:
    """`size` bytes from the start of file `src` to `dst`'s position, in the kernel when it can
    (no trip through Python's buffers)."""
    done = 0
    try:
        while done < size:
            n = os.copy_file_range(src, dst, size - done, done)
            if n == 0:
                raise OSError(errno.EIO, f"file ended {size - done} bytes early")
            done += n
        return
    except OSError as exc:
        if exc.errno not in _NO_KERNEL_COPY or done:
            raise
    while done < size:
        chunk = os.pread(src, min(_CHUNK, size - done), done)
        if not chunk:
            raise OSError(errno.EIO, f"file ended {size - done} bytes early")
        view = memoryview(chunk)
        while view:
            view = view[os.write(dst, view) :]
        done += len(chunk)

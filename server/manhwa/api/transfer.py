"""Sending an archive: one `Range`, the open-file guarantee, counting the transfer in flight,
and telling the domain when a transfer completed (cleanup then schedules the delete).

Hand-written rather than Starlette's `FileResponse` (which does ranges): the file is opened
before the response starts and sized from the open handle, so a cleanup that unlinks it from
then on cannot cut the transfer, and the count in Redis must be taken back however the
response ends (see `_FileTransfer`), which `FileResponse` gives no hook for.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiofiles
from fastapi import Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.types import Receive, Scope, Send

from ..download_jobs import DownloadJobs
from ..jobs import JobStatus
from ..names import content_disposition

CHUNK = 256 * 1024
MEDIA_TYPES = {"cbz": "application/vnd.comicbook+zip", "pdf": "application/pdf"}


class RangeNotSatisfiable(Exception):
    def __init__(self, size: int) -> None:
        self.size = size


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """One `bytes=a-b` range (the form browsers send to resume); None for the whole file."""
    if not header:
        return None
    match = re.fullmatch(r"bytes=(\d*)-(\d*)", header.strip())
    if not match or (not match.group(1) and not match.group(2)):
        return None
    start_s, end_s = match.groups()
    if start_s:
        start = int(start_s)
        end = min(int(end_s), size - 1) if end_s else size - 1
    else:
        start, end = max(0, size - int(end_s)), size - 1
    if start > end or start >= size:
        raise RangeNotSatisfiable(size)
    return start, end


async def send_archive(
    jobs: DownloadJobs, job: JobStatus, path: Path, request: Request
) -> Response:
    """The archive (or the asked-for range of it) as a counted, streamed response."""
    task_id = job.task_id
    # Opened before the response starts, and sized from the open file: a cleanup that unlinks
    # the path from now on cannot cut this transfer (POSIX keeps the open file's data).
    try:
        handle = await aiofiles.open(path, "rb")
        size = os.fstat(handle.fileno()).st_size
    except OSError:
        raise await jobs.file_missing(task_id) from None
    try:
        byte_range = parse_range(request.headers.get("range"), size)
        await jobs.store.serving_begin(task_id)
    except RangeNotSatisfiable:
        await handle.close()
        return JSONResponse(
            {"detail": "requested range not satisfiable"},
            status_code=416,
            headers={"Content-Range": f"bytes */{size}"},
        )
    except BaseException:
        await handle.close()
        raise
    start, end = byte_range or (0, size - 1)
    headers = {
        "Content-Disposition": content_disposition(job.file_name or path.name),
        "Content-Length": str(end - start + 1),
        "Accept-Ranges": "bytes",
        "Cache-Control": "private, no-store",
    }
    if byte_range:
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    return _FileTransfer(
        jobs,
        task_id,
        handle,
        start,
        end,
        reaches_end=end == size - 1,
        status_code=206 if byte_range else 200,
        media_type=MEDIA_TYPES.get(path.suffix.lstrip("."), "application/zip"),
        headers=headers,
    )


class _FileTransfer(StreamingResponse):
    """Streams a range of an open file, counted in Redis as a transfer in flight.

    However the transfer ends (complete, the client gone, the server stopping) the file is
    closed and the count taken back: cleanup waits while it is above zero. That bookkeeping sits
    here rather than in the body generator, whose `finally` never runs when the client leaves
    before the first chunk and is cancelled half-way when it leaves right after the last.
    """

    def __init__(
        self,
        jobs: DownloadJobs,
        task_id: str,
        handle: Any,
        start: int,
        end: int,
        *,
        reaches_end: bool,
        **kwargs: Any,
    ) -> None:
        self._jobs, self._task_id, self._handle = jobs, task_id, handle
        self._start, self._length, self._reaches_end = start, end - start + 1, reaches_end
        self._sent = 0
        super().__init__(self._chunks(), **kwargs)

    async def _chunks(self) -> AsyncIterator[bytes]:
        await self._handle.seek(self._start)
        left = self._length
        while left > 0:
            chunk = await self._handle.read(min(CHUNK, left))
            if not chunk:
                return
            left -= len(chunk)
            yield chunk
            self._sent += len(chunk)  # resumed only once the chunk went out

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            # A task of its own, shielded: a cancelled request still ends its transfer.
            ending = asyncio.ensure_future(self._end())
            _ENDING.add(ending)
            ending.add_done_callback(_ENDING.discard)
            await asyncio.shield(ending)

    async def _end(self) -> None:
        try:
            await self._handle.close()
        finally:
            await self._jobs.store.serving_end(self._task_id)
        if self._sent == self._length and self._reaches_end:
            await self._jobs.served(self._task_id)


_ENDING: set[asyncio.Future[None]] = set()  # keeps shielded endings referenced until done

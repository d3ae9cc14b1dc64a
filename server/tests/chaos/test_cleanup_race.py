"""Cleanup racing a download of the same file: the transfer completes intact.

The file's time is up (FILE_TTL_SECONDS=2, the sweep runs every second) while a client is in the
middle of reading it slowly. The file endpoint opened the file before streaming and counts the
transfer in Redis; cleanup defers while one is open, and deletes the file once it ends.
"""

from __future__ import annotations

import hashlib
import socket
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import redis

from ..integration.helpers import status, wait_final, wait_until
from ..stack import DemoSource, Stack
from .report import record

pytestmark = pytest.mark.chaos

SERIES = "bench_2x8_300"  # 2 chapters of 8 pages of ~300 KB: a ~5 MB archive


def _open_slow_download(stack: Stack, task_id: str) -> tuple[socket.socket, int, bytes]:
    """GET the file with a tiny receive window, so the server is really still sending."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", stack.api_port))
    sock.sendall(
        f"GET /api/download/file/{task_id} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Connection: close\r\n\r\n".encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        assert chunk, head
        head += chunk
    header, _, body = head.partition(b"\r\n\r\n")
    assert header.startswith(b"HTTP/1.1 200"), header
    length = next(
        int(line.split(b":", 1)[1])
        for line in header.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    return sock, length, body


def test_cleanup_waits_for_a_download_in_flight(
    make_stack: Callable[..., Stack], source: DemoSource
) -> None:
    stack = make_stack(FILE_TTL_SECONDS="2", CLEANUP_GRACE_SECONDS="1")
    answer = httpx.post(
        f"{stack.url}/api/download",
        json={
            "source": "mangahere",
            "series_id": SERIES,
            "ids": [f"{SERIES}/c001", f"{SERIES}/c002"],
            "title": "race",
        },
    )
    task_id = answer.json()["task_id"]
    done = wait_final(stack, task_id)
    assert done["state"] == "SUCCESS", done
    store = redis.Redis.from_url(stack.redis_url, decode_responses=True)
    path = Path(store.hget(f"manhwa:job:{task_id}", "file_path") or "")
    on_disk = hashlib.sha256(path.read_bytes()).hexdigest()

    sock, length, received = _open_slow_download(stack, task_id)
    try:
        assert length == path.stat().st_size > 4 * 1024 * 1024
        # Read a little, then stall well past the expiry while the sweep keeps trying.
        while len(received) < 256 * 1024:
            received += sock.recv(65536)
        stalled_until = time.monotonic() + max(0.0, done["expires_at"] - time.time()) + 4
        while time.monotonic() < stalled_until:
            assert int(store.get(f"manhwa:serving:{task_id}") or 0) == 1, "transfer not counted"
            time.sleep(0.5)
        assert status(stack, task_id)["state"] == "SUCCESS", "cleanup must defer"
        assert path.exists(), "the file is not deleted under an open transfer"
        deferred = httpx.delete(f"{stack.url}/api/download/{task_id}")
        assert deferred.status_code == 409 and "being downloaded" in deferred.json()["detail"]
        while len(received) < length:
            chunk = sock.recv(1 << 20)
            assert chunk, f"transfer cut at {len(received)} of {length} bytes"
            received += chunk
    finally:
        sock.close()
    assert hashlib.sha256(received).hexdigest() == on_disk, "the transfer completed intact"

    # Once the transfer ends, the deferred cleanup happens.
    wait_until(stack, task_id, {"EXPIRED"}, timeout=30)
    deadline = time.monotonic() + 10
    while path.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not path.exists()
    assert not store.exists(f"manhwa:serving:{task_id}")
    assert httpx.get(f"{stack.url}/api/download/file/{task_id}").status_code == 410
    store.close()
    record(
        f"cleanup race: {length} bytes served intact over a stall past expiry; "
        "cleanup deferred, then deleted the file"
    )

"""File transfers are counted in Redis while open (cleanup waits on the count): however a
transfer ends, the count comes back to zero."""

from __future__ import annotations

import socket
import struct
import time

import httpx
import pytest
import redis

from ..stack import Stack
from .helpers import chapters_with_pages, download, request, status, wait_final

pytestmark = pytest.mark.integration


def _finished_job(stack: Stack, title: str) -> str:
    chapter = chapters_with_pages(stack)[2]
    job = request(stack, [chapter["id"]], title=f"{title} {time.time()}")
    assert wait_final(stack, job["task_id"])["state"] == "SUCCESS"
    return str(job["task_id"])


def _wait_no_transfer(stack: Stack, task_id: str, timeout: float = 5) -> None:
    store = redis.Redis.from_url(stack.redis_url, decode_responses=True)
    try:
        deadline = time.monotonic() + timeout
        while int(store.get(f"manhwa:serving:{task_id}") or 0) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert int(store.get(f"manhwa:serving:{task_id}") or 0) == 0, "a transfer stayed counted"
    finally:
        store.close()


def _leave(stack: Stack, task_id: str, read: int) -> None:
    """Ask for the file, read `read` bytes, then reset the connection."""
    sock = socket.create_connection(("127.0.0.1", stack.api_port))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.sendall(f"GET /api/download/file/{task_id} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    got = b""
    while len(got) < read:
        chunk = sock.recv(read - len(got))
        if not chunk:
            break
        got += chunk
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


@pytest.mark.parametrize("read", [0, 20, 8192])
def test_a_client_leaving_early_ends_its_transfer(stack: Stack, read: int) -> None:
    task_id = _finished_job(stack, f"leaves after {read}")
    for _ in range(5):
        _leave(stack, task_id, read)
    _wait_no_transfer(stack, task_id)
    assert status(stack, task_id)["state"] == "SUCCESS"
    # Nothing in flight any more: a delete is not refused as "being downloaded".
    assert httpx.delete(f"{stack.url}/api/download/{task_id}").status_code == 200


def test_complete_transfers_end_and_start_the_grace(stack: Stack) -> None:
    task_id = _finished_job(stack, "complete")
    before = status(stack, task_id)
    for _ in range(5):
        response, data = download(stack, task_id)
        assert response.status_code == 200 and len(data) == before["size"]
    _wait_no_transfer(stack, task_id)
    assert status(stack, task_id)["expires_at"] < before["expires_at"]

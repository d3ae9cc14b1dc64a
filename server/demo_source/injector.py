"""ASGI middleware that applies the fault configuration on the wire.

Pure ASGI rather than a FastAPI dependency because several faults are about the transport itself:
a body cut short, bytes dribbled out, a response that never starts. Everything that waits also
watches for the client going away, so abandoned requests do not linger.

Just over 300 lines: each fault's wire behaviour is one small sender here, beside the dispatch
that picks it, and they share the capture and disconnect handling.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import struct
import zlib
from functools import lru_cache
from urllib.parse import unquote

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from demo_source.errors import JSON_MEDIA_TYPE, SCRAPER_FAILURE
from demo_source.faults import FaultRule, FaultState

HANG_SECONDS = 3600.0
OVERSIZE_BYTES = 2 * 1024**3  # what `oversize` declares: a 2 GiB body
ENDLESS_CAP = 4 * 1024**3  # even an endless body stops here, should a client never leave
_ENDLESS_CHUNK = 64 * 1024
BOMB_SIDE = 30000
_SLOW_CHUNK = 16
_SLOW_INTERVAL = 0.1
_NOT_IMAGE = (
    b"<!DOCTYPE html><html><head><title>Just a moment...</title></head>"
    b"<body><p>Dear user, this page is not available.</p></body></html>"
)
Headers = list[tuple[bytes, bytes]]


class FaultInjector:
    """Wraps the app; requests to `/_control/*` (except the redirect helper) pass untouched."""

    def __init__(self, app: ASGIApp, faults: FaultState) -> None:
        self.app = app
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or (
            path.startswith("/_control/") and path != "/_control/redirect"
        ):
            await self.app(scope, receive, send)
            return
        config = self.faults.config
        is_image = path.startswith("/img/")
        delay_ms = config.latency_ms if is_image else config.api_latency_ms
        if is_image and self.faults.roll_spike():
            delay_ms += config.spike_ms
        if delay_ms:
            await asyncio.sleep(delay_ms / 1000)
        rule = self.faults.take_rule(_target(scope), is_read=_is_read(path))
        if rule is not None:
            await self._apply_rule(rule, scope, receive, send)
            return
        outcome = self.faults.roll_image() if is_image else None
        if outcome == "error":
            await _send_error(send, 500, is_api=False)
        elif outcome == "too_many":
            await _send_error(send, 429, is_api=False, retry_after=config.retry_after)
        elif outcome == "timeout":
            await _hang(receive, send)
        elif outcome == "truncate":
            await _send_truncated(*await _capture(self.app, scope, receive), send)
        elif is_image and config.bandwidth_kbps:
            bytes_per_second = config.bandwidth_kbps * 1000 / 8
            chunk = max(256, int(bytes_per_second / 20))
            status, headers, body = await _capture(self.app, scope, receive)
            await _send_paced(receive, send, status, headers, body, chunk, chunk / bytes_per_second)
        else:
            await self.app(scope, receive, send)

    async def _apply_rule(
        self, rule: FaultRule, scope: Scope, receive: Receive, send: Send
    ) -> None:
        if rule.delay_ms and rule.action != "slow":
            await asyncio.sleep(rule.delay_ms / 1000)
        action = rule.action
        if action == "status":
            is_api = not scope["path"].startswith("/img/")
            await _send_error(send, rule.status, is_api=is_api, retry_after=rule.retry_after)
        elif action == "truncate":
            await _send_truncated(*await _capture(self.app, scope, receive), send)
        elif action == "not_image":
            await _send(send, 200, _NOT_IMAGE, "image/jpeg")
        elif action == "huge":
            await _send(send, 200, decompression_bomb(), "image/png")
        elif action == "slow":
            interval = rule.delay_ms / 1000 if rule.delay_ms else _SLOW_INTERVAL
            status, headers, body = await _capture(self.app, scope, receive)
            await _send_paced(receive, send, status, headers, body, _SLOW_CHUNK, interval)
        elif action == "hang":
            await _hang(receive, send)
        elif action in ("endless", "oversize"):
            declared = OVERSIZE_BYTES if action == "oversize" else None
            await _send_endless(receive, send, declared, rule.delay_ms / 1000)
        elif action == "redirect":
            location = (rule.location or "").encode("latin-1", "replace")
            await _send(
                send,
                rule.status if 300 <= rule.status < 400 else 302,
                b"",
                None,
                [(b"location", location)],
            )
        elif action == "pages":
            await _send(send, 200, _hostile_pages(rule.urls or [], scope), JSON_MEDIA_TYPE)
        else:  # empty_pages
            await _send(send, 200, b"[]", JSON_MEDIA_TYPE)


def _target(scope: Scope) -> str:
    """Path plus query as rules match it; both raw and percent-decoded forms are included."""
    query = scope.get("query_string", b"").decode("latin-1")
    raw = scope["path"] + ("?" + query if query else "")
    decoded = unquote(raw)
    return raw if decoded == raw else f"{raw}\n{decoded}"


def _hostile_pages(urls: list[str], scope: Scope) -> bytes:
    """A read answer listing `urls` as its pages, `{port}` replaced by this server's port."""
    server = scope.get("server") or ("127.0.0.1", 80)
    port = str(server[1])
    pages = [{"img": url.replace("{port}", port), "page": n} for n, url in enumerate(urls, 1)]
    return json.dumps(pages).encode()


def _is_read(path: str) -> bool:
    return path.startswith(("/manga/mangadex/read/", "/manga/mangahere/read"))


@lru_cache(maxsize=1)
def decompression_bomb() -> bytes:
    """A ~200-byte PNG whose header declares 30000x30000 pixels (900 megapixels).

    Only a few rows of pixel data follow: enough for an image library to open the header and
    refuse (Pillow raises DecompressionBombError), useless to anything that decodes it fully.
    """

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", BOMB_SIDE, BOMB_SIDE, 1, 0, 0, 0, 0)  # 1-bit grey
    row = b"\x00" + b"\x00" * ((BOMB_SIDE + 7) // 8)
    pixels = zlib.compress(row * 8, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


async def _capture(app: ASGIApp, scope: Scope, receive: Receive) -> tuple[int, Headers, bytes]:
    """Run the app and keep its response instead of sending it."""
    status = 500
    headers: Headers = []
    parts: list[bytes] = []

    async def keep(message: Message) -> None:
        nonlocal status, headers
        if message["type"] == "http.response.start":
            status = message["status"]
            headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            parts.append(message.get("body", b""))

    await app(scope, receive, keep)
    return status, headers, b"".join(parts)


def _with_length(headers: Headers, length: int) -> Headers:
    kept = [(name, value) for name, value in headers if name.lower() != b"content-length"]
    return [*kept, (b"content-length", str(length).encode())]


async def _send(
    send: Send,
    status: int,
    body: bytes,
    content_type: str | None,
    extra: Headers | None = None,
) -> None:
    headers: Headers = [(b"content-length", str(len(body)).encode())]
    if content_type is not None:
        headers.append((b"content-type", content_type.encode()))
    headers.extend(extra or [])
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _send_error(
    send: Send, status: int, *, is_api: bool, retry_after: int | None = None
) -> None:
    """An injected error status: Consumet's JSON body on API routes, plain text on images."""
    extra: Headers = []
    if retry_after is not None:
        extra.append((b"retry-after", str(retry_after).encode()))
    if is_api:
        body = b'{"message":"' + SCRAPER_FAILURE.encode() + b'"}'
        await _send(send, status, body, JSON_MEDIA_TYPE, extra)
    else:
        await _send(send, status, f"injected fault: {status}".encode(), "text/plain", extra)


async def _send_truncated(status: int, headers: Headers, body: bytes, send: Send) -> None:
    """Valid headers, but only the first half of the body (Content-Length matches the half)."""
    half = body[: len(body) // 2]
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": _with_length(headers, len(half)),
        }
    )
    await send({"type": "http.response.body", "body": half})


async def _wait_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _hang(receive: Receive, send: Send) -> None:
    """Never answer (until the client leaves, or an hour passes: then a 504)."""
    try:
        await asyncio.wait_for(_wait_disconnect(receive), HANG_SECONDS)
    except TimeoutError:
        await _send(send, 504, b"", None)


async def _send_paced(
    receive: Receive,
    send: Send,
    status: int,
    headers: Headers,
    body: bytes,
    chunk: int,
    interval: float,
) -> None:
    """Send the full headers, then `chunk` bytes every `interval` seconds."""
    gone = asyncio.Event()

    async def watch() -> None:
        await _wait_disconnect(receive)
        gone.set()

    watcher = asyncio.create_task(watch())
    try:
        await send({"type": "http.response.start", "status": status, "headers": headers})
        offset = 0
        while True:
            piece = body[offset : offset + chunk]
            offset += len(piece)
            more = offset < len(body)
            await send({"type": "http.response.body", "body": piece, "more_body": more})
            if not more:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(gone.wait(), interval)
            if gone.is_set():
                return
    finally:
        watcher.cancel()


async def _send_endless(
    receive: Receive, send: Send, declared: int | None, interval: float
) -> None:
    """A JPEG start, then zeros until the client leaves (a `declared` Content-Length, if any).

    Stands for a multi-gigabyte body at the cost of a loop: nothing is held in memory.
    """
    gone = asyncio.Event()

    async def watch() -> None:
        await _wait_disconnect(receive)
        gone.set()

    headers: Headers = [(b"content-type", b"image/jpeg")]
    if declared is not None:
        headers.append((b"content-length", str(declared).encode()))
    watcher = asyncio.create_task(watch())
    try:
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        chunk = b"\xff\xd8\xff\xe0" + bytes(_ENDLESS_CHUNK - 4)
        sent = 0
        while not gone.is_set() and sent < min(declared or ENDLESS_CAP, ENDLESS_CAP):
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
            sent += len(chunk)
            chunk = bytes(_ENDLESS_CHUNK)
            # Also yields to the loop, so the disconnect watcher gets its turn.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(gone.wait(), interval)
        if not gone.is_set():
            await send({"type": "http.response.body", "body": b"", "more_body": False})
    except OSError:  # the client left while we were sending
        return
    finally:
        watcher.cancel()

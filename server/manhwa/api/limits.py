"""A cap on request bodies: the API takes ids and titles, never uploads, so a huge body is
refused (413) instead of being buffered whole by the JSON or form parser.

Hand-written although FastAPI has `max_body_size`: FastAPI's limiter (0.165) answers a declared
oversize body with a text/plain "Content Too Large" from outside our error handler, and every
error here must be JSON `{"detail"}` (tests/integration/test_bad_input.py).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import PayloadTooLarge
from .errors import send_detail

MAX_BODY_BYTES = 1024 * 1024  # 500 ids of 200 characters fit ten times over
# The unread body is still on the wire: the connection cannot carry another request.
CLOSE = ((b"connection", b"close"),)


class BodyLimit:
    """Pure ASGI: refuses a declared Content-Length over the cap before reading anything, and
    stops a chunked body at the cap (the error handler then answers 413)."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            await send_detail(send, 413, _detail(self.limit), CLOSE)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise PayloadTooLarge(_detail(self.limit))
            return message

        await self.app(scope, limited, send)


def _detail(limit: int) -> str:
    return f"request body larger than {limit // 1024} KiB"

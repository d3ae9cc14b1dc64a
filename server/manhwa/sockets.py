"""The network stream under every image request: httpcore's, with its socket looked up once.

httpcore checks every pooled connection before each request (`has_expired` asks the stream
`is_readable`), and its anyio stream answers by building anyio's whole attribute table, two
`getpeername`/`getsockname` syscalls included, each time: with a pool of connections that was
a sixteenth of a worker's CPU per image. The raw socket of a connection never changes, so this
wrapper asks for it once and answers `socket`/`is_readable` from it; the rest is delegated.
"""

from __future__ import annotations

import ssl
import typing

import httpcore
from httpcore._utils import is_socket_readable

READ_BYTES = 256 * 1024


class CachedSocketStream(httpcore.AsyncNetworkStream):
    """Delegates to `inner`; `get_extra_info("socket"/"is_readable")` without anyio's lookups."""

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self._socket = inner.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        # httpcore asks for 64 KiB at a time; what the socket already holds is taken in one
        # read (h11 keeps what lies past the response), so a 300 KB page is a few reads, parser
        # events and body chunks rather than a dozen.
        return await self._inner.read(max(max_bytes, READ_BYTES), timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return CachedSocketStream(
            await self._inner.start_tls(ssl_context, server_hostname, timeout)
        )

    def get_extra_info(self, info: str) -> typing.Any:
        if info == "socket":
            return self._socket
        if info == "is_readable":
            return is_socket_readable(self._socket)
        return self._inner.get_extra_info(info)

"""Private-address guard: image URLs come from an untrusted API, so every connection is checked.

The check runs where the socket is opened (an httpcore network backend), on the resolved
address, so redirects and DNS tricks (`127.1`, `2130706433`, names resolving to 10.x) are
caught, and the connection goes to the very address that was checked.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
import ssl
import typing
from collections.abc import Iterable

import anyio
import httpcore
import httpx

from .config import IPNetwork
from .errors import TargetRefused
from .imageurl import check_image_url
from .sockets import CachedSocketStream

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def is_public(address: IPAddress) -> bool:
    """True for globally routable unicast addresses only.

    An IPv6 address carrying an IPv4 one (mapped `::ffff:a.b.c.d`, 6to4 `2002:AABB:CCDD::`)
    is judged by the IPv4 address it leads to: Python calls `2002:7f00:1::` global.
    """
    if isinstance(address, ipaddress.IPv6Address):
        address = address.ipv4_mapped or address.sixtofour or address
    return address.is_global and not (
        address.is_multicast or address.is_unspecified or address.is_reserved
    )


class AddressPolicy:
    """Which resolved addresses may be connected to: public ones, plus an explicit allow-list."""

    def __init__(self, allow: bool | Iterable[IPNetwork]) -> None:
        self.allow_all = allow is True
        self.allowed: tuple[IPNetwork, ...] = () if isinstance(allow, bool) else tuple(allow)

    def permits(self, address: IPAddress) -> bool:
        if self.allow_all or is_public(address):
            return True
        plain = address
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            plain = address.ipv4_mapped
        return any(plain in net for net in self.allowed if plain.version == net.version)

    async def resolve(self, host: str, port: int) -> list[str]:
        """Resolve `host` and return the permitted addresses; refuse if any is not permitted."""
        literal = host.strip("[]")
        try:
            infos = await anyio.getaddrinfo(literal, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:  # idna refuses a label over 63 characters
            raise TargetRefused(f"cannot resolve host {host[:80]!r}") from exc
        addresses: list[str] = []
        for _family, _type, _proto, _name, sockaddr in infos:
            text = str(sockaddr[0]).split("%", 1)[0]
            address = ipaddress.ip_address(text)
            if not self.permits(address):
                raise TargetRefused(
                    f"refused to fetch from a private or local address ({host[:80]} -> {text})"
                )
            if text not in addresses:
                addresses.append(text)
        if not addresses:
            raise TargetRefused(f"host {host[:80]!r} has no address")
        return addresses


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves, checks, then connects to the checked address (no second lookup to rebind)."""

    def __init__(self, policy: AddressPolicy) -> None:
        self._policy = policy
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self._policy.resolve(host, port)
        last: Exception | None = None
        for address in addresses:
            try:
                return CachedSocketStream(
                    await self._inner.connect_tcp(
                        address, port, timeout, local_address, socket_options
                    )
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise TargetRefused("unix sockets are never fetched")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


@functools.cache
def ssl_context() -> ssl.SSLContext:
    """One verifying context per process: loading the CA bundle costs ~20 ms, every job paid it
    twice (and the Consumet client's own default transport once more per job). A context is
    safe to share between connections and threads."""
    return httpx.create_ssl_context()


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx transport whose every connection passes the AddressPolicy."""

    def __init__(self, policy: AddressPolicy, limits: httpx.Limits) -> None:
        context = ssl_context()
        super().__init__(verify=context, limits=limits, trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(policy),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        check_image_url(request.url)  # every hop: a redirect's Location is data too
        return await super().handle_async_request(request)

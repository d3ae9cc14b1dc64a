"""Trusted hosts: refuse requests addressed to a name that is not the app's (DNS rebinding).

A page on `attacker.example` whose DNS answer flips to 127.0.0.1 talks to the app "same-origin",
but its requests still carry `Host: attacker.example`; refusing that name stops the attack. An IP
literal cannot be rebound (there is no name to re-resolve), so `Host: 192.168.1.5:8000` is taken:
a LAN user may open the app by address without configuring anything.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from ..api.errors import send_detail
from ..config import Settings

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


_HOST = re.compile(r"(\[[0-9a-f:.]+\]|[a-z0-9_.-]+)(:[0-9]{1,5})?")


def split_host(header: str) -> str | None:
    """The host name of a `Host` header value, lower case and without the port; None if it is
    not a plain name or address (user info, spaces and the like are refused, not parsed)."""
    match = _HOST.fullmatch(header.strip().lower())
    if not match:
        return None
    return match.group(1).strip("[]").rstrip(".") or None


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class HostPolicy:
    """The names the app answers to: loopback, PUBLIC_URL's host, ALLOWED_HOSTS (`*`: any)."""

    def __init__(self, settings: Settings) -> None:
        names = set(LOOPBACK_NAMES) | set(settings.allowed_hosts)
        if settings.public_url:
            public = urlsplit(settings.public_url).hostname
            if public:
                names.add(public.lower())
        self.any = "*" in names
        self.names = frozenset(names - {"*"})

    def trusts(self, header: str | None) -> bool:
        if self.any:
            return True
        name = split_host(header or "")
        if not name:
            return False
        return name in self.names or _is_ip(name) or name.endswith(".localhost")


class TrustedHosts:
    """Pure ASGI, outermost: a request for another name gets 400 before anything else runs."""

    def __init__(self, app: ASGIApp, policy: HostPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        host = dict(scope.get("headers", [])).get(b"host", b"").decode("latin-1")
        if self.policy.trusts(host):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        await send_detail(
            send, 400, "unknown host name: add it to ALLOWED_HOSTS (or set PUBLIC_URL)"
        )

"""Who is calling: the principal behind a request under the configured AUTH_MODE.

- `none`: everyone is the owner (the default; see exposure.py for the warning it earns).
- `password`: the session cookie the login set.
- `proxy`: the user header (AUTH_PROXY_HEADER) — but only on a connection from TRUSTED_PROXIES;
  from anywhere else the header is ignored, since any client can send it.
- both `password` and `proxy`: an API token, `Authorization: Bearer <token>`; under `/opds` also
  HTTP Basic with the token as the password (what OPDS readers can send).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from typing import Literal

from ..config import IPNetwork, Settings
from .api_tokens import TokenStore
from .sessions import COOKIE, SessionStore

OPDS_PREFIX = "/opds"


@dataclass(frozen=True)
class Principal:
    name: str
    via: Literal["open", "session", "token", "proxy"]


OPEN = Principal("owner", "open")


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def _trusted(address: str, proxies: Sequence[IPNetwork]) -> bool:
    ip = _ip(address)
    return ip is not None and any(ip in net for net in proxies)


def client_address(peer: str, headers: Mapping[str, str], proxies: Sequence[IPNetwork]) -> str:
    """The caller's address: the peer, or behind trusted proxies the last address in
    X-Forwarded-For that is not one of them (the entries before it could be forged)."""
    if not _trusted(peer, proxies):
        return peer
    hops = [hop.strip() for hop in headers.get("x-forwarded-for", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, proxies):
            return hop if _ip(hop) else peer
    return peer


def session_cookie(headers: Mapping[str, str]) -> str | None:
    raw = headers.get("cookie")
    if not raw:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw)
    except CookieError:
        return None
    morsel = jar.get(COOKIE)
    return morsel.value if morsel else None


def _basic_password(value: str) -> str | None:
    scheme, _, encoded = value.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.partition(":")[2] or None


class Identifier:
    def __init__(self, settings: Settings, sessions: SessionStore, tokens: TokenStore) -> None:
        self.settings = settings
        self.sessions = sessions
        self.tokens = tokens

    async def identify(self, path: str, headers: Mapping[str, str], peer: str) -> Principal | None:
        mode = self.settings.auth_mode
        if mode == "none":
            return OPEN
        authorization = headers.get("authorization", "")
        scheme, _, credentials = authorization.partition(" ")
        secret: str | None = None
        if scheme.lower() == "bearer":
            secret = credentials.strip()
        elif path == OPDS_PREFIX or path.startswith(OPDS_PREFIX + "/"):
            secret = _basic_password(authorization)
        if secret:
            name = await self.tokens.name_of(secret)
            return Principal(f"token:{name}", "token") if name is not None else None
        if mode == "proxy":
            user = headers.get(self.settings.auth_proxy_header, "").strip()
            if user and _trusted(peer, self.settings.trusted_proxies):
                return Principal(user[:200], "proxy")
            return None
        cookie = session_cookie(headers)
        owner = await self.sessions.user(cookie) if cookie else None
        return Principal(owner, "session") if owner else None

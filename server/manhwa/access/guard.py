"""The access guard: one pure ASGI middleware that refuses cross-site writes (403) and
unauthenticated calls to `/api` and `/opds` (401), and hands routes the caller's principal.

It covers routers by path prefix, not one dependency per route, so a route added later (the
OPDS feed, a new event stream) is protected without anyone remembering to. Public: the built
client and `/docs` (no data), `/api/health` (says less without a principal, see api/health.py) and
`/api/auth/*` (the login itself).
"""

from __future__ import annotations

import logging

from fastapi import Request
from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.types import ASGIApp, Receive, Scope, Send

from ..api.errors import send_detail
from ..config import Settings
from .api_tokens import TokenStore
from .csrf import write_refusal
from .exposure import is_ip, is_loopback, peer_warning, startup_warnings
from .hosts import HostPolicy
from .identity import OPDS_PREFIX, OPEN, Identifier, Principal
from .passwords import PasswordStore
from .sessions import SessionStore
from .throttle import LoginThrottle

log = logging.getLogger(__name__)
NO_STORE = ((b"cache-control", b"no-store"),)  # a refusal is about this request only
PUBLIC_API = ("/api/health", "/api/auth/")


def _protected(path: str) -> bool:
    if path.startswith(PUBLIC_API):
        return False
    return path in ("/api", OPDS_PREFIX) or path.startswith(("/api/", OPDS_PREFIX + "/"))


class Access:
    """The access settings and stores of one app; the stores exist once `attach` gave Redis."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.hosts = HostPolicy(settings)
        origins = set(o.rstrip("/").lower() for o in settings.cors_origins)
        if settings.public_origin:
            origins.add(settings.public_origin)
        self.allowed_origins = frozenset(origins)
        self.warnings = startup_warnings(settings)
        self._identifier: Identifier | None = None
        self._peer_warned = False

    def attach(self, redis: Redis) -> None:
        self.passwords = PasswordStore(redis)
        self.sessions = SessionStore(redis, self.settings.session_seconds)
        self.tokens = TokenStore(redis)
        self.throttle = LoginThrottle(redis)
        self._identifier = Identifier(self.settings, self.sessions, self.tokens)
        for warning in self.warnings:
            log.warning("\n%s\n!!! %s\n%s", "!" * 78, warning, "!" * 78)

    async def identify(self, path: str, headers: dict[str, str], peer: str) -> Principal | None:
        if self.settings.auth_mode == "none":
            return OPEN
        if self._identifier is None:
            return None
        return await self._identifier.identify(path, headers, peer)

    def note_peer(self, peer: str, forwarded_for: str) -> None:
        """An open app (AUTH_MODE=none) was reached from another machine (directly or through a
        proxy on this one): say so, once."""
        if self.settings.auth_mode != "none" or self._peer_warned:
            return
        hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
        remote = [a for a in (peer, *hops) if is_ip(a) and not is_loopback(a)]
        if not remote:
            return
        peer = remote[0]
        self._peer_warned = True
        warning = peer_warning(peer)
        self.warnings.append(warning)
        log.warning("!!! %s", warning)


def principal_of(request: Request) -> Principal | None:
    """The caller as the guard identified it (None: not logged in)."""
    principal: Principal | None = request.scope.get("state", {}).get("principal")
    return principal


def access_of(request: Request) -> Access:
    access: Access = request.app.state.access
    return access


class AccessGuard:
    def __init__(self, app: ASGIApp, access: Access) -> None:
        self.app = app
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        refusal = write_refusal(
            scope["method"], headers, headers.get("host", ""), self.access.allowed_origins
        )
        if refusal:
            await send_detail(send, 403, refusal, NO_STORE)
            return
        path: str = scope["path"]
        peer = (scope.get("client") or ("", 0))[0] or ""
        self.access.note_peer(peer, headers.get("x-forwarded-for", ""))
        if path.startswith(("/api", OPDS_PREFIX)):
            try:
                principal = await self.access.identify(path, headers, peer)
            except RedisError:
                await send_detail(
                    send, 503, "the session store (Redis) is unavailable; try again", NO_STORE
                )
                return
            scope.setdefault("state", {})["principal"] = principal
            if principal is None and _protected(path):
                extra = list(NO_STORE)
                if path == OPDS_PREFIX or path.startswith(OPDS_PREFIX + "/"):
                    extra.append((b"www-authenticate", b'Basic realm="Manhwa Downloader"'))
                await send_detail(send, 401, "login required", extra)
                return
        await self.app(scope, receive, send)

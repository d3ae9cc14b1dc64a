"""Absolute URLs the demo hands out: images on this same server, under its public base URL.

The base is `--public-url` when given, else the request's own base URL, so a client reaching the
server as `http://127.0.0.1:8100` gets image URLs it can fetch as they are.
"""

from __future__ import annotations

import hashlib
from urllib.parse import quote, urlsplit

from fastapi import Request

# mangahere image URLs carry `token`/`ttl`; ours are fixed so each URL stays stable.
_MANGAHERE_TTL = "1767225600"


class Links:
    """Builds URLs relative to the configured or observed public base URL."""

    def __init__(self, public_url: str | None) -> None:
        self._public_url = public_url.rstrip("/") if public_url else None

    def base(self, request: Request) -> str:
        """`http://host:port` (plus any root path) clients should use for this server."""
        if self._public_url is not None:
            return self._public_url
        return str(request.base_url).rstrip("/")

    def image(self, base: str, path: str, *, token: bool = False) -> str:
        """The URL of `/img/{path}`; mangahere-style ones get a token query like the real CDN."""
        url = f"{base}/img/{quote(path)}"
        if token:
            digest = hashlib.sha256(path.encode()).hexdigest()[:40]
            url += f"?token={digest}&ttl={_MANGAHERE_TTL}"
        return url

    def loopback_spellings(self, base: str, path: str) -> list[str]:
        """One image URL per way of writing a loopback host, for SSRF tests.

        Every target is a loopback address: the sandbox running the tests flags any other traffic.
        """
        port = _port(base)
        target = f"/img/{quote(path)}"
        return [
            f"http://127.1:{port}{target}",
            f"http://2130706433:{port}{target}",
            f"http://[::ffff:127.0.0.1]:{port}{target}",
            f"http://localhost:{port}{target}",
            f"http://0.0.0.0:{port}{target}",
            f"{base}/_control/redirect?to=" + quote(f"http://127.0.0.2:{port}{target}", safe=""),
        ]


def _port(base: str) -> int:
    parts = urlsplit(base)
    if parts.port is not None:
        return parts.port
    return 443 if parts.scheme == "https" else 80

"""Signed image-proxy tokens: the proxy fetches only URLs the server itself handed out."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time

from redis.asyncio import Redis

from .errors import Forbidden

TOKEN_SECONDS = 6 * 3600
_KEY_NAME = "manhwa:secret:image-token"


async def signing_key(redis: Redis, configured: str | None) -> bytes:
    """SECRET_KEY if set; else one random key shared by every API process through Redis."""
    if configured:
        return hashlib.sha256(configured.encode()).digest()
    await redis.set(_KEY_NAME, secrets.token_hex(32), nx=True)
    value = await redis.get(_KEY_NAME)
    return bytes.fromhex(str(value))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(key: bytes, url: str, referer: str | None, now: float | None = None) -> str:
    payload = json.dumps(
        {"u": url, "r": referer, "e": int((now or time.time()) + TOKEN_SECONDS)},
        separators=(",", ":"),
    ).encode()
    mac = hmac.new(key, payload, hashlib.sha256).digest()[:20]
    return f"{_b64(payload)}.{_b64(mac)}"


def verify(key: bytes, token: str, now: float | None = None) -> tuple[str, str | None]:
    """(url, referer) of a token we signed; Forbidden for a forged, tampered or expired one."""
    try:
        body, mac = token.split(".", 1)
        payload = _unb64(body)
        given = _unb64(mac)
    except ValueError:
        raise Forbidden("malformed image token") from None
    expected = hmac.new(key, payload, hashlib.sha256).digest()[:20]
    if not hmac.compare_digest(given, expected):
        raise Forbidden("image token signature does not match")
    try:
        data = json.loads(payload)
        url, referer, expires = data["u"], data["r"], data["e"]
    except (ValueError, KeyError, TypeError):
        raise Forbidden("malformed image token") from None
    if not isinstance(url, str) or not isinstance(expires, int):
        raise Forbidden("malformed image token")
    if expires < (now or time.time()):
        raise Forbidden("image token expired")
    return url, referer if isinstance(referer, str) else None

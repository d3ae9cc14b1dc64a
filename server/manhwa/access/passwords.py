"""The admin password (AUTH_MODE=password): one argon2id hash in Redis, set by `manhwa
set-password`. Redis because every API process must see a change at once and it outlives a
restart (append-only in compose); the plain password is never stored or logged."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from redis.asyncio import Redis

KEY = "manhwa:auth:password"
MIN_LENGTH = 8
# argon2-cffi's defaults are RFC 9106's low-memory profile (argon2id, 64 MiB, 3 passes): about
# 50 ms of one core per check, which the login throttle keeps from becoming a way to load the host.
_hasher = PasswordHasher()


class WeakPassword(ValueError):
    """A password the CLI refuses to set."""


def hash_password(password: str) -> str:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"the password needs at least {MIN_LENGTH} characters")
    return _hasher.hash(password)


def _matches(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


class PasswordStore:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def is_set(self) -> bool:
        return bool(await self.redis.exists(KEY))

    async def set(self, password: str) -> None:
        await self.redis.set(KEY, await asyncio.to_thread(hash_password, password))

    async def check(self, password: str) -> bool:
        """True when `password` is the admin's; argon2 runs in a thread, off the event loop."""
        stored = await self.redis.get(KEY)
        if not stored:
            return False
        ok = await asyncio.to_thread(_matches, str(stored), password)
        if ok and _hasher.check_needs_rehash(str(stored)):  # parameters raised since it was set
            await self.redis.set(KEY, await asyncio.to_thread(_hasher.hash, password))
        return ok

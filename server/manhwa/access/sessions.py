"""Login sessions: a random id in an HttpOnly cookie, its SHA-256 in Redis with the session's
lifetime as the key's TTL. Only the hash is stored, so a copy of Redis's data opens no session."""

from __future__ import annotations

import hashlib
import json
import secrets
import time

from redis.asyncio import Redis

PREFIX = "manhwa:auth:session:"
COOKIE = "manhwa_session"


def _key(session_id: str) -> str:
    return PREFIX + hashlib.sha256(session_id.encode()).hexdigest()


class SessionStore:
    def __init__(self, redis: Redis, lifetime: int) -> None:
        self.redis = redis
        self.lifetime = lifetime

    async def create(self, user: str) -> str:
        """A new session for `user`; returns the id for the cookie (never stored as is)."""
        session_id = secrets.token_urlsafe(32)
        record = json.dumps({"user": user, "created": int(time.time())})
        await self.redis.set(_key(session_id), record, ex=self.lifetime)
        return session_id

    async def user(self, session_id: str) -> str | None:
        if not session_id or len(session_id) > 100:
            return None
        raw = await self.redis.get(_key(session_id))
        if not raw:
            return None
        user = json.loads(raw).get("user")
        return str(user) if user else None

    async def end(self, session_id: str) -> None:
        await self.redis.delete(_key(session_id))

    async def end_all(self) -> int:
        """Log everyone out (a new password): every session key goes."""
        ended = 0
        async for key in self.redis.scan_iter(match=PREFIX + "*", count=500):
            ended += int(await self.redis.delete(key))
        return ended

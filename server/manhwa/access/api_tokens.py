"""API tokens for scripts, the CLI and OPDS readers: `Authorization: Bearer <token>` (or HTTP
Basic with the token as password under /opds). Redis keeps only each token's SHA-256 (tokens are
long random strings, so a fast hash is enough) and looks it up on every request: a revoked token
stops working at once, in every API process."""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import dataclass

from redis.asyncio import Redis

TOKENS = "manhwa:auth:tokens"  # hash: token id -> JSON record
BY_HASH = "manhwa:auth:token:"  # + sha256(token) -> token id
LAST_USED = "manhwa:auth:token-used"  # hash: token id -> unix time
TOKEN_PREFIX = "mhd_"  # noqa: S105 - a marker that makes leaked tokens findable, not a secret


@dataclass(frozen=True)
class TokenInfo:
    id: str
    name: str
    created: int
    last_used: int | None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenStore:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def create(self, name: str) -> tuple[TokenInfo, str]:
        """A new token named `name`; the secret is returned once and never again."""
        token_id = secrets.token_hex(4)
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        digest = _digest(secret)
        info = TokenInfo(token_id, name, int(time.time()), None)
        record = {"name": name, "created": info.created, "hash": digest}
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(TOKENS, token_id, json.dumps(record))
            pipe.set(BY_HASH + digest, token_id)
            await pipe.execute()
        return info, secret

    async def list(self) -> list[TokenInfo]:
        records = await self.redis.hgetall(TOKENS)
        used = await self.redis.hgetall(LAST_USED)
        out = []
        for token_id, raw in records.items():
            record = json.loads(raw)
            last = used.get(token_id)
            out.append(
                TokenInfo(
                    str(token_id), record["name"], record["created"], int(last) if last else None
                )
            )
        return sorted(out, key=lambda info: info.created)

    async def revoke(self, token_id: str) -> bool:
        raw = await self.redis.hget(TOKENS, token_id)
        if raw is None:
            return False
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(BY_HASH + json.loads(raw)["hash"])
            pipe.hdel(TOKENS, token_id)
            pipe.hdel(LAST_USED, token_id)
            await pipe.execute()
        return True

    async def name_of(self, secret: str) -> str | None:
        """The token's name when `secret` is a live token, else None; notes when it was used."""
        if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
            return None
        token_id = await self.redis.get(BY_HASH + _digest(secret))
        if token_id is None:
            return None
        raw = await self.redis.hget(TOKENS, token_id)
        if raw is None:
            return None
        await self.redis.hset(LAST_USED, token_id, int(time.time()))
        return str(json.loads(raw)["name"])

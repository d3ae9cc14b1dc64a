"""Brute-force slowing for the login: failed attempts are counted per client address and for
everyone together, in Redis (shared by API processes, kept over a restart).

After `FREE` failures from one address, each further failure makes that address wait twice as
long as the last before its next attempt (1 s, 2 s, 4 s, … up to `MAX_DELAY`, which amounts to a
lock-out); an attempt too early is refused with 429 and Retry-After and is not checked at all, so
guessing costs the attacker time, not the host's CPU. Many addresses together (a botnet) meet the
same rule on the global count, with a higher `GLOBAL_FREE` and a lower cap, so the owner's
sessions and tokens keep working while logins slow down. A success clears its address's count.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from redis.asyncio import Redis

PREFIX = "manhwa:auth:fail:"
GLOBAL = "*"
WINDOW = 15 * 60  # failures older than this (after the last one) are forgotten
FREE = 3
MAX_DELAY = 15 * 60
GLOBAL_FREE = 50
GLOBAL_MAX_DELAY = 60


@dataclass(frozen=True)
class ThrottleState:
    failures: int
    retry_after: float  # seconds until the next attempt is heard; 0 = now


def delay_after(failures: int, free: int = FREE, cap: int = MAX_DELAY) -> int:
    """Seconds to wait after `failures` failures in a row."""
    if failures < free:
        return 0
    return int(min(2 ** (failures - free), cap))


class LoginThrottle:
    def __init__(self, redis: Redis, clock: Callable[[], float] = time.time) -> None:
        self.redis = redis
        self.clock = clock

    async def state(self, address: str) -> ThrottleState:
        """This address's failures and how long it must wait (the longer of its own and the
        global wait)."""
        now = self.clock()
        own = await self.redis.hmget(PREFIX + address, "failures", "until")
        overall = await self.redis.hmget(PREFIX + GLOBAL, "failures", "until")
        until = max(float(own[1] or 0), float(overall[1] or 0))
        return ThrottleState(int(own[0] or 0), max(0.0, until - now))

    async def failed(self, address: str) -> ThrottleState:
        now = self.clock()
        for key, free, cap in (
            (PREFIX + address, FREE, MAX_DELAY),
            (PREFIX + GLOBAL, GLOBAL_FREE, GLOBAL_MAX_DELAY),
        ):
            failures = int(await self.redis.hincrby(key, "failures", 1))
            wait = delay_after(failures, free, cap)
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.hset(key, "until", now + wait)
                pipe.expire(key, WINDOW + wait)
                await pipe.execute()
        return await self.state(address)

    async def succeeded(self, address: str) -> None:
        await self.redis.delete(PREFIX + address)

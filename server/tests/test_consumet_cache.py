"""The Consumet answer cache is keyed by the instance's base URL (a real Redis, mock upstreams)."""

from __future__ import annotations

import asyncio

import httpx
from redis.asyncio import Redis

from manhwa.consumet import ConsumetClient
from manhwa.outbound import RetryPolicy
from manhwa.providers import resolve_provider

from .stack import RedisServer


def _instance(base: str, redis: Redis, answers: list[str]) -> ConsumetClient:
    def handler(request: httpx.Request) -> httpx.Response:
        answers.append(str(request.url))
        result = {"id": "s1", "title": "Same Title", "image": f"{base.rstrip('/')}/covers/s1.jpg"}
        return httpx.Response(200, json={"results": [result]})

    return ConsumetClient(
        base,
        retry=RetryPolicy(retries=0, base_delay=0.0, max_delay=0.0),
        cache=redis,
        cache_seconds=300,
        transport=httpx.MockTransport(handler),
    )


def test_answers_of_one_instance_are_not_served_for_another(redis_server: RedisServer) -> None:
    async def scenario() -> None:
        redis = Redis.from_url(f"{redis_server.url}/0", decode_responses=True)
        mangadex = resolve_provider("mangadex")
        old_calls: list[str] = []
        new_calls: list[str] = []
        old = _instance("http://127.0.0.1:4001", redis, old_calls)
        new = _instance("http://127.0.0.1:4002/", redis, new_calls)
        try:
            first = await old.search(mangadex, "cache key by base url")
            again = await old.search(mangadex, "cache key by base url")
            moved = await new.search(mangadex, "cache key by base url")
            assert len(old_calls) == 1, "the same instance is answered from the cache"
            assert first == again
            assert len(new_calls) == 1, "another instance is asked itself"
            assert moved.results[0].image == "http://127.0.0.1:4002/covers/s1.jpg"
        finally:
            for key in await redis.keys("cache:*:mangadex:search:cache key by base url:*"):
                await redis.delete(key)
            await old.aclose()
            await new.aclose()
            await redis.aclose()

    asyncio.run(scenario())

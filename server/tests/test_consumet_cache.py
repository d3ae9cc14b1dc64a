"""Consumet answer cache: keyed by the instance's base URL, and never outliving what its URLs
promise (a real Redis, mock upstreams)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest
from redis.asyncio import Redis

from manhwa.consumet import READ_CACHE_SECONDS, ConsumetClient, promised_seconds
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


@pytest.fixture(scope="module")
def store_url(redis_server: RedisServer) -> Iterator[str]:
    yield f"{redis_server.url}/0"


def test_promised_seconds_is_the_earliest_ttl_in_the_answer() -> None:
    answer = '[{"img": "https://c/1.jpg?token=a&ttl=1000"}, {"img": "https://c/2.jpg?ttl=1600"}]'
    assert promised_seconds(answer.replace("1000", "1000000100"), now=1000000000) == 100
    assert promised_seconds('{"img": "https://c/1.jpg?token=a&ttl=1000000000"}', now=2e9) == 0
    assert promised_seconds('{"img": "https://uploads.mangadex.org/data/h/1.png"}') > 10**6


def _reads(store_url: str, expiry: int | None) -> tuple[int, int, list[bool]]:
    """(TTL left on our cache key, reads that reached Consumet, cache hits) after three reads."""
    calls = 0

    def answer(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        query = f"?token=t&ttl={expiry}" if expiry is not None else ""
        return httpx.Response(200, json=[{"img": f"https://c.example/1.jpg{query}", "page": 0}])

    async def run() -> tuple[int, list[bool]]:
        redis = Redis.from_url(store_url, decode_responses=True)
        provider = resolve_provider("mangahere")
        chapter = f"cache-test/{time.time_ns()}"
        try:
            async with ConsumetClient(
                "http://consumet.test",
                retry=RetryPolicy(0, 0.0, 0.0),
                cache=redis,
                cache_seconds=3600,
                transport=httpx.MockTransport(answer),
            ) as client:
                hits = [(await client.read_pages(provider, chapter))[1] for _ in range(2)]
                hits.append((await client.read_pages(provider, chapter, fresh=True))[1])
            keys = await redis.keys(f"cache:*:mangahere:read:{chapter}")
            ttl = int(await redis.ttl(keys[0])) if keys else -2
        finally:
            await redis.aclose()
        return ttl, hits

    ttl, hits = asyncio.run(run())
    return ttl, calls, hits


def test_read_cache_is_bounded_by_the_urls_ttl(store_url: str) -> None:
    ttl, calls, hits = _reads(store_url, int(time.time()) + 30)
    assert 0 < ttl <= 30
    assert calls == 2 and hits == [False, True, False]  # `fresh` asks the source


def test_an_answer_whose_urls_already_expired_is_not_cached(store_url: str) -> None:
    ttl, calls, hits = _reads(store_url, int(time.time()) - 5)
    assert ttl == -2 and calls == 3 and hits == [False, False, False]


def test_read_cache_without_a_ttl_stays_inside_mangadex_at_home_promise(store_url: str) -> None:
    ttl, calls, _ = _reads(store_url, None)
    assert 0 < ttl <= READ_CACHE_SECONDS <= 15 * 60 and calls == 2

"""A "/" in a search ("Fate/Zero") travels as %2F inside Consumet's `:query` path parameter."""

from __future__ import annotations

import asyncio

import httpx

from manhwa.consumet import ConsumetClient
from manhwa.outbound import RetryPolicy
from manhwa.providers import resolve_provider

from .stack import DemoSource


def test_the_client_keeps_the_slash_inside_one_path_segment() -> None:
    seen: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.raw_path)
        return httpx.Response(200, json={"results": []})

    async def scenario() -> None:
        async with ConsumetClient(
            "http://consumet.test",
            retry=RetryPolicy(retries=0, base_delay=0.0, max_delay=0.0),
            cache_seconds=0,
            transport=httpx.MockTransport(handler),
        ) as client:
            found = await client.search(resolve_provider("mangadex"), "Fate/Zero")
            assert found.query == "Fate/Zero" and found.results == []
            await client.search(resolve_provider("mangahere"), "Fate/Zero", page=2)

    asyncio.run(scenario())
    assert seen == [b"/manga/mangadex/Fate%2FZero", b"/manga/mangahere/Fate%2FZero?page=2"]


def test_the_demo_source_routes_an_encoded_slash_like_fastify(demo: DemoSource) -> None:
    for provider in ("mangadex", "mangahere"):
        encoded = httpx.get(f"{demo.url}/manga/{provider}/Fate%2FZero", timeout=10)
        assert encoded.status_code == 200, encoded.text
        assert encoded.json()["results"] == []
        # Fastify matches on the raw path: a literal slash is another route, here none.
        literal = httpx.get(f"{demo.url}/manga/{provider}/Fate/Zero", timeout=10)
        assert literal.status_code == 404
    found = httpx.get(f"{demo.url}/manga/mangahere/Webtoon%20Strip", timeout=10).json()
    assert [r["title"] for r in found["results"]] == ["Demo Webtoon Strip"]

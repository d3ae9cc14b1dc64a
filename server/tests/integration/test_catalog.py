"""Sources, search, info, read and the image proxy, through the API against the demo source."""

from __future__ import annotations

import io
import os
import time
from collections.abc import Callable

import httpx
import pytest
import redis
from PIL import Image

from manhwa.tokens import sign

from ..stack import DemoSource, Stack, free_port
from .helpers import TOWER, chapters_with_pages, info, source_pages

pytestmark = pytest.mark.integration


def test_sources_list_names_and_index_numbers(stack: Stack) -> None:
    data = httpx.get(f"{stack.url}/api/sources").json()
    assert [s["index"] for s in data["sources"]] == list(range(len(data["sources"])))
    assert data["sources"][0]["name"] == "mangadex" and data["default"] == "mangadex"


def test_search_returns_normalised_results_with_proxied_covers(stack: Stack) -> None:
    data = httpx.get(f"{stack.url}/api/search", params={"q": "dawn", "source": "mangadex"}).json()
    assert data["page"] == 1
    first = data["results"][0]
    assert first["id"] == TOWER and first["cover"].startswith("/api/image/")
    cover = httpx.get(stack.url + first["cover"])
    assert cover.status_code == 200 and cover.headers["content-type"].startswith("image/")


def test_info_chapters_newest_first_without_duplicated_ids(stack: Stack) -> None:
    data = info(stack)
    numbers = [float(c["number"]) for c in data["chapters"] if c["number"]]
    assert numbers == sorted(numbers, reverse=True)
    assert len({c["id"] for c in data["chapters"]}) == len(data["chapters"])
    assert isinstance(data["description"], str)  # MangaDex sends an object {lang: text}
    untitled = [c for c in data["chapters"] if c["title"] == f"Chapter {c['number']}"]
    assert untitled, "a chapter without a title is named by its number"


def test_read_pages_go_through_the_signed_proxy(stack: Stack, source: DemoSource) -> None:
    chapter = chapters_with_pages(stack)[0]
    pages = httpx.get(
        f"{stack.url}/api/manga/mangadex/read", params={"chapterId": chapter["id"]}
    ).json()["pages"]
    expected = source_pages(source, "mangadex", chapter["id"])
    assert [p["index"] for p in pages] == list(range(len(expected)))
    first = httpx.get(stack.url + pages[0]["url"])
    assert first.content == expected[0]
    Image.open(io.BytesIO(first.content)).verify()
    again = httpx.get(stack.url + pages[0]["url"], headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304


def test_forged_or_tampered_image_tokens_are_403(stack: Stack) -> None:
    chapter = chapters_with_pages(stack)[0]
    url = httpx.get(
        f"{stack.url}/api/manga/mangadex/read", params={"chapterId": chapter["id"]}
    ).json()["pages"][0]["url"]
    token = url.rsplit("/", 1)[1]
    body, mac = token.split(".")
    tampered = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1] + "." + mac
    for bad in (tampered, "nonsense", body + ".AAAA", "e30.e30"):
        answer = httpx.get(f"{stack.url}/api/image/{bad}")
        assert answer.status_code == 403, bad
        assert "token" in answer.json()["detail"]


def test_mangahere_referer_and_page_order(stack: Stack, source: DemoSource) -> None:
    found = httpx.get(
        f"{stack.url}/api/search", params={"q": "webtoon", "source": "mangahere"}
    ).json()
    slug = found["results"][0]["id"]
    data = info(stack, "mangahere", slug)
    chapter = data["chapters"][0]
    pages = httpx.get(
        f"{stack.url}/api/manga/mangahere/read", params={"chapterId": chapter["id"]}
    ).json()["pages"]
    expected = source_pages(source, "mangahere", chapter["id"])
    got = [httpx.get(stack.url + p["url"]).content for p in pages]
    assert got == expected


def test_health_is_ok_with_everything_up(stack: Stack) -> None:
    answer = httpx.get(f"{stack.url}/api/health", timeout=10)
    assert answer.status_code == 200, answer.text
    data = answer.json()
    assert data["status"] == "ok" and data["redis"] == "ok" and data["consumet"] == "ok"
    assert data["workers"] >= 1
    assert set(data["queues"]) == {"downloads", "cleanup"}


def test_health_names_an_unreachable_consumet(
    make_stack: Callable[..., Stack], source: DemoSource
) -> None:
    stack = make_stack(MANGAPI_URL=f"http://127.0.0.1:{free_port()}")
    answer = httpx.get(f"{stack.url}/api/health", timeout=10)
    assert answer.status_code == 503
    data = answer.json()
    assert data["status"] == "degraded" and data["redis"] == "ok"
    assert data["consumet"].startswith("error: Consumet unreachable")


def test_spa_fallback_and_openapi(stack: Stack) -> None:
    assert httpx.get(f"{stack.url}/series/mangadex/abc").status_code == 200
    assert "/api/download" in httpx.get(f"{stack.url}/openapi.json").json()["paths"]


def test_proxy_refuses_tokens_signed_elsewhere_or_expired(stack: Stack, source: DemoSource) -> None:
    chapter = chapters_with_pages(stack)[0]
    image = httpx.get(f"{source.url}/manga/mangadex/read/{chapter['id']}").json()[0]["img"]
    store = redis.Redis.from_url(stack.redis_url, decode_responses=True)
    key = bytes.fromhex(store.get("manhwa:secret:image-token") or "")
    store.close()
    assert httpx.get(f"{stack.url}/api/image/{sign(key, image, None)}").status_code == 200
    cases = {
        "another key": sign(os.urandom(32), image, None),
        "expired": sign(key, image, None, now=time.time() - 7 * 3600),
    }
    for what, token in cases.items():
        answer = httpx.get(f"{stack.url}/api/image/{token}")
        assert answer.status_code == 403, what
        assert answer.json()["detail"].startswith("image token"), what

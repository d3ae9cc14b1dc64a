"""The built client: hashed assets cached for good, client routes fall back to index.html,
unknown API paths stay JSON 404s, wrong methods on API paths stay 405s."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from manhwa.config import Settings
from manhwa.main import create_app


def get_all(dist: Path, requests: list[tuple[str, str]]) -> list[httpx.Response]:
    app = create_app(Settings(client_dist=dist))  # no lifespan: these routes need no services

    async def main() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return [await client.request(method, path) for method, path in requests]

    return asyncio.run(main())


def test_assets_index_fallback_and_api_paths(tmp_path: Path) -> None:
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "app-1234.js").write_text("console.log(1)")
    (tmp_path / "index.html").write_text("<!doctype html><title>app</title>")
    (tmp_path / "favicon.svg").write_text("<svg/>")
    asset, index, route, icon, missing_api, wrong_method = get_all(
        tmp_path,
        [
            ("GET", "/assets/app-1234.js"),
            ("GET", "/"),
            ("GET", "/series/mangadex/abc"),
            ("GET", "/favicon.svg"),
            ("GET", "/api/nope"),
            ("PUT", "/api/download"),
        ],
    )
    assert asset.text == "console.log(1)"
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "etag" in asset.headers
    assert index.text == route.text == "<!doctype html><title>app</title>"
    assert index.headers["cache-control"] == route.headers["cache-control"] == "no-cache"
    assert icon.text == "<svg/>"
    assert (missing_api.status_code, missing_api.json()) == (
        404,
        {"detail": "no API route /api/nope"},
    )
    assert wrong_method.status_code == 405 and "detail" in wrong_method.json()


def test_without_a_built_client_the_page_says_so(tmp_path: Path) -> None:
    (page,) = get_all(tmp_path / "nothing", [("GET", "/downloads")])
    assert page.status_code == 200 and "not built" in page.text

"""Scan calls to Komga and Kavita after new chapters, through their documented REST APIs.

- Komga: `POST {KOMGA_URL}/api/v1/libraries/{KOMGA_LIBRARY_ID}/scan` with the `X-API-Key`
  header (an API key made in Komga's account settings).
- Kavita: `POST {KAVITA_URL}/api/Plugin/authenticate?apiKey=…&pluginName=…` trades the user's
  API key for a JWT (`token`), then `POST {KAVITA_URL}/api/Library/scan?libraryId=…` with
  `Authorization: Bearer <token>`; without a library id, `POST /api/Library/scan-all`.
A server that is away is logged and left: the next run asks again, and both servers also scan
on their own schedule.
"""

from __future__ import annotations

import logging

import httpx

from ..config import Settings

log = logging.getLogger(__name__)
PLUGIN_NAME = "manhwa-downloader"
TIMEOUT = httpx.Timeout(15.0)


async def scan_komga(client: httpx.AsyncClient, settings: Settings) -> bool:
    if not (settings.komga_url and settings.komga_api_key and settings.komga_library_id):
        return False
    url = f"{settings.komga_url.rstrip('/')}/api/v1/libraries/{settings.komga_library_id}/scan"
    response = await client.post(url, headers={"X-API-Key": settings.komga_api_key})
    response.raise_for_status()
    return True


async def scan_kavita(client: httpx.AsyncClient, settings: Settings) -> bool:
    if not (settings.kavita_url and settings.kavita_api_key):
        return False
    base = settings.kavita_url.rstrip("/")
    auth = await client.post(
        f"{base}/api/Plugin/authenticate",
        params={"apiKey": settings.kavita_api_key, "pluginName": PLUGIN_NAME},
    )
    auth.raise_for_status()
    token = auth.json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    if settings.kavita_library_id:
        response = await client.post(
            f"{base}/api/Library/scan",
            params={"libraryId": settings.kavita_library_id},
            headers=headers,
        )
    else:
        response = await client.post(f"{base}/api/Library/scan-all", headers=headers)
    response.raise_for_status()
    return True


async def scan_all(settings: Settings) -> dict[str, bool]:
    """Ask every configured server to scan; which ones were asked successfully."""
    done: dict[str, bool] = {}
    async with httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False) as client:
        for name, call in (("komga", scan_komga), ("kavita", scan_kavita)):
            try:
                done[name] = await call(client, settings)
            except (httpx.HTTPError, KeyError, ValueError) as exc:
                log.warning("%s scan call failed: %s", name, exc)
                done[name] = False
    return done

"""Small clients for the integration tests: talk HTTP to the stack, read archives."""

from __future__ import annotations

import io
import json
import time
import zipfile
from typing import Any

import httpx

from ..stack import DemoSource, Stack

FINAL = {"SUCCESS", "FAILURE", "CANCELLED", "EXPIRED"}
TOWER = "60c01dc6-0a5c-4e46-a115-a934ebc404f2"  # demo MangaDex series "Tower of Dawn"
# What a script sends on a POST without a JSON body (a form, or nothing): the same-origin proof
# the access guard asks for, since a browser page cannot add it cross-site (access/csrf.py).
SCRIPT = {"X-Requested-With": "XMLHttpRequest"}


def info(stack: Stack, source: str = "mangadex", series: str = TOWER) -> dict[str, Any]:
    response = httpx.get(f"{stack.url}/api/manga/{source}/info", params={"id": series}, timeout=30)
    response.raise_for_status()
    data: dict[str, Any] = response.json()
    return data


def chapters_with_pages(
    stack: Stack, source: str = "mangadex", series: str = TOWER
) -> list[dict[str, Any]]:
    """Chapters that have pages, oldest first, one upload per chapter number."""
    seen: set[str] = set()
    out = []
    for chapter in reversed(info(stack, source, series)["chapters"]):
        if chapter.get("pages") == 0 or chapter["number"] in seen:
            continue
        seen.add(chapter["number"])
        out.append(chapter)
    return out


def request(stack: Stack, ids: list[str], **extra: Any) -> dict[str, Any]:
    body = {"source": extra.pop("source", "mangadex"), "ids": ids, **extra}
    response = httpx.post(f"{stack.url}/api/download", json=body, timeout=30)
    assert response.status_code == 202, response.text
    data: dict[str, Any] = response.json()
    return data


def status(stack: Stack, task_id: str) -> dict[str, Any]:
    response = httpx.get(f"{stack.url}/api/download/status/{task_id}", timeout=10)
    response.raise_for_status()
    data: dict[str, Any] = response.json()
    return data


def wait_until(
    stack: Stack, task_id: str, states: set[str], timeout: float = 120
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    current: dict[str, Any] = {}
    while time.monotonic() < deadline:
        current = status(stack, task_id)
        if current["state"] in states:
            return current
        time.sleep(0.2)
    raise AssertionError(f"job never reached {states}: {current}\n{stack.logs()}")


def wait_final(stack: Stack, task_id: str, timeout: float = 120) -> dict[str, Any]:
    return wait_until(stack, task_id, FINAL, timeout)


def events(stack: Stack, task_id: str, timeout: float = 120) -> list[dict[str, Any]]:
    """Every SSE progress event until the stream ends at a final state."""
    seen: list[dict[str, Any]] = []
    with httpx.stream(
        "GET", f"{stack.url}/api/download/events/{task_id}", timeout=timeout
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("data: "):
                seen.append(json.loads(line[6:]))
    return seen


def download(stack: Stack, task_id: str) -> tuple[httpx.Response, bytes]:
    response = httpx.get(f"{stack.url}/api/download/file/{task_id}", timeout=60)
    return response, response.content


def source_pages(source: DemoSource, provider: str, chapter_id: str) -> list[bytes]:
    """The page bytes straight from the source, in reading order (what the archive must hold)."""
    if provider == "mangadex":
        pages = httpx.get(f"{source.url}/manga/mangadex/read/{chapter_id}", timeout=30).json()
    else:
        pages = httpx.get(
            f"{source.url}/manga/{provider}/read", params={"chapterId": chapter_id}, timeout=30
        ).json()
    out = []
    for page in pages:
        headers = {"Referer": "https://mangahere.cc"} if provider == "mangahere" else {}
        response = httpx.get(page["img"], headers=headers, timeout=30)
        response.raise_for_status()
        out.append(response.content)
    return out


def cbz_pages(data: bytes) -> tuple[list[str], list[bytes], bytes]:
    """(image names, image bytes, ComicInfo.xml) of a CBZ, checking it is a sound zip."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None
        names = [n for n in zf.namelist() if n != "ComicInfo.xml"]
        assert names == sorted(names), "pages must sort in reading order"
        return names, [zf.read(n) for n in names], zf.read("ComicInfo.xml")


def archive_chapters(data: bytes) -> dict[str, bytes]:
    """The CBZ entries of a multi-chapter ZIP, by name."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None
        return {n: zf.read(n) for n in zf.namelist()}

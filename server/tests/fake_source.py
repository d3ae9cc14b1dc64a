"""An in-process Consumet + image host behind `httpx.MockTransport`, for pipeline unit tests.

Faults are scripted per URL: a list of statuses (with optional Retry-After) answered before the
real body, a Referer the host insists on, pages that always fail.
"""

from __future__ import annotations

import io
import json
from collections import Counter
from dataclasses import dataclass, field

import httpx
from PIL import Image

CONSUMET = "http://consumet.test"
IMAGES = "http://img.test"


def png(shade: int, size: tuple[int, int] = (24, 32)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (shade % 256, 255 - shade % 256, 90)).save(out, "PNG")
    return out.getvalue()


@dataclass
class FakeSource:
    provider: str = "mangadex"
    chapters: dict[str, list[str]] = field(default_factory=dict)  # id → image URLs
    numbers: dict[str, str] = field(default_factory=dict)
    images: dict[str, bytes] = field(default_factory=dict)
    faults: dict[str, list[tuple[int, str | None]]] = field(default_factory=dict)
    broken: dict[str, int] = field(default_factory=dict)  # URL → status, always
    referer_required: str | None = None
    hits: Counter[str] = field(default_factory=Counter)
    referers: list[str | None] = field(default_factory=list)

    def add_chapter(self, chapter_id: str, number: str, pages: int) -> list[str]:
        urls = [f"{IMAGES}/{chapter_id}/{i}.png" for i in range(pages)]
        for i, url in enumerate(urls):
            self.images[url] = png(len(self.images) * 7 + i)
        self.chapters[chapter_id] = urls
        self.numbers[chapter_id] = number
        return urls

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        self.hits[url.split("?")[0]] += 1
        scripted = self.faults.get(url)
        if scripted:
            status, retry_after = scripted.pop(0)
            headers = {"Retry-After": retry_after} if retry_after else {}
            return httpx.Response(status, headers=headers)
        if request.url.host == "consumet.test":
            return self._consumet(request)
        self.referers.append(request.headers.get("referer"))
        if url in self.broken:
            return httpx.Response(self.broken[url])
        if self.referer_required and request.headers.get("referer") != self.referer_required:
            return httpx.Response(403)
        if url not in self.images:
            return httpx.Response(404)
        return httpx.Response(200, content=self.images[url], headers={"content-type": "image/png"})

    def _consumet(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        base = f"/manga/{self.provider}"
        if path.startswith(f"{base}/info"):
            chapters = [
                {
                    "id": cid,
                    "chapterNumber": self.numbers[cid],
                    "title": f"Chapter {n}",
                    "pages": len(urls),
                }
                for cid, urls in self.chapters.items()
                for n in [self.numbers[cid]]
            ]
            return _json({"id": "series", "title": "Fake Series", "chapters": chapters})
        if path.startswith(f"{base}/read"):
            cid = request.url.params.get("chapterId") or path.rsplit("/", 1)[-1]
            if cid not in self.chapters:
                return httpx.Response(404, json={"message": "no such chapter"})
            return _json([{"img": url, "page": i + 1} for i, url in enumerate(self.chapters[cid])])
        return httpx.Response(404)


def _json(data: object) -> httpx.Response:
    return httpx.Response(
        200, content=json.dumps(data), headers={"content-type": "application/json"}
    )

"""The library end to end, on real Redis, real Celery workers and the demo source.

Follow → the demo source releases a chapter → the next check downloads it into LIBRARY_DIR
(name, ComicInfo valid against the v2.0 XSD, pages byte-equal to the source) → one Apprise
notification reaches a loopback receiver (`json://`) → Komga and Kavita stand-ins on loopback
get their scan calls as their APIs document them (no real Komga or Kavita runs here) → `/opds`
lists the chapter and its acquisition link serves the same bytes → everything restarted (Redis
with its append-only file) → follows and index are still there → no duplicate download.
"""

from __future__ import annotations

import json
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import httpx
import pytest
import xmlschema

from ..stack import REPO, DemoSource, RedisServer, Stack, free_port
from .helpers import SCRIPT

XSD = REPO.parent / "shared" / "testdata" / "ComicInfo-v2.0.xsd"
RELEASING = "5e1ea5e0-8a1e-4c57-9a43-5b6c0ffee008"  # demo "Night Shift No. 8"
ATOM = "{http://www.w3.org/2005/Atom}"


class Receiver:
    """A loopback HTTP server that records every request (Apprise target, Komga, Kavita)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with outer.lock:
                    outer.requests.append(
                        {"path": self.path, "headers": dict(self.headers), "body": body}
                    )
                answer = b"{}"
                if self.path.startswith("/api/Plugin/authenticate"):
                    answer = json.dumps({"token": "kavita-jwt", "username": "reader"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def seen(self, prefix: str) -> list[dict[str, Any]]:
        with self.lock:
            return [r for r in self.requests if r["path"].startswith(prefix)]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()  # the listening socket, else a ResourceWarning at GC


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def wait_for(what: str, check: Callable[[], Any], stack: Stack, timeout: float = 90) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}\n{stack.logs()}")


def follows(stack: Stack) -> list[dict[str, Any]]:
    response = httpx.get(f"{stack.url}/api/library", timeout=10)
    response.raise_for_status()
    result: list[dict[str, Any]] = response.json()["follows"]
    return result


def follow_of(stack: Stack, series_id: str) -> dict[str, Any] | None:
    return next((f for f in follows(stack) if f["series_id"] == series_id), None)


def post_follow(
    stack: Stack, series_id: str, source: str = "mangadex", **fields: Any
) -> httpx.Response:
    """`POST /api/library/follows` as the Follow form sends it; the answer, unchecked."""
    body = {"source": source, "series_id": series_id, **fields}
    return httpx.post(f"{stack.url}/api/library/follows", json=body, timeout=30)


def library_jobs(stack: Stack) -> list[dict[str, Any]]:
    jobs: list[dict[str, Any]] = httpx.get(f"{stack.url}/api/downloads?limit=200").json()["jobs"]
    return [j for j in jobs if j.get("destination") == "library"]


def release(source: DemoSource) -> dict[str, Any]:
    response = httpx.post(f"{source.url}/_control/releases", timeout=10)
    response.raise_for_status()
    released: dict[str, Any] = response.json()["released"]
    return released


def source_pages(source: DemoSource, chapter_id: str) -> list[bytes]:
    state = httpx.get(f"{source.url}/_control/releases", timeout=10).json()
    chapter = next(c for c in state["chapters"] if c["id"] == chapter_id)
    return [httpx.get(f"{source.url}/img/{p}", timeout=10).content for p in chapter["pages"]]


def library_env(library: Path, receiver: Receiver | None = None, **extra: str) -> dict[str, str]:
    env = {
        "LIBRARY_DIR": str(library),
        "LIBRARY_CHECK_MINUTES": "0.05",  # every 3 s, give or take 10 %
        "LIBRARY_DUE_SECONDS": "0.5",
        "LIBRARY_SOURCE_SPACING_SECONDS": "0",
        **extra,
    }
    if receiver is not None:
        url = f"http://127.0.0.1:{receiver.port}"
        env.update(
            {
                "NOTIFY_URLS": f"json://127.0.0.1:{receiver.port}/notify",
                "KOMGA_URL": url,
                "KOMGA_API_KEY": "komga-key",
                "KOMGA_LIBRARY_ID": "0KOMGALIB",
                "KAVITA_URL": url,
                "KAVITA_API_KEY": "kavita-key",
                "KAVITA_LIBRARY_ID": "3",
            }
        )
    return env


def test_follow_release_restart(demo: DemoSource, receiver: Receiver) -> None:
    root = Path(tempfile.mkdtemp(prefix="manhwa-library-"))
    library = root / "library"
    redis = RedisServer(free_port(), root / "redis")
    redis.start()
    env = library_env(library, receiver)
    stack = Stack(redis, demo, db=0, env_overrides=env, workdir=root / "run1").start()
    try:
        created = post_follow(stack, RELEASING, mode="new")
        assert created.status_code == 201, created.text
        fid = created.json()["id"]
        again = post_follow(stack, RELEASING)
        assert again.status_code == 409 and "detail" in again.json()
        # The first check sees only the baseline: nothing is downloaded.
        wait_for(
            "the first check", lambda: (follow_of(stack, RELEASING) or {}).get("last_check"), stack
        )
        assert library_jobs(stack) == []

        released = release(demo)
        number = int(released["number"])
        entry = wait_for(
            "the released chapter in the index",
            lambda: next(
                (
                    e
                    for e in httpx.get(f"{stack.url}/api/library/follows/{fid}/chapters").json()
                    if e["chapter_id"] == released["id"]
                ),
                None,
            ),
            stack,
        )
        # Name: the series folder, `<Series> Ch. 00N.cbz`; the number in the title stays in it.
        assert entry["file"] == f"Night Shift No. 8/Night Shift No. 8 Ch. {number:03d}.cbz"
        cbz = library / entry["file"]
        assert cbz.is_file()
        assert (library / "Night Shift No. 8" / "cover.jpg").read_bytes()[:2] == b"\xff\xd8"
        with zipfile.ZipFile(cbz) as zf:
            names = zf.namelist()
            xml = zf.read("ComicInfo.xml")
            pages = [zf.read(n) for n in sorted(names) if n != "ComicInfo.xml"]
        xmlschema.XMLSchema(str(XSD)).validate(xml.decode())
        info = ET.fromstring(xml)
        assert info.findtext("Series") == "Night Shift No. 8"
        assert info.findtext("Number") == str(number)
        assert info.findtext("Manga") == "Yes"  # a long-strip webtoon: not right-to-left
        assert info.findtext("LanguageISO") == "en"
        assert info.findtext("PageCount") == str(len(pages))
        assert released["id"] in (info.findtext("Notes") or "")
        assert pages == source_pages(demo, released["id"])
        assert not list(library.rglob(".tmp-*"))

        # One notification for the run; Komga and Kavita asked to scan as documented.
        notes = wait_for("the notification", lambda: receiver.seen("/notify"), stack)
        assert len(notes) == 1
        message = json.loads(notes[0]["body"])
        assert "1 new chapter" in message["title"] and f"Ch. {number:03d}" in message["message"]
        komga = wait_for("komga scan", lambda: receiver.seen("/api/v1/libraries/"), stack)
        assert komga[0]["path"] == "/api/v1/libraries/0KOMGALIB/scan"
        assert komga[0]["headers"].get("X-API-Key") == "komga-key"
        auth = receiver.seen("/api/Plugin/authenticate")
        assert auth and "apiKey=kavita-key" in auth[0]["path"]
        scan = receiver.seen("/api/Library/scan")
        assert scan and scan[0]["path"] == "/api/Library/scan?libraryId=3"
        assert scan[0]["headers"].get("Authorization") == "Bearer kavita-jwt"

        # OPDS: the series, its chapter, and the acquisition link's bytes.
        root_feed = ET.fromstring(httpx.get(f"{stack.url}/opds").content)
        series_links = [
            link.get("href")
            for link in root_feed.iter(f"{ATOM}link")
            if link.get("rel") == "subsection"
        ]
        assert f"/opds/series/{fid}" in series_links
        feed = ET.fromstring(httpx.get(f"{stack.url}/opds/series/{fid}").content)
        acquisitions = [
            link.get("href")
            for link in feed.iter(f"{ATOM}link")
            if link.get("rel") == "http://opds-spec.org/acquisition"
        ]
        assert len(acquisitions) == 1
        assert httpx.get(f"{stack.url}{acquisitions[0]}").content == cbz.read_bytes()

        jobs_before = len(library_jobs(stack))
        assert jobs_before == 1
    finally:
        stack.stop()
        redis.stop()

    # Everything restarted: Redis from its append-only file, new API and worker.
    redis.start()
    stack = Stack(redis, demo, db=0, env_overrides=env, workdir=root / "run2").start()
    try:
        followed = follow_of(stack, RELEASING)
        assert followed is not None and followed["chapters_in_library"] == 1
        before = followed["last_check"]
        wait_for(
            "a check after the restart",
            lambda: (follow_of(stack, RELEASING) or {}).get("last_check", 0) > before,
            stack,
        )
        httpx.post(f"{stack.url}/api/library/follows/{fid}/check", headers=SCRIPT, timeout=10)
        wait_for(
            "another check",
            lambda: (follow_of(stack, RELEASING) or {}).get("last_check", 0) > before + 1,
            stack,
        )
        assert len(library_jobs(stack)) == jobs_before  # no duplicate download
        assert len(list(library.rglob("*.cbz"))) == 1
    finally:
        stack.stop()
        redis.stop()

"""The demo source, tested as clients see it: a real server process on a free loopback port.

Expected bodies are copied from the Consumet contract (`errors.json`, `index.json`) rather than
read from it, so the tests do not depend on where the shared folder lives.
"""

from __future__ import annotations

import contextlib
import io
import struct
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from PIL import Image

from manhwa import processes

SERVER_DIR = Path(__file__).resolve().parents[1]
TOWER = "60c01dc6-0a5c-4e46-a115-a934ebc404f2"
CARETAKER = "888dc5f6-be71-4b10-bebc-dacff5aec95f"
UNTITLED_CH3 = "e5fab167-6ebc-43aa-8e5d-6f77ef875948"
EXTERNAL_CH1 = "0067b350-9248-41c4-8aaa-97fa059ee38a"
MANGAHERE = {"Referer": "https://mangahere.cc"}
GENERIC_500 = {"message": "Something went wrong. Please try again later."}
FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}


@contextlib.contextmanager
def _running_server(log_path: Path) -> Iterator[str]:
    """Start `python -m demo_source`, wait until it answers, always stop it."""
    port = processes.free_port()
    base = f"http://127.0.0.1:{port}"
    process = processes.spawn(
        [sys.executable, "-m", "demo_source", "--host", "127.0.0.1", "--port", str(port)],
        log=log_path,
        cwd=SERVER_DIR,
    )
    try:
        processes.wait_http(base + "/", process, timeout=20)
        yield base
    finally:
        processes.stop(process, timeout=5)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with _running_server(tmp_path_factory.mktemp("demo") / "server.log") as base:
        yield base


@pytest.fixture(scope="module")
def client(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, trust_env=False, timeout=10) as http:
        yield http


@pytest.fixture(autouse=True)
def _no_faults(client: httpx.Client) -> Iterator[None]:
    yield
    client.delete("/_control/faults")


def _json(response: httpx.Response) -> Any:
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    return response.json()


def _image(body: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(body))
    image.load()
    return image


def _faults(client: httpx.Client, **config: Any) -> None:
    response = client.put("/_control/faults", json=config)
    assert response.status_code == 200, response.text


def _dex_page_url(client: httpx.Client, number: int = 1) -> str:
    pages = _json(client.get(f"/manga/mangadex/read/{UNTITLED_CH3}"))
    url: str = pages[number - 1]["img"]
    return url


# --- Consumet's non-data routes ------------------------------------------------------------


def test_welcome_routes_are_plain_text(client: httpx.Client) -> None:
    root = client.get("/")
    assert root.headers["content-type"] == "text/plain; charset=utf-8"
    assert root.text == "Welcome to consumet api! 🎉 \n"
    manga = client.get("/manga")
    assert manga.text.startswith("Welcome to Consumet Manga our available providers are: ")
    assert manga.text.endswith("MangaDex, MangaReader, MangaKakalot, ComicK, Comix")


def test_provider_intro_and_provider_list(client: httpx.Client) -> None:
    intro = _json(client.get("/manga/mangadex"))
    assert intro["routes"] == ["/:query", "/info/:id", "/read/:chapterId"]
    providers = _json(client.get("/utils/providers", params={"type": "MANGA"}))
    names = [provider["name"] for provider in providers]
    assert names == sorted(names) and len(names) == 8 and "WeebCentral" in names


def test_unmatched_routes_answer_like_consumet(client: httpx.Client) -> None:
    unknown = client.get("/manga/comick")
    assert unknown.status_code == 404
    assert _json(unknown) == {"message": "Page not found, please check the provider list."}
    for path in ("/manga/comick/foo", "/manga/mangahere/info/extra", "/nowhere"):
        other = client.get(path)
        assert other.status_code == 404
        assert _json(other) == {"message": "", "error": "page not found"}
    post = client.post("/manga/mangadex/x")
    assert post.status_code == 404
    assert _json(post)["message"] == "Route POST:/manga/mangadex/x not found"
    loop = client.get("/manga/MangaDex")
    assert loop.status_code == 302 and loop.headers["location"] == "/manga/MangaDex"


# --- mangadex -------------------------------------------------------------------------------


def test_mangadex_current_page_is_a_number_without_page_and_a_string_with_it(
    client: httpx.Client,
) -> None:
    first = _json(client.get("/manga/mangadex/tower"))
    assert first["currentPage"] == 1 and isinstance(first["currentPage"], int)
    assert set(first) == {"currentPage", "results"}
    second = _json(client.get("/manga/mangadex/anthology", params={"page": "2"}))
    assert second["currentPage"] == "2"


def test_mangadex_search_pages_by_twenty_until_empty(client: httpx.Client) -> None:
    counts = [
        len(_json(client.get("/manga/mangadex/anthology", params={"page": str(n)}))["results"])
        for n in (1, 2, 3)
    ]
    assert counts == [20, 5, 0]


@pytest.mark.parametrize("page", ["0", "-1", "abc", "", "501"])
def test_mangadex_search_with_a_bad_page_is_a_500(client: httpx.Client, page: str) -> None:
    response = client.get("/manga/mangadex/tower", params={"page": page})
    assert response.status_code == 500
    assert _json(response) == GENERIC_500


def test_mangadex_search_result_shape(client: httpx.Client) -> None:
    results = _json(client.get("/manga/mangadex/DAWN"))["results"]
    by_id = {result["id"]: result for result in results}
    tower = by_id[TOWER]
    assert list(tower) == [
        "id", "title", "altTitles", "description", "status", "releaseDate",
        "contentRating", "lastVolume", "lastChapter", "image",
    ]  # fmt: skip
    assert tower["status"] == "ongoing" and {"ko": "새벽의 탑"} in tower["altTitles"]
    caretaker = by_id[CARETAKER]
    assert caretaker["title"] == "Saebyeok Gwanriin"  # romanised: the first title-map value
    assert "description" not in caretaker and caretaker["lastChapter"] is None


@pytest.mark.parametrize("query", ["%20", "no%20such%20title", "read", "info"])
def test_mangadex_blank_or_unknown_query_finds_nothing(client: httpx.Client, query: str) -> None:
    assert _json(client.get(f"/manga/mangadex/{query}")) == {"currentPage": 1, "results": []}


def test_mangadex_info_shape_and_chapter_quirks(client: httpx.Client) -> None:
    info = _json(client.get(f"/manga/mangadex/info/{TOWER}"))
    keys = list(info)
    assert keys[0] == "id" and keys[-1] == "image"
    assert info["title"] == "Tower of Dawn" and info["status"] == "Ongoing"
    assert isinstance(info["description"], dict) and "en" in info["description"]
    chapters = info["chapters"]
    assert all(
        set(ch) == {"id", "title", "chapterNumber", "volumeNumber", "pages"} for ch in chapters
    )
    assert [ch["chapterNumber"] for ch in chapters] == ["6", "5", "4", "4", "3", "2", "1"]
    assert chapters[0]["volumeNumber"] is None
    untitled = next(ch for ch in chapters if ch["id"] == UNTITLED_CH3)
    assert untitled["title"] == "3" and untitled["pages"] == 8
    external = next(ch for ch in chapters if ch["id"] == EXTERNAL_CH1)
    assert external["pages"] == 0
    assert _json(client.get(f"/manga/mangadex/read/{EXTERNAL_CH1}")) == []


def test_mangadex_info_without_english_title_omits_title(client: httpx.Client) -> None:
    info = _json(client.get(f"/manga/mangadex/info/{CARETAKER}"))
    assert "title" not in info
    assert info["description"] == {} and info["chapters"] == []


def test_mangadex_info_without_id_is_a_search_for_info(client: httpx.Client) -> None:
    assert _json(client.get("/manga/mangadex/info")) == {"currentPage": 1, "results": []}


def test_mangadex_pages_are_one_based_jpegs_without_referer(client: httpx.Client) -> None:
    pages = _json(client.get(f"/manga/mangadex/read/{UNTITLED_CH3}"))
    assert [page["page"] for page in pages] == list(range(1, 9))
    assert all(set(page) == {"img", "page"} for page in pages)
    for page in pages:
        assert page["img"].startswith(str(client.base_url).rstrip("/") + "/img/")
        response = client.get(page["img"])
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/jpeg"
        assert int(response.headers["content-length"]) == len(response.content)
        assert 15_000 < len(response.content) < 80_000
        image = _image(response.content)
        assert (image.format, image.size) == ("JPEG", (800, 1200))


# --- mangahere ------------------------------------------------------------------------------


def test_mangahere_search_says_next_page_even_on_the_only_page(client: httpx.Client) -> None:
    first = _json(client.get("/manga/mangahere/webtoon"))
    assert first["currentPage"] == 1 and first["hasNextPage"] is True
    (result,) = first["results"]
    assert list(result) == ["id", "title", "headerForImage", "image", "description", "status"]
    assert result["id"] == "demo_webtoon_strip" and result["headerForImage"] == MANGAHERE
    past = _json(client.get("/manga/mangahere/webtoon", params={"page": "2"}))
    assert past == {"currentPage": "2", "results": [], "hasNextPage": True}
    cover = client.get(result["image"], headers=MANGAHERE)
    assert cover.status_code == 200 and _image(cover.content).format == "JPEG"


def test_mangahere_info_uses_headers_and_released_date(client: httpx.Client) -> None:
    info = _json(client.get("/manga/mangahere/info", params={"id": "demo_webtoon_strip"}))
    assert list(info) == [
        "id", "title", "description", "headers", "image", "genres", "status", "rating",
        "authors", "chapters",
    ]  # fmt: skip
    assert info["headers"] == MANGAHERE and "headerForImage" not in info
    ids = [chapter["id"] for chapter in info["chapters"]]
    assert ids == [
        "demo_webtoon_strip/c004",
        "demo_webtoon_strip/c003",
        "demo_webtoon_strip/c002.5",
        "demo_webtoon_strip/v01/c002",
        "demo_webtoon_strip/v01/c001",
    ]
    assert info["chapters"][0]["releasedDate"] == "Nov 14,2025"
    knights = _json(client.get("/manga/mangahere/info", params={"id": "pixel_knights"}))
    assert knights["rating"] is None


def test_mangahere_pages_are_zero_based_and_need_a_referer(client: httpx.Client) -> None:
    chapter = "demo_webtoon_strip/v01/c002"
    pages = _json(client.get("/manga/mangahere/read", params={"chapterId": chapter}))
    assert [page["page"] for page in pages] == list(range(10))
    referer = f"https://mangahere.cc/manga/{chapter}/1.html"
    assert all(page["headerForImage"] == {"Referer": referer} for page in pages)
    assert client.get(pages[0]["img"]).status_code == 403
    assert (
        client.get(pages[0]["img"], headers={"Referer": "https://example.org"}).status_code == 403
    )
    formats = set()
    for page in pages[:2]:
        response = client.get(page["img"], headers=page["headerForImage"])
        assert response.status_code == 200
        image = _image(response.content)
        assert image.size == (720, 2400)
        assert response.headers["content-type"] == f"image/{image.format.lower()}"
        formats.add(image.format)
    assert formats == {"PNG", "WEBP"}


def test_packed_referer_is_unusable_and_the_default_works(client: httpx.Client) -> None:
    pages = _json(
        client.get("/manga/mangahere/read", params={"chapterId": "demo_webtoon_strip/c003"})
    )
    first = pages[0]
    packed = first["headerForImage"]["Referer"]
    assert packed.startswith("//127.0.0.1:") and first["img"] == "http:" + packed
    assert client.get(first["img"], headers={"Referer": packed}).status_code == 403
    assert client.get(first["img"], headers=MANGAHERE).status_code == 200


def test_gif_pages_are_served_as_gif(client: httpx.Client) -> None:
    pages = _json(client.get("/manga/mangahere/read", params={"chapterId": "pixel_knights/c001"}))
    response = client.get(pages[1]["img"], headers=MANGAHERE)
    assert response.headers["content-type"] == "image/gif"
    assert _image(response.content).format == "GIF"


def test_missing_ids_are_400_and_unknown_ids_are_500(client: httpx.Client) -> None:
    for path, message in (
        ("/manga/mangahere/info", "id is required"),
        ("/manga/mangahere/info?id=", "id is required"),
        ("/manga/mangahere/read", "chapterId is required"),
    ):
        response = client.get(path)
        assert response.status_code == 400 and _json(response) == {"message": message}
    for path in (
        "/manga/mangadex/info/00000000-0000-4000-8000-000000000000",
        "/manga/mangadex/read/00000000-0000-4000-8000-000000000000",
        "/manga/mangahere/info?id=no_such_manga",
        "/manga/mangahere/read?chapterId=demo_webtoon_strip/c999",
        "/manga/mangahere/info?id=bench_0x1_10",
        "/manga/mangahere/read?chapterId=bench_2x2_10/c003",
    ):
        response = client.get(path)
        assert response.status_code == 500 and _json(response) == GENERIC_500, path


def test_ssrf_lab_hands_out_loopback_spellings_only(client: httpx.Client) -> None:
    pages = _json(client.get("/manga/mangahere/read", params={"chapterId": "ssrf_lab/c001"}))
    hosts = [urlsplit(page["img"]).hostname for page in pages]
    assert hosts == ["127.1", "2130706433", "::ffff:127.0.0.1", "localhost", "0.0.0.0", "127.0.0.1"]
    bounce = client.get(pages[-1]["img"])
    assert bounce.status_code == 302
    target = urlsplit(bounce.headers["location"])
    assert target.hostname == "127.0.0.2" and target.path.startswith("/img/mangahere/ssrf_lab/")
    assert parse_qs(urlsplit(pages[-1]["img"]).query)["to"] == [bounce.headers["location"]]


# --- benchmark series -----------------------------------------------------------------------


def test_bench_series_has_the_requested_shape_and_page_sizes(client: httpx.Client) -> None:
    info = _json(client.get("/manga/mangahere/info", params={"id": "bench_3x4_40"}))
    assert [ch["id"] for ch in info["chapters"]] == [f"bench_3x4_40/c00{n}" for n in (3, 2, 1)]
    pages = _json(client.get("/manga/mangahere/read", params={"chapterId": "bench_3x4_40/c002"}))
    assert [page["page"] for page in pages] == [0, 1, 2, 3]
    for page in pages:
        response = client.get(page["img"], headers=page["headerForImage"])
        assert abs(len(response.content) - 40 * 1024) <= 4 * 1024
        image = _image(response.content)
        assert image.format == "JPEG" and image.size[0] == 1200
    assert not _json(client.get("/manga/mangahere/bench"))["results"]


# --- stability ------------------------------------------------------------------------------


def _sample_images(http: httpx.Client) -> dict[str, bytes]:
    """path → bytes for one page of each kind (JPEG, PNG, WebP, GIF, cover, benchmark)."""
    urls = [(_dex_page_url(http, 2), {})]
    for chapter, index in (
        ("demo_webtoon_strip/c004", 0),
        ("demo_webtoon_strip/c004", 1),
        ("pixel_knights/c002", 3),
        ("bench_2x2_30/c001", 1),
    ):
        pages = http.get("/manga/mangahere/read", params={"chapterId": chapter}).json()
        urls.append((pages[index]["img"], MANGAHERE))
    info = http.get("/manga/mangahere/info", params={"id": "tower_of_dawn"}).json()
    urls.append((info["image"], MANGAHERE))
    found = {}
    for url, headers in urls:
        response = http.get(url, headers=headers)
        assert response.status_code == 200
        found[urlsplit(url).path] = response.content
    return found


def test_image_bytes_are_stable_across_restarts(client: httpx.Client, tmp_path: Path) -> None:
    first = _sample_images(client)
    assert {_image(body).format for body in first.values()} == FORMATS
    with (
        _running_server(tmp_path / "second.log") as other,
        httpx.Client(base_url=other, trust_env=False, timeout=10) as http,
    ):
        second = _sample_images(http)
    assert first == second


# --- faults ---------------------------------------------------------------------------------


def test_fault_config_round_trips_and_resets(client: httpx.Client) -> None:
    rule = {"match": "/img/", "action": "status", "status": 503, "times": 2}
    _faults(client, latency_ms=5, rules=[rule])
    current = _json(client.get("/_control/faults"))
    assert current["latency_ms"] == 5 and current["rules"][0]["times"] == 2
    assert current["rules"][0]["retry_after"] is None
    assert client.put("/_control/faults", json={"rules": [{"match": "x"}]}).status_code == 422
    assert client.put("/_control/faults", json={"error_rate": 2}).status_code == 422
    reset = _json(client.delete("/_control/faults"))
    assert reset["rules"] == [] and reset["latency_ms"] == 0 and reset["retry_after"] == 1


def test_status_rule_applies_the_first_n_times_with_retry_after(client: httpx.Client) -> None:
    url = _dex_page_url(client)
    rule = {"match": "/8.jpg", "action": "status", "status": 503, "times": 2, "retry_after": 7}
    _faults(client, rules=[rule])
    url = url.replace("/1.jpg", "/8.jpg")
    statuses = [client.get(url) for _ in range(3)]
    assert [r.status_code for r in statuses] == [503, 503, 200]
    assert statuses[0].headers["retry-after"] == "7"


def test_status_rule_on_an_api_route_sends_consumet_body(client: httpx.Client) -> None:
    _faults(client, rules=[{"match": "chapterId=demo_webtoon_strip/c004", "action": "status"}])
    hit = client.get("/manga/mangahere/read", params={"chapterId": "demo_webtoon_strip/c004"})
    assert hit.status_code == 500 and _json(hit) == GENERIC_500
    other = client.get("/manga/mangahere/read", params={"chapterId": "demo_webtoon_strip/c003"})
    assert other.status_code == 200


def test_truncate_rule_sends_half_an_image(client: httpx.Client) -> None:
    url = _dex_page_url(client)
    full = client.get(url).content
    _faults(client, rules=[{"match": url.split("/img/")[1], "action": "truncate", "times": 1}])
    cut = client.get(url)
    assert cut.status_code == 200 and cut.content == full[: len(full) // 2]
    assert int(cut.headers["content-length"]) == len(cut.content)
    with pytest.raises(OSError):
        _image(cut.content)
    assert client.get(url).content == full


def test_not_image_rule_sends_html_labelled_jpeg(client: httpx.Client) -> None:
    _faults(client, rules=[{"match": "/img/", "action": "not_image"}])
    response = client.get(_dex_page_url(client))
    assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
    assert response.content.startswith(b"<!DOCTYPE html>")


def test_huge_rule_sends_a_small_decompression_bomb(client: httpx.Client) -> None:
    _faults(client, rules=[{"match": "/img/", "action": "huge"}])
    response = client.get(_dex_page_url(client))
    assert response.headers["content-type"] == "image/png" and len(response.content) < 2048
    width, height = struct.unpack(">II", response.content[16:24])
    assert (width, height) == (30000, 30000)
    with pytest.raises(Image.DecompressionBombError):
        Image.open(io.BytesIO(response.content))


def test_slow_rule_dribbles_the_body(client: httpx.Client) -> None:
    url = _dex_page_url(client)
    size = len(client.get(url).content)
    _faults(client, rules=[{"match": "/img/", "action": "slow"}])
    received = 0
    started = time.monotonic()
    with client.stream("GET", url) as response:
        assert int(response.headers["content-length"]) == size
        for chunk in response.iter_raw():
            received += len(chunk)
            if time.monotonic() - started > 0.45:
                break
    assert 0 < received < 200


@pytest.mark.parametrize(("action", "declared"), [("endless", None), ("oversize", 2 * 1024**3)])
def test_endless_bodies_stream_until_the_client_leaves(
    client: httpx.Client, action: str, declared: int | None
) -> None:
    _faults(client, rules=[{"match": "/img/", "action": action}])
    received = 0
    with client.stream("GET", _dex_page_url(client)) as response:
        assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
        length = response.headers.get("content-length")
        assert (int(length) if length else None) == declared
        for chunk in response.iter_raw():
            if received == 0:
                assert chunk.startswith(b"\xff\xd8\xff")
            received += len(chunk)
            if received > 3 * 1024 * 1024:
                break
    assert received > 3 * 1024 * 1024
    client.delete("/_control/faults")
    assert client.get("/").status_code == 200, "the server is fine after the client left"


def test_latency_spikes_hit_the_given_share_of_images(client: httpx.Client) -> None:
    url = _dex_page_url(client)
    _faults(client, spike_rate=1.0, spike_ms=300)
    started = time.monotonic()
    client.get(url)
    assert time.monotonic() - started >= 0.3
    _faults(client, spike_rate=0.0, spike_ms=300)
    started = time.monotonic()
    client.get(url)
    assert time.monotonic() - started < 0.3


def test_hang_rule_never_answers(client: httpx.Client) -> None:
    _faults(client, rules=[{"match": "/img/", "action": "hang", "times": 1}])
    url = _dex_page_url(client)
    with pytest.raises(httpx.ReadTimeout):
        client.get(url, timeout=0.4)
    assert client.get(url).status_code == 200


def test_redirect_rule_sends_a_302(client: httpx.Client) -> None:
    target = "http://127.0.0.1:9/elsewhere.jpg"
    _faults(client, rules=[{"match": "/img/", "action": "redirect", "location": target}])
    response = client.get(_dex_page_url(client))
    assert response.status_code == 302 and response.headers["location"] == target


def test_empty_pages_rule_only_touches_read_routes(client: httpx.Client) -> None:
    _faults(client, rules=[{"match": "/manga/", "action": "empty_pages"}])
    assert _json(client.get(f"/manga/mangadex/read/{UNTITLED_CH3}")) == []
    assert _json(client.get(f"/manga/mangadex/info/{TOWER}"))["chapters"]
    read = client.get("/manga/mangahere/read", params={"chapterId": "pixel_knights/c001"})
    assert _json(read) == []


def test_pages_rule_hands_out_the_given_urls_on_read_routes_only(client: httpx.Client) -> None:
    urls = ["http://0177.0.0.1:{port}/img/x.jpg", "http:///nohost.jpg"]
    _faults(client, rules=[{"match": "/manga/", "action": "pages", "urls": urls}])
    pages = _json(client.get(f"/manga/mangadex/read/{UNTITLED_CH3}"))
    port = urlsplit(str(client.base_url)).port
    assert pages == [
        {"img": f"http://0177.0.0.1:{port}/img/x.jpg", "page": 1},
        {"img": "http:///nohost.jpg", "page": 2},
    ]
    assert _json(client.get(f"/manga/mangadex/info/{TOWER}"))["chapters"]
    response = client.put("/_control/faults", json={"rules": [{"match": "/", "action": "pages"}]})
    assert response.status_code == 422


def test_rates_hit_images_only(client: httpx.Client) -> None:
    url = _dex_page_url(client)
    _faults(client, error_rate=1.0)
    assert client.get(url).status_code == 500
    assert client.get(f"/manga/mangadex/info/{TOWER}").status_code == 200
    _faults(client, rate_429=1.0, retry_after=4)
    limited = client.get(url)
    assert limited.status_code == 429 and limited.headers["retry-after"] == "4"
    full = client.get(f"/manga/mangadex/info/{TOWER}")  # API untouched by truncate_rate too
    _faults(client, truncate_rate=1.0)
    assert _json(client.get(f"/manga/mangadex/info/{TOWER}")) == full.json()
    with pytest.raises(OSError):
        _image(client.get(url).content)
    _faults(client, timeout_rate=1.0)
    with pytest.raises(httpx.ReadTimeout):
        client.get(url, timeout=0.4)


def test_seeded_rates_repeat_the_same_sequence(client: httpx.Client) -> None:
    url = _dex_page_url(client)
    runs = []
    for _ in range(2):
        _faults(client, error_rate=0.5, seed=42)
        runs.append([client.get(url).status_code for _ in range(12)])
    assert runs[0] == runs[1] and {500, 200} == set(runs[0])


def test_latency_and_bandwidth_slow_responses_down(client: httpx.Client) -> None:
    url = _dex_page_url(client)
    full = client.get(url).content
    _faults(client, api_latency_ms=300)
    started = time.monotonic()
    client.get(f"/manga/mangadex/info/{TOWER}")
    assert time.monotonic() - started >= 0.3
    _faults(client, latency_ms=300)
    started = time.monotonic()
    client.get(url)
    assert time.monotonic() - started >= 0.3
    _faults(client, bandwidth_kbps=800)  # 100 kB/s
    started = time.monotonic()
    assert client.get(url).content == full
    assert time.monotonic() - started >= len(full) / 100_000 * 0.8


def test_stats_count_requests_per_path(client: httpx.Client) -> None:
    client.delete("/_control/stats")
    client.get("/manga/mangahere/info", params={"id": "pixel_knights"})
    client.get("/manga/mangahere/info", params={"id": "tower_of_dawn"})
    client.get("/nowhere")
    stats = _json(client.get("/_control/stats"))
    hosts = stats.pop("hosts")
    assert stats == {"hits": {"/manga/mangahere/info": 2, "/nowhere": 1}, "total": 3}
    assert list(hosts) == ["consumet:mangahere"]  # per budget name; `/nowhere` names none
    assert hosts["consumet:mangahere"]["served"] == 2
    assert hosts["consumet:mangahere"]["max_concurrent"] == 1
    assert hosts["consumet:mangahere"]["open"] == 0
    assert _json(client.delete("/_control/stats")) == {"hits": {}, "total": 0, "hosts": {}}


def test_bench_series_copies_are_distinct_series_with_the_same_pages(client: httpx.Client) -> None:
    one = _json(client.get("/manga/mangahere/info", params={"id": "bench_2x3_5-1"}))
    two = _json(client.get("/manga/mangahere/info", params={"id": "bench_2x3_5-2"}))
    assert one["id"] == "bench_2x3_5-1" and one["title"] != two["title"]
    assert [c["id"] for c in one["chapters"]] == ["bench_2x3_5-1/c002", "bench_2x3_5-1/c001"]
    page = "/img/mangahere/bench_2x3_5-{}/c001/001.jpg"
    first, second = (client.get(page.format(n), headers=MANGAHERE) for n in (1, 2))
    assert first.status_code == 200 and first.content == second.content
    # One spelling per copy, so a series has one id.
    assert client.get("/manga/mangahere/info", params={"id": "bench_2x3_5-01"}).status_code >= 400

"""Page options through the in-process pipeline (real Redis, the real page pool, a
MockTransport source): split pieces numbered in order, ComicInfo counting them, hostile pages
failing only their chapter with a reason."""

from __future__ import annotations

import io
import random
import re
import struct
import zipfile
import zlib
from pathlib import Path

from PIL import Image

from manhwa.config import Settings
from manhwa.jobs import SUCCESS, JobSpec, JobStore
from manhwa.pageops import Encode, PageOptions, SplitTall

from .fake_source import FakeSource
from .test_pipeline import run, run_with, settings  # noqa: F401  (the fixture)

SPLIT = SplitTall(ratio=3.0, target_height=200)


def tall_png(seed: int, height: int = 700) -> bytes:
    rng = random.Random(seed)
    image = Image.frombytes("RGB", (60, height), rng.randbytes(60 * height * 3))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def bomb_png(width: int, height: int) -> bytes:
    """A 1-bit PNG of `width`×`height` zeros: a few KB that decode to width×height pixels."""
    return _png(
        struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0),
        zlib.compress(b"\x00" * ((width + 7) // 8 + 1) * height, 9),
    )


def undecodable_png() -> bytes:
    """Whole structure, valid CRCs (the header checks pass), but the pixel data is not zlib."""
    return _png(
        struct.pack(">IIBBBBB", 60, 700, 8, 2, 0, 0, 0), b"\x78\x9c" + bytes(range(256)) * 4
    )


def _png(ihdr: bytes, idat: bytes) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def job_spec(source: FakeSource, options: PageOptions, *ids: str) -> JobSpec:
    return JobSpec(
        source.provider, ids, title=f"Pages {random.random()}", series_id="series", pages=options
    )


def test_split_and_encode_number_pieces_in_order_and_comicinfo_counts_them(
    settings: Settings,  # noqa: F811
) -> None:
    source = FakeSource()
    urls = source.add_chapter("c1", "1", 3)
    source.images[urls[0]] = tall_png(1)  # 700 px: 200, 200, 200, 100
    source.images[urls[2]] = tall_png(2, 1000)  # 5 × 200 (a rest of target + 25 % stays whole)
    options = PageOptions(SPLIT, Encode("png"))

    async def scenario(store: JobStore) -> Path:
        job_id, state = await run_with(settings, store, source, job_spec(source, options, "c1"))
        assert state == SUCCESS
        job = await store.get(job_id)
        assert job is not None and job.encode == "png" and job.split_tall is not None
        assert (job.pages_done, job.pages_total) == (3, 3)  # source pages
        return Path((await store.get_raw(job_id) or {})["file_path"])

    path = run(settings, scenario)
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        info = zf.read("ComicInfo.xml").decode()
        images = [Image.open(io.BytesIO(zf.read(n))) for n in names if n != "ComicInfo.xml"]
    assert names[:-1] == [f"{n:04d}.png" for n in range(1, 11)]
    assert [im.height for im in images] == [200, 200, 200, 100, 32, 200, 200, 200, 200, 200]
    assert "<PageCount>10</PageCount>" in info
    assert re.findall(r'ImageHeight="(\d+)"', info) == [str(im.height) for im in images]
    # the pieces of page 1 are page 1, pixel for pixel
    whole = Image.new("RGB", (60, 700))
    for top, piece in zip((0, 200, 400, 600), images[:4], strict=True):
        whole.paste(piece, (0, top))
    assert whole.tobytes() == Image.open(io.BytesIO(source.images[urls[0]])).tobytes()


def test_hostile_pages_in_the_middle_fail_only_their_chapter_with_a_reason(
    settings: Settings,  # noqa: F811
) -> None:
    settings = settings.model_copy(update={"image_max_pixels": 4_000_000, "image_retries": 0})
    source = FakeSource()
    bombed = source.add_chapter("c1", "1", 3)
    broken = source.add_chapter("c2", "2", 3)
    source.add_chapter("c3", "3", 3)
    source.images[bombed[1]] = bomb_png(20_000, 20_000)  # 400 MP in ~50 KB
    source.images[broken[1]] = undecodable_png()  # passes the header checks; fails in the pool
    options = PageOptions(SPLIT, Encode("webp", 80))

    async def scenario(store: JobStore) -> tuple[str, dict[str, str], Path]:
        job_id, state = await run_with(
            settings, store, source, job_spec(source, options, "c1", "c2", "c3")
        )
        job = await store.get(job_id)
        assert job is not None
        reasons = {f.chapter_id: f.reason for f in job.failed}
        return state, reasons, Path((await store.get_raw(job_id) or {})["file_path"])

    state, reasons, path = run(settings, scenario)
    assert state == SUCCESS
    assert reasons["c1"].startswith("page 2: image too large")
    assert reasons["c2"].startswith("page 2: cannot decode PNG")
    with zipfile.ZipFile(path) as zf:  # the one chapter left is the download
        assert [n for n in zf.namelist() if n.endswith(".webp")] == [
            "0001.webp",
            "0002.webp",
            "0003.webp",
        ]

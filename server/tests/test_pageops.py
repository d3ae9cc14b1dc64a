"""pageops: page options parsing, the split (cut rows, reassembly), re-encoding with colour
profile and orientation kept, decode bounds, and the process pool surviving a crashing page."""

from __future__ import annotations

import asyncio
import io
import itertools
import os
import random

import pytest
from PIL import Image, ImageCms

from manhwa.pageops import Encode, InvalidPageOptions, PageOptions, PagePool, SplitTall
from manhwa.pageops.pool import PageCrashed
from manhwa.pageops.shape import ShapeFailed, cut_rows, is_tall, shape_page

MAX_PIXELS = 64_000_000
TARGET = 1000
SPLIT = SplitTall(ratio=3.0, target_height=TARGET)


def noise(width: int, height: int, seed: int = 1) -> Image.Image:
    """Detail everywhere: no row is uniform, so cuts fall exactly on the target."""
    rng = random.Random(seed)
    return Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))


def encoded(image: Image.Image, fmt: str = "PNG", **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def pieces_of(image: Image.Image, options: PageOptions, fmt: str = "PNG") -> list[Image.Image]:
    data = encoded(image, fmt)
    out = shape_page(data, fmt, image.width, image.height, options, MAX_PIXELS)
    return [Image.open(io.BytesIO(p.data)) for p in out]


# --- options ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "codec", "quality"),
    [
        ("original", "original", None),
        ("png", "png", None),
        ("jpeg:85", "jpeg", 85),
        ("WEBP:80", "webp", 80),
        ("jpg:1", "jpeg", 1),
        ("webp:100", "webp", 100),
    ],
)
def test_encode_parses_its_text_form(text: str, codec: str, quality: int | None) -> None:
    encode = Encode.parse(text)
    assert (encode.codec, encode.quality) == (codec, quality)


@pytest.mark.parametrize("text", ["gif", "jpeg", "jpeg:0", "webp:101", "avif:50", "", "png:5"])
def test_bad_encode_is_refused_with_a_reason(text: str) -> None:
    with pytest.raises(InvalidPageOptions, match="encode"):
        Encode.parse(text)


def test_default_options_change_nothing_and_round_trip() -> None:
    assert not PageOptions().active
    options = PageOptions(SplitTall(2.5, 1600), Encode.parse("webp:80"))
    assert options.active
    assert PageOptions.from_json(options.to_json()) == options
    assert PageOptions.from_json({"split_tall": True}) == PageOptions(SplitTall())


# --- split boundaries ------------------------------------------------------------------------


def test_a_page_exactly_at_the_ratio_is_not_split() -> None:
    width = 1000
    assert not is_tall(SPLIT, width, 3 * width)
    assert is_tall(SPLIT, width, 3 * width + 1)
    assert not is_tall(SPLIT, 100, 1250)  # taller than 3×, but one piece: stored as it came
    assert cut_rows(noise(width // 10, 300), SplitTall(3.0, 200)) == [0, 300]  # exactly 3×


def test_a_one_pixel_high_page_is_one_piece() -> None:
    image = noise(800, 1)
    assert cut_rows(image, SPLIT) == [0, 1]
    assert [p.size for p in pieces_of(image, PageOptions(SPLIT, Encode("png")))] == [(800, 1)]


def test_a_strip_of_one_colour_is_cut_at_the_target() -> None:
    image = Image.new("RGB", (300, 4500), (250, 250, 250))
    # Every row is a gutter, so the exact target wins; a rest up to target + 25 % stays whole.
    assert cut_rows(Image.new("RGB", (300, 1250)), SPLIT) == [0, 1250]
    assert cut_rows(image, SPLIT) == [0, 1000, 2000, 3000, 4000, 4500]


def test_a_30000_px_strip_is_cut_at_gutters_near_the_target() -> None:
    image = noise(200, 30000)
    gutters = [980, 2030, 3000]  # white rows near the first three cuts
    for y in gutters:
        image.paste((255, 255, 255), (0, y, 200, y + 1))
    cuts = cut_rows(image, SPLIT)
    assert cuts[0] == 0 and cuts[-1] == 30000
    assert cuts[1:4] == gutters  # bubbles are not cut: the gutter wins over the exact target
    heights = [b - a for a, b in itertools.pairwise(cuts)]
    assert all(750 <= h <= 1250 for h in heights), heights
    assert cuts[4] == 4000  # no gutter near: the exact target


def test_split_pieces_reassemble_pixel_exact_with_lossless_encode() -> None:
    image = noise(240, 3700, seed=7)
    image.paste((0, 0, 0), (0, 1900, 240, 1901))
    pieces = pieces_of(image, PageOptions(SPLIT, Encode("png")))
    assert [p.height for p in pieces] == [1000, 900, 1000, 800]
    whole = Image.new("RGB", image.size)
    top = 0
    for piece in pieces:
        whole.paste(piece, (0, top))
        top += piece.height
    assert whole.tobytes() == image.tobytes()


def test_split_keeps_the_source_format_with_encode_original() -> None:
    image = noise(200, 2500)
    out = shape_page(encoded(image, "JPEG"), "JPEG", 200, 2500, PageOptions(SPLIT), MAX_PIXELS)
    assert [(p.format, p.ext, p.height) for p in out] == [
        ("JPEG", "jpg", 1000),
        ("JPEG", "jpg", 1000),
        ("JPEG", "jpg", 500),
    ]


def test_a_plain_page_of_a_split_job_is_stored_byte_exact() -> None:
    data = encoded(noise(300, 400), "JPEG")
    out = shape_page(data, "JPEG", 300, 400, PageOptions(SPLIT), MAX_PIXELS)
    assert [p.data for p in out] == [data]


# --- encoding: colour and orientation ----------------------------------------------------------


@pytest.mark.parametrize("encode", ["jpeg:85", "webp:80", "png"])
def test_colour_profile_is_kept(encode: str) -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encoded(noise(64, 64), "JPEG", icc_profile=srgb)
    out = shape_page(data, "JPEG", 64, 64, PageOptions(encode=Encode.parse(encode)), MAX_PIXELS)
    assert Image.open(io.BytesIO(out[0].data)).info.get("icc_profile") == srgb


def test_exif_orientation_is_applied_to_the_pixels() -> None:
    image = noise(60, 20)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    data = encoded(image, "JPEG", exif=exif.tobytes())
    out = shape_page(data, "JPEG", 60, 20, PageOptions(encode=Encode("png")), MAX_PIXELS)
    stored = Image.open(io.BytesIO(out[0].data))
    assert stored.size == (20, 60)
    assert stored.getexif().get(0x0112) in (None, 1)


def test_transparency_becomes_white_in_jpeg() -> None:
    image = Image.new("RGBA", (10, 10), (0, 0, 0, 0))
    out = shape_page(
        encoded(image), "PNG", 10, 10, PageOptions(encode=Encode("jpeg", 90)), MAX_PIXELS
    )
    assert Image.open(io.BytesIO(out[0].data)).convert("RGB").getpixel((5, 5)) == (255, 255, 255)


# --- hostile input -----------------------------------------------------------------------------


def test_a_decompression_bomb_is_a_page_failure_with_a_reason() -> None:
    data = encoded(Image.new("1", (5000, 5000)))  # 25 MP of nothing: a few KB
    with pytest.raises(ShapeFailed, match="image too large"):
        shape_page(data, "PNG", 5000, 5000, PageOptions(encode=Encode("png")), 1_000_000)


def test_a_corrupt_body_is_a_page_failure_with_a_reason() -> None:
    data = encoded(noise(100, 100), "PNG")
    broken = data[:60] + bytes(200) + data[260:]
    with pytest.raises(ShapeFailed, match="cannot decode PNG"):
        shape_page(broken, "PNG", 100, 100, PageOptions(encode=Encode("png")), MAX_PIXELS)


# --- the pool ----------------------------------------------------------------------------------


def crash(code: int) -> int:
    """Kills its process without a Python exception, as a decoder segfault would."""
    os._exit(code)


def test_the_pool_survives_a_page_that_crashes_its_process() -> None:
    pool = PagePool(2)
    data = encoded(noise(50, 400))
    options = PageOptions(SplitTall(3.0, 200), Encode("png"))

    async def scenario() -> tuple[list[object], list[int]]:
        outcomes = await asyncio.gather(
            pool.run(shape_page, data, "PNG", 50, 400, options, MAX_PIXELS),
            pool.run(crash, 3),
            pool.run(shape_page, data, "PNG", 50, 400, options, MAX_PIXELS),
            return_exceptions=True,
        )
        after = await pool.run(shape_page, data, "PNG", 50, 400, options, MAX_PIXELS)
        return outcomes, [p.height for p in after]

    try:
        outcomes, after = asyncio.run(scenario())
    finally:
        pool.shutdown()
    assert isinstance(outcomes[1], PageCrashed)
    for good in (outcomes[0], outcomes[2]):
        assert isinstance(good, list) and sum(p.height for p in good) == 400
    assert sum(after) == 400

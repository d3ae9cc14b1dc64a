"""images.py: untrusted bodies are checked without a full decode; conversion and PDF output."""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib

import pytest
from PIL import Image, PngImagePlugin

from manhwa.images import ImageRejected, check_image
from manhwa.models import PageImage

MAX_PIXELS = 64_000_000


def make(fmt: str, size: tuple[int, int] = (40, 30), mode: str = "RGB", **options: object) -> bytes:
    """A real image from Pillow, with some detail so encoders don't collapse it."""
    im = Image.linear_gradient("L").resize(size).convert(mode)
    out = io.BytesIO()
    im.save(out, fmt, **options)
    return out.getvalue()


def animated_gif() -> bytes:
    frames = [Image.new("P", (20, 10), color) for color in (1, 2, 3)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return out.getvalue()


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def huge_png(width: int, height: int) -> bytes:
    """A tiny, structurally valid PNG whose IHDR declares width x height."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


def reject_reason(data: bytes, **kwargs: object) -> str:
    with pytest.raises(ImageRejected) as info:
        check_image(data, 0, kwargs.pop("max_pixels", MAX_PIXELS), **kwargs)  # type: ignore[arg-type]
    return info.value.reason


@pytest.mark.parametrize(
    ("fmt", "ext"), [("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp"), ("GIF", "gif")]
)
def test_real_images_pass_with_their_size_and_extension(fmt: str, ext: str) -> None:
    data = make(fmt, (40, 30))
    page = check_image(data, 7, MAX_PIXELS)
    assert page == PageImage(7, data, fmt, ext, 40, 30)


@pytest.mark.parametrize(
    "data",
    [
        make("PNG", mode="RGBA"),
        make("PNG", mode="P"),
        make("PNG", mode="L"),
        make("JPEG", mode="L"),
        make("JPEG", progressive=True),
        make("WEBP", lossless=True),
        make("WEBP", mode="RGBA"),
        animated_gif(),
    ],
    ids=[
        "png-rgba",
        "png-p",
        "png-l",
        "jpeg-l",
        "jpeg-progressive",
        "webp-lossless",
        "webp-rgba",
        "gif-animated",
    ],
)
def test_common_variants_pass(data: bytes) -> None:
    assert check_image(data, 0, MAX_PIXELS).width > 0


def test_tall_webtoon_strip_passes() -> None:
    page = check_image(make("JPEG", (80, 20000)), 0, MAX_PIXELS)
    assert (page.width, page.height) == (80, 20000)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF"])
@pytest.mark.parametrize("cut", ["half", "last-byte"])
def test_truncated_images_are_rejected(fmt: str, cut: str) -> None:
    data = make(fmt, (64, 64))
    truncated = data[: len(data) // 2] if cut == "half" else data[:-1]
    reason = reject_reason(truncated)
    assert reason.startswith(("truncated", "corrupt")), reason


@pytest.mark.parametrize(
    ("fmt", "reason"),
    [("JPEG", "truncated JPEG"), ("PNG", "truncated PNG"), ("GIF", "truncated GIF")],
)
def test_missing_end_marker_is_named(fmt: str, reason: str) -> None:
    data = make(fmt, (64, 64))
    end = {"JPEG": 2, "PNG": 12, "GIF": 1}[fmt]
    assert reject_reason(data[:-end]) == reason


def test_webp_riff_size_must_match_the_body() -> None:
    data = make("WEBP", (64, 64))
    assert reject_reason(data[:-4]) == "truncated WebP"
    assert reject_reason(data + b"\x00\x00") == "not an image: data after WebP end"


def test_padding_after_the_end_marker_is_tolerated() -> None:
    for fmt in ("JPEG", "PNG", "GIF"):
        data = make(fmt) + b"\x00" * 8 + b"\r\n"
        assert check_image(data, 0, MAX_PIXELS).format == fmt


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF"])
def test_payload_appended_after_an_image_is_rejected(fmt: str) -> None:
    data = make(fmt) + b"PK\x03\x04" + b"\x01" * 100
    reject_reason(data)


def test_png_with_a_bad_crc_is_rejected() -> None:
    data = bytearray(make("PNG", (64, 64)))
    idat = data.index(b"IDAT")
    data[idat + 10] ^= 0xFF
    assert reject_reason(bytes(data)) == "corrupt PNG"


@pytest.mark.parametrize(
    "data",
    [
        b"<!DOCTYPE html><html><body>Just a moment...</body></html>",
        b"  \n<html><head><title>403 Forbidden</title></head></html>",
        b'{"error": "rate limited"}',
        b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        random.Random(0).randbytes(4096),
        b"\x00" * 100,
    ],
    ids=["html", "html-whitespace", "json", "svg", "random", "zeros"],
)
def test_non_images_are_not_an_image(data: bytes) -> None:
    assert reject_reason(data) == "not an image"


def test_empty_body_is_rejected() -> None:
    assert reject_reason(b"") == "empty image body"


def test_html_in_front_of_an_image_is_not_an_image() -> None:
    assert reject_reason(b"<html><script>x()</script></html>" + make("PNG")) == "not an image"


def test_image_carrying_html_is_rejected() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<script>alert(document.cookie)</script>")
    data = make("PNG", pnginfo=info)
    assert reject_reason(data) == "not an image: contains HTML"


def test_bmp_is_a_format_not_allowed() -> None:
    assert reject_reason(make("BMP")) == "format BMP not allowed"


def test_tiff_is_a_format_not_allowed() -> None:
    assert reject_reason(make("TIFF")) == "format TIFF not allowed"


def test_allowed_formats_can_be_narrowed() -> None:
    assert reject_reason(make("PNG"), allowed=frozenset({"JPEG"})) == "format PNG not allowed"
    assert check_image(make("JPEG"), 0, MAX_PIXELS, frozenset({"JPEG"})).format == "JPEG"


def test_allowed_formats_we_cannot_check_are_a_programming_error() -> None:
    with pytest.raises(ValueError):
        check_image(make("PNG"), 0, MAX_PIXELS, frozenset({"PNG", "BMP"}))


def test_png_declaring_huge_dimensions_is_rejected_before_decoding() -> None:
    data = huge_png(30000, 30000)
    assert len(data) < 200
    assert reject_reason(data) == "image too large: 30000x30000 px"


def test_pillow_bomb_guard_does_not_interfere_with_our_limit() -> None:
    # 900 MP is far beyond Pillow's own limit (which would raise or warn under
    # filterwarnings=error); with our limit above it, the header-only check still passes.
    page = check_image(huge_png(30000, 30000), 0, max_pixels=10**10)
    assert (page.width, page.height) == (30000, 30000)


def test_pixel_limit_is_inclusive() -> None:
    data = make("PNG", (40, 30))
    assert check_image(data, 0, max_pixels=1200).width == 40
    assert reject_reason(data, max_pixels=1199) == "image too large: 40x30 px"


def test_webp_declaring_a_huge_canvas_is_rejected_before_libwebp_allocates_it() -> None:
    chunk = b"VP8X" + struct.pack("<I", 10) + b"\x00\x00\x00\x00"
    chunk += (16383 - 1).to_bytes(3, "little") * 2
    data = b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk
    assert reject_reason(data) == "image too large: 16383x16383 px"


def test_gif_declaring_a_huge_screen_is_rejected() -> None:
    data = make("GIF", (4, 4))
    data = data[:6] + struct.pack("<HH", 30000, 30000) + data[10:]
    assert reject_reason(data) == "image too large: 30000x30000 px"


def test_gif_frame_outside_the_screen_counts_towards_the_size() -> None:
    data = bytearray(make("GIF", (4, 4)))
    descriptor = data.index(b",", 13)
    data[descriptor + 5 : descriptor + 9] = struct.pack("<HH", 20000, 20000)
    assert reject_reason(bytes(data)) == "image too large: 20000x20000 px"


def test_rejection_carries_its_reason() -> None:
    error = ImageRejected("not an image")
    assert isinstance(error, Exception)
    assert error.reason == "not an image"
    assert str(error) == "not an image"


# --- polyglots ------------------------------------------------------------------------------


def test_jpeg_with_script_in_a_comment_segment_is_rejected() -> None:
    # A JPEG/HTML polyglot: valid image, markup in a COM segment for a browser that sniffs.
    data = make("JPEG")
    comment = b"<script>alert(1)</script>"
    segment = b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment
    assert check_image(data, 0, MAX_PIXELS).format == "JPEG"
    assert reject_reason(data[:2] + segment + data[2:]) == "not an image: contains HTML"


def test_gif_with_html_in_a_comment_extension_is_rejected() -> None:
    data = make("GIF", (4, 4))
    comment = b"<html><body>hi</body></html>"
    extension = b"\x21\xfe" + bytes([len(comment)]) + comment + b"\x00"
    screen = 13 + (3 << ((data[10] & 7) + 1) if data[10] & 0x80 else 0)
    assert reject_reason(data[:screen] + extension + data[screen:]) == "not an image: contains HTML"


def test_gifar_style_archive_after_the_trailer_is_rejected() -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("Evil.class", b"\xca\xfe\xba\xbe")
    assert reject_reason(make("GIF") + archive.getvalue()) == "not an image: data after GIF end"

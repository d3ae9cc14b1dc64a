"""Page images: structure checks for untrusted bodies (PDF output is `pdf.py`).

Image bodies come from an untrusted API. A full decode costs ~5 ms of CPU per page and would cap
throughput on 2 cores, so `check_image` reads headers only and checks each format's structure
(JPEG EOI marker, PNG chunk CRCs and IEND, GIF block chain and trailer, WebP RIFF size).

Pillow's own decompression-bomb guard runs inside `Image.open`; we instantiate the format's
plugin class directly instead, which skips it, and enforce our own `max_pixels` before anything
is decoded. Formats are sniffed from magic bytes, so no other Pillow plugin ever sees the data.
"""

from __future__ import annotations

import io
import re

from PIL import (
    GifImagePlugin,
    Image,
    ImageFile,
    ImageOps,
    JpegImagePlugin,
    PngImagePlugin,
    WebPImagePlugin,
)

from manhwa.models import PageImage

SUPPORTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "GIF"})
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
LABELS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP", "GIF": "GIF"}
PLUGINS: dict[str, type[ImageFile.ImageFile]] = {
    "JPEG": JpegImagePlugin.JpegImageFile,
    "PNG": PngImagePlugin.PngImageFile,
    "WEBP": WebPImagePlugin.WebPImageFile,
    "GIF": GifImagePlugin.GifImageFile,
}

# Bytes some servers pad files with; tolerated after an image's end marker.
_PADDING = b"\x00 \t\r\n"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_PNG_IEND = b"\x00\x00\x00\x00IEND\xaeB`\x82"
# Markup that has no business inside an image: an HTML/PHP polyglot. Each signature needs a
# following delimiter so random compressed bytes practically never match (< 1e-12 per byte).
_MARKUP = re.compile(rb"<(?i:script|html|iframe|\?php|!doctype\s+html)[\s>]")


class ImageRejected(Exception):
    """An image body we refuse to store; `reason` is short and shown to the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def check_image(
    data: bytes,
    index: int,
    max_pixels: int,
    allowed: frozenset[str] = SUPPORTED_FORMATS,
) -> PageImage:
    """Check an untrusted body is a whole image of an allowed format and size, without decoding.

    Raises ImageRejected with a short reason; returns the page ready to be archived.
    """
    unknown = allowed - SUPPORTED_FORMATS
    if unknown:
        raise ValueError(f"unsupported formats in allowed: {sorted(unknown)}")
    if not data:
        raise ImageRejected("empty image body")
    fmt = _sniff(data)
    if fmt not in SUPPORTED_FORMATS:
        if fmt is None:
            raise ImageRejected("not an image")
        raise ImageRejected(f"format {fmt} not allowed")
    if fmt not in allowed:
        raise ImageRejected(f"format {fmt} not allowed")
    label = LABELS[fmt]

    # Cheap structure checks first, and the header sizes of the formats whose Pillow plugin
    # does work proportional to the canvas when it opens (libwebp allocates it; GIF frames may
    # grow it), so an oversized image is refused before Pillow touches it.
    if fmt == "JPEG":
        if not _ends_with(data, b"\xff\xd9"):
            raise ImageRejected("truncated JPEG")
    elif fmt == "WEBP":
        _check_pixels(*_webp_size(data), max_pixels)
    elif fmt == "GIF":
        _check_pixels(*_gif_size(data), max_pixels)

    try:
        with PLUGINS[fmt](io.BytesIO(data)) as im:
            width, height = im.size
            _check_pixels(width, height, max_pixels)
            if fmt == "PNG":
                im.verify()
    except ImageRejected:
        raise
    except Image.DecompressionBombError as exc:
        # Only reachable when max_pixels is above Pillow's own limit.
        raise ImageRejected("image too large") from exc
    except Exception as exc:  # any parser error on hostile input is a rejection
        if fmt == "PNG" and "truncated" in str(exc).lower():
            raise ImageRejected("truncated PNG") from exc
        raise ImageRejected(f"corrupt {label}") from exc

    if fmt == "PNG" and not _ends_with(data, _PNG_IEND):
        # verify() stops at the IEND chunk's type; its CRC and what follows are ours to check.
        end = data.rfind(b"IEND") + 8
        if end > len(data):
            raise ImageRejected("truncated PNG")
        raise ImageRejected("not an image: data after PNG end")
    if _MARKUP.search(data):
        raise ImageRejected("not an image: contains HTML")
    return PageImage(index, data, fmt, EXTENSIONS[fmt], width, height)


def identify_image(data: bytes, index: int) -> PageImage:
    """Describe an image we stored ourselves (already checked): format and size from headers."""
    fmt = _sniff(data)
    if fmt not in SUPPORTED_FORMATS:
        raise ImageRejected("not an image")
    try:
        with PLUGINS[fmt](io.BytesIO(data)) as im:
            width, height = im.size
    except Exception as exc:
        raise ImageRejected(f"corrupt {LABELS[fmt]}") from exc
    return PageImage(index, data, fmt, EXTENSIONS[fmt], width, height)


# --- sniffing and per-format structure -------------------------------------------------------


def _sniff(data: bytes) -> str | None:
    """Name the format from magic bytes; None when the body is not a known image at all."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(PNG_MAGIC):
        return "PNG"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "WEBP"
    # Formats we can name in the rejection, though we never open them.
    if data.startswith(b"BM") and len(data) >= 18:
        if int.from_bytes(data[14:18], "little") in (12, 40, 52, 56, 64, 108, 124):
            return "BMP"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "TIFF"
    if data[4:8] == b"ftyp":
        brand = data[8:12]
        if brand in (b"avif", b"avis"):
            return "AVIF"
        if brand in (b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1"):
            return "HEIF"
    if data.startswith((b"\xff\x0a", b"\x00\x00\x00\x0cJXL \r\n\x87\n")):
        return "JPEG XL"
    if data.startswith(b"\x00\x00\x00\x0cjP  \r\n\x87\n"):
        return "JPEG 2000"
    if data.startswith(b"\x00\x00\x01\x00"):
        return "ICO"
    if data.startswith(b"8BPS"):
        return "PSD"
    if data.startswith(b"qoif"):
        return "QOI"
    return None


def _ends_with(data: bytes, marker: bytes) -> bool:
    """Whether the body ends with `marker`, ignoring padding, without copying the whole body."""
    tail = data[-65536:].rstrip(_PADDING)
    if len(tail) < len(marker) and len(data) > 65536:  # padding longer than the window
        tail = data.rstrip(_PADDING)
    return tail.endswith(marker)


def _check_pixels(width: int, height: int, max_pixels: int) -> None:
    if width * height > max_pixels:
        raise ImageRejected(f"image too large: {width}x{height} px")


def _webp_size(data: bytes) -> tuple[int, int]:
    """Check the RIFF size against the body and read the canvas size from the first chunk."""
    declared = int.from_bytes(data[4:8], "little") + 8
    if declared > len(data):
        raise ImageRejected("truncated WebP")
    if declared < len(data):
        raise ImageRejected("not an image: data after WebP end")
    if len(data) < 30:
        raise ImageRejected("truncated WebP")
    chunk = data[12:16]
    if chunk == b"VP8X":
        width = 1 + int.from_bytes(data[24:27], "little")
        height = 1 + int.from_bytes(data[27:30], "little")
    elif chunk == b"VP8 ":
        if data[23:26] != b"\x9d\x01\x2a":
            raise ImageRejected("corrupt WebP")
        width = int.from_bytes(data[26:28], "little") & 0x3FFF
        height = int.from_bytes(data[28:30], "little") & 0x3FFF
    elif chunk == b"VP8L":
        if data[20] != 0x2F:
            raise ImageRejected("corrupt WebP")
        bits = int.from_bytes(data[21:25], "little")
        width = (bits & 0x3FFF) + 1
        height = ((bits >> 14) & 0x3FFF) + 1
    else:
        raise ImageRejected("corrupt WebP")
    return width, height


def _gif_size(data: bytes) -> tuple[int, int]:
    """Walk the GIF block chain to its trailer; return the canvas every frame fits in."""
    n = len(data)
    if n < 13:
        raise ImageRejected("truncated GIF")
    width = int.from_bytes(data[6:8], "little")
    height = int.from_bytes(data[8:10], "little")
    flags = data[10]
    pos = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    frames = 0
    while True:
        if pos >= n:
            raise ImageRejected("truncated GIF")
        block = data[pos]
        if block == 0x3B:  # trailer
            pos += 1
            break
        if block == 0x21:  # extension: introducer, label, sub-blocks
            pos = _skip_sub_blocks(data, pos + 2)
        elif block == 0x2C:  # image descriptor
            if pos + 10 > n:
                raise ImageRejected("truncated GIF")
            left = int.from_bytes(data[pos + 1 : pos + 3], "little")
            top = int.from_bytes(data[pos + 3 : pos + 5], "little")
            right = left + int.from_bytes(data[pos + 5 : pos + 7], "little")
            bottom = top + int.from_bytes(data[pos + 7 : pos + 9], "little")
            width, height = max(width, right), max(height, bottom)
            local = data[pos + 9]
            pos += 10 + (3 << ((local & 7) + 1) if local & 0x80 else 0)
            pos = _skip_sub_blocks(data, pos + 1)  # after the LZW minimum code size
            frames += 1
        else:
            raise ImageRejected("corrupt GIF")
    if frames == 0:
        raise ImageRejected("corrupt GIF")
    if data[pos:].strip(_PADDING):
        raise ImageRejected("not an image: data after GIF end")
    # A frame outside the logical screen makes Pillow grow the canvas and run its own bomb
    # check, which warns; refuse such (malformed) files before that can happen.
    screen = int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
    pillow_limit = Image.MAX_IMAGE_PIXELS
    if (width, height) != screen and pillow_limit is not None and width * height > pillow_limit:
        raise ImageRejected(f"image too large: {width}x{height} px")
    return width, height


def _skip_sub_blocks(data: bytes, pos: int) -> int:
    n = len(data)
    while True:
        if pos >= n:
            raise ImageRejected("truncated GIF")
        size = data[pos]
        pos += 1 + size
        if size == 0:
            return pos


def decode(img: PageImage) -> Image.Image:
    """Fully decode a checked page (first frame), upright per its EXIF orientation."""
    with PLUGINS[img.format](io.BytesIO(img.data)) as im:
        im.load()
        return ImageOps.exif_transpose(im)

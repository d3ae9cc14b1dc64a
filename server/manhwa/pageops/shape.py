"""Shaping one checked page: decode (bounded), turn it upright, split a tall strip, re-encode.

Runs in the page pool's processes (`pool.py`), never on the event loop. Its input has already
passed `images.check_image` (format sniffed, structure and the pixel cap read from headers), so
decoding here is the second line: `Image.MAX_IMAGE_PIXELS` is set to the job's cap and a
decompression bomb, or any decoder error, becomes `ShapeFailed` with a reason, never a crash.

Colours and orientation stay right: the EXIF orientation is applied to the pixels (and the tag
dropped), the ICC profile is passed to every piece written.
"""

from __future__ import annotations

import io
import itertools
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps

from ..images import PLUGINS
from .options import Encode, PageOptions, SplitTall

# Max per-channel spread for a row to count as "near-uniform" (JPEG noise on a flat gutter).
UNIFORM_TOLERANCE = 12
# Share of the target height searched either side of it for such a row.
SEARCH_SHARE = 0.25
# Quality used when a split piece keeps its source's lossy format (`encode=original`).
KEEP_QUALITY = 92


class ShapeFailed(Exception):
    """A page that cannot be shaped; `reason` is short and shown to the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Piece:
    """One stored image out of a page: its bytes and what ComicInfo says about it."""

    data: bytes
    format: str  # JPEG, PNG, WEBP, GIF
    ext: str
    width: int
    height: int


_EXT = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}


def needs_decode(options: PageOptions, fmt: str, width: int, height: int) -> bool:
    """Whether a page must be decoded at all: a plain page of a plain job is stored as it came."""
    return options.encode.codec != "original" or is_tall(options.split_tall, width, height)


def is_tall(split: SplitTall | None, width: int, height: int) -> bool:
    """Taller than `ratio` × width (a page exactly at the ratio is left whole), and than one
    piece may be (target + the search window), so a page that would come out whole is never
    decoded: it is stored byte-exact."""
    if split is None:
        return False
    longest_piece = split.target_height + max(1, int(split.target_height * SEARCH_SHARE))
    return height > split.ratio * width and height > longest_piece


def shape_page(
    data: bytes, fmt: str, width: int, height: int, options: PageOptions, max_pixels: int
) -> list[Piece]:
    """The pieces to store for one page, in reading order (one piece when nothing is cut)."""
    if not needs_decode(options, fmt, width, height):
        return [Piece(data, fmt, _EXT[fmt], width, height)]
    image, icc = _decode(data, fmt, max_pixels)
    try:
        boxes = cut_rows(image, options.split_tall) if options.split_tall else [0, image.height]
        out: list[Piece] = []
        for top, bottom in itertools.pairwise(boxes):
            part = (
                image
                if (top, bottom) == (0, image.height)
                else image.crop((0, top, image.width, bottom))
            )
            out.append(_encode(part, fmt, options.encode, icc))
        return out
    finally:
        image.close()


def _decode(data: bytes, fmt: str, max_pixels: int) -> tuple[Image.Image, bytes | None]:
    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with PLUGINS[fmt](io.BytesIO(data)) as im:
                if im.width * im.height > max_pixels:
                    raise ShapeFailed(f"image too large: {im.width}x{im.height} px")
                im.load()
                icc = im.info.get("icc_profile")
                upright = ImageOps.exif_transpose(im)
                if upright is im:
                    upright = im.copy()
    except ShapeFailed:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ShapeFailed("image too large: decompression bomb") from exc
    except MemoryError as exc:
        raise ShapeFailed("image too large to decode") from exc
    except Exception as exc:  # any decoder error on hostile input
        raise ShapeFailed(f"cannot decode {fmt}: {type(exc).__name__}") from exc
    return upright, icc if isinstance(icc, bytes) else None


def cut_rows(image: Image.Image, split: SplitTall) -> list[int]:
    """Row offsets [0, …, height] of the pieces; a gutter row near each target cut is preferred."""
    width, height = image.size
    if not is_tall(split, width, height):
        return [0, height]
    target = split.target_height
    window = max(1, int(target * SEARCH_SHARE))
    grey = image.convert("L") if image.mode not in ("L", "RGB") else image
    cuts = [0]
    top = 0
    while height - top > target + window:
        ideal = top + target
        low, high = max(top + target - window, top + 1), min(ideal + window, height - 1)
        cut = _uniform_row_near(grey, ideal, low, high)
        cuts.append(cut if cut is not None else ideal)
        top = cuts[-1]
    cuts.append(height)
    return cuts


def _uniform_row_near(image: Image.Image, ideal: int, low: int, high: int) -> int | None:
    """The row closest to `ideal` within [low, high] whose colour is near-uniform, if any.

    Rows are tested from a small strip (one crop of the window, then 1-px rows of it), so the
    cost is about the window's pixels, not the page's.
    """
    strip = image.crop((0, low, image.width, high + 1))
    for offset in range(0, max(ideal - low, high - ideal) + 1):
        for row in (ideal - offset, ideal + offset) if offset else (ideal,):
            if low <= row <= high and _row_is_uniform(strip, row - low):
                return row
    return None


def _row_is_uniform(strip: Image.Image, y: int) -> bool:
    extrema = strip.crop((0, y, strip.width, y + 1)).getextrema()
    bands = extrema if isinstance(extrema[0], tuple) else (extrema,)
    return all(high - low <= UNIFORM_TOLERANCE for low, high in bands)


def _encode(image: Image.Image, source_fmt: str, encode: Encode, icc: bytes | None) -> Piece:
    codec = encode.codec
    if codec == "original":
        # A cut piece keeps its source's format; GIF pieces become PNG (lossless, no palette loss).
        target = {"JPEG": "JPEG", "WEBP": "WEBP", "PNG": "PNG", "GIF": "PNG"}[source_fmt]
        quality = KEEP_QUALITY
    else:
        target = codec.upper()
        quality = encode.quality or KEEP_QUALITY
    params: dict[str, object] = {}
    if icc is not None:
        params["icc_profile"] = icc
    if target == "JPEG":
        image = _flatten(image, allow_cmyk=True)
        params.update(quality=quality, optimize=False)
    elif target == "WEBP":
        if image.mode == "CMYK":
            image = image.convert("RGB")
            params.pop("icc_profile", None)  # a CMYK profile would lie about RGB pixels
        elif image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA" if _has_alpha(image) else "RGB")
        params.update(quality=quality, method=4)
    else:  # PNG: lossless
        if image.mode == "CMYK":
            image = image.convert("RGB")
            params.pop("icc_profile", None)
        params.update(compress_level=6)
    out = io.BytesIO()
    image.save(out, target, **params)
    return Piece(out.getvalue(), target, _EXT[target], image.width, image.height)


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info


def _flatten(image: Image.Image, *, allow_cmyk: bool) -> Image.Image:
    """An image JPEG can hold: transparency composited on white, palettes expanded."""
    if image.mode in ("RGB", "L") or (allow_cmyk and image.mode == "CMYK"):
        return image
    if _has_alpha(image):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")

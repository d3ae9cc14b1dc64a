"""Drawn demo pictures: comic pages, webtoon strips and covers, rendered with Pillow.

Every picture is a pure function of its `Art` spec (the seed included), so one URL yields the same
bytes on every start: tests compare downloaded archives with what the server sends, byte for byte.
"""

from __future__ import annotations

import io
import random
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from PIL import Image, ImageDraw, ImageFont

ImageFormat = Literal["JPEG", "PNG", "WEBP", "GIF"]
ArtKind = Literal["page", "strip", "cover"]

MEDIA_TYPES: dict[ImageFormat, str] = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "GIF": "image/gif",
}
EXTENSIONS: dict[ImageFormat, str] = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}

Colour = tuple[int, int, int]
_INK: Colour = (24, 22, 28)
_PAPER: Colour = (246, 241, 230)
_PALETTES: tuple[tuple[Colour, Colour, Colour], ...] = (
    ((232, 112, 76), (68, 104, 160), (250, 206, 120)),
    ((96, 160, 120), (40, 60, 90), (236, 226, 170)),
    ((170, 90, 160), (250, 180, 90), (70, 70, 120)),
    ((90, 150, 210), (230, 90, 90), (240, 230, 210)),
    ((200, 170, 80), (60, 120, 110), (220, 120, 150)),
)
_draw_lock = threading.Lock()


@dataclass(frozen=True)
class Art:
    """What to draw; hashable so it doubles as the cache key of the encoded bytes."""

    kind: ArtKind
    fmt: ImageFormat
    width: int
    height: int
    title: str
    label: str
    seed: int


@lru_cache(maxsize=16)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    # Pillow's bundled font: identical glyphs on every machine, so the bytes do not depend on
    # which system fonts happen to be installed.
    return ImageFont.load_default(size=size)


def render(art: Art) -> bytes:
    """Draw and encode `art`; slow-ish (tens of ms), callers cache the result."""
    rng = random.Random(art.seed)
    # Renders run in worker threads; one shared FreeType face is not safe to draw with from
    # several at once. Encoding, the larger cost, stays parallel.
    with _draw_lock:
        if art.kind == "page":
            image = _draw_page(art, rng)
        elif art.kind == "strip":
            image = _draw_strip(art, rng)
        else:
            image = _draw_cover(art, rng)
    return encode(image, art.fmt)


def encode(image: Image.Image, fmt: ImageFormat) -> bytes:
    """Encode with fixed settings (no timestamps or random metadata, so bytes are stable)."""
    out = io.BytesIO()
    if fmt == "JPEG":
        image.convert("RGB").save(out, "JPEG", quality=65, optimize=True)
    elif fmt == "PNG":
        image.save(out, "PNG", optimize=False, compress_level=6)
    elif fmt == "WEBP":
        image.save(out, "WEBP", quality=80, method=4)
    else:
        image.convert("RGB").quantize(colors=48, dither=Image.Dither.NONE).save(out, "GIF")
    return out.getvalue()


def _palette(rng: random.Random) -> tuple[Colour, Colour, Colour]:
    return _PALETTES[rng.randrange(len(_PALETTES))]


def _draw_page(art: Art, rng: random.Random) -> Image.Image:
    """A manga page: a few bordered panels with shapes, a speech bubble and a big page label."""
    w, h = art.width, art.height
    image = Image.new("RGB", (w, h), _PAPER)
    draw = ImageDraw.Draw(image)
    margin = w // 20
    gutter = w // 40
    top = margin + h // 30
    split = top + (h - top - margin) * rng.randint(30, 40) // 100
    lower = split + (h - top - margin) * rng.randint(28, 36) // 100
    mid = margin + (w - 2 * margin) * rng.randint(40, 60) // 100
    panels = [
        (margin, top, w - margin, split),
        (margin, split + gutter, mid - gutter // 2, lower),
        (mid + gutter // 2, split + gutter, w - margin, lower),
        (margin, lower + gutter, w - margin, h - margin),
    ]
    palette = _palette(rng)
    for index, box in enumerate(panels):
        _draw_scene(draw, box, rng, palette, tone=index == 1)
        draw.rectangle(box, outline=_INK, width=max(3, w // 160))
    draw.text((margin, margin // 2), art.title, fill=_INK, font=_font(max(14, w // 34)))
    _draw_bubble(draw, panels[2], rng, "...!")
    _draw_label(draw, w // 2, (split + lower) // 2, art.label, w // 9)
    return image


def _draw_strip(art: Art, rng: random.Random) -> Image.Image:
    """A webtoon long strip: a sky gradient, stacked frames with gutters and a big label."""
    w, h = art.width, art.height
    image = Image.new("RGB", (w, h), _PAPER)
    draw = ImageDraw.Draw(image)
    palette = _palette(rng)
    sky_top, sky_bottom = palette[1], palette[2]
    for y in range(h):
        t = y / max(1, h - 1)
        colour = tuple(int(a + (b - a) * t) for a, b in zip(sky_top, sky_bottom, strict=True))
        draw.line((0, y, w, y), fill=(colour[0], colour[1], colour[2]))
    y = h // 24
    while y < h - h // 12:
        frame_h = rng.randint(h // 6, h // 3)
        box = (w // 16, y, w - w // 16, min(h - h // 24, y + frame_h))
        draw.rectangle(box, fill=_PAPER)
        _draw_scene(draw, box, rng, palette, tone=rng.random() < 0.3)
        draw.rectangle(box, outline=_INK, width=4)
        y = box[3] + rng.randint(h // 30, h // 12)
    draw.text((w // 16, h // 96), art.title, fill=_INK, font=_font(max(14, w // 30)))
    _draw_label(draw, w // 2, h // 2, art.label, w // 8)
    return image


def _draw_cover(art: Art, rng: random.Random) -> Image.Image:
    """A cover: a tinted background, a tower silhouette and the title."""
    w, h = art.width, art.height
    palette = _palette(rng)
    image = Image.new("RGB", (w, h), palette[1])
    draw = ImageDraw.Draw(image)
    for i in range(12):
        r = (12 - i) * w // 10
        cx, cy = w // 2, h // 3
        shade = tuple(min(255, c + i * 9) for c in palette[1])
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(shade[0], shade[1], shade[2]))
    tower_w = w // 5
    draw.polygon(
        [
            (w // 2 - tower_w, h),
            (w // 2 - tower_w // 3, h // 5),
            (w // 2 + tower_w // 3, h // 5),
            (w // 2 + tower_w, h),
        ],
        fill=_INK,
    )
    for _ in range(40):
        x, y = rng.randrange(w), rng.randrange(h // 2)
        draw.ellipse((x, y, x + 4, y + 4), fill=palette[2])
    font = _font(max(16, w // 12))
    y = h - h // 4
    for line in _wrap(art.title, 16):
        draw.text(
            (w // 2, y),
            line,
            fill=(255, 255, 255),
            font=font,
            anchor="mm",
            stroke_width=3,
            stroke_fill=_INK,
        )
        y += w // 10
    draw.text(
        (w // 2, h // 14),
        art.label,
        fill=(255, 255, 255),
        font=_font(max(12, w // 24)),
        anchor="mm",
    )
    return image


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def _draw_scene(
    draw: ImageDraw.ImageDraw,
    box: tuple[int, int, int, int],
    rng: random.Random,
    palette: tuple[Colour, Colour, Colour],
    *,
    tone: bool,
) -> None:
    x0, y0, x1, y1 = box
    bw, bh = x1 - x0, y1 - y0
    if bw < 20 or bh < 20:
        return
    if tone:
        draw.rectangle(box, fill=(214, 210, 204))
    horizon = y0 + bh * rng.randint(55, 80) // 100
    draw.rectangle((x0, horizon, x1, y1), fill=palette[2])
    for _ in range(rng.randint(2, 4)):
        bx = rng.randint(x0, x1 - bw // 6)
        bwidth = rng.randint(bw // 10, bw // 5)
        btop = rng.randint(y0 + bh // 6, horizon)
        draw.rectangle((bx, btop, min(x1, bx + bwidth), horizon), fill=palette[1], outline=_INK)
    for _ in range(rng.randint(1, 2)):
        r = rng.randint(max(4, min(bw, bh) // 10), max(5, min(bw, bh) // 5))
        cx = rng.randint(x0 + r, max(x0 + r, x1 - r))
        cy = rng.randint(y0 + r, max(y0 + r, horizon))
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=palette[0], outline=_INK, width=3)
    for _ in range(rng.randint(2, 5)):
        sx = rng.randint(x0, x1)
        ex = min(x1, max(x0, sx + rng.randint(-bw // 4, bw // 4)))
        draw.line((sx, y0, ex, horizon), fill=_INK, width=2)


def _draw_bubble(
    draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], rng: random.Random, text: str
) -> None:
    x0, y0, x1, y1 = box
    bw, bh = x1 - x0, y1 - y0
    cx = x0 + bw // 2 + rng.randint(-bw // 8, bw // 8)
    cy = y0 + bh // 3
    rx, ry = bw // 3, bh // 6
    draw.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=(255, 255, 255), outline=_INK, width=3)
    draw.polygon(
        [(cx - rx // 4, cy + ry - 4), (cx, cy + ry * 2), (cx + rx // 6, cy + ry - 4)],
        fill=(255, 255, 255),
        outline=_INK,
    )
    draw.text((cx, cy), text, fill=_INK, font=_font(max(12, ry)), anchor="mm")


def _draw_label(draw: ImageDraw.ImageDraw, cx: int, cy: int, text: str, size: int) -> None:
    font = _font(size)
    left, top, right, bottom = draw.textbbox((cx, cy), text, font=font, anchor="mm")
    pad = size // 4
    draw.rectangle(
        (left - pad, top - pad, right + pad, bottom + pad),
        fill=(255, 255, 255),
        outline=_INK,
        width=5,
    )
    draw.text((cx, cy), text, fill=_INK, font=font, anchor="mm")

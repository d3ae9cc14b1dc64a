"""PDF output: a minimal PDF 1.4 writer, one page per image, streamed.

RGB and greyscale JPEGs are embedded as they are (no decode, no quality loss); other pages are
decoded, flattened to RGB on white and stored losslessly (Flate with PNG predictors).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import BinaryIO

from PIL import Image

from .images import LABELS, PLUGINS, PNG_MAGIC, ImageRejected, decode
from .models import PageImage

# Largest page a PDF viewer is guaranteed to show (Acrobat's limit: 200 in at 72 pt/in).
_PDF_MAX_POINTS = 14400


def to_pdf(pages: Iterable[PageImage], dest: BinaryIO) -> None:
    """Write the pages as a PDF, one page per image, holding one page in memory at a time.

    RGB and greyscale JPEGs are embedded as they are (no decode, no quality loss); other pages
    are decoded, flattened to RGB on white and stored losslessly (Flate with PNG predictors).
    """
    writer = _PdfWriter(dest)
    for page in pages:
        writer.add_page(page)
    writer.close()


def _has_alpha(im: Image.Image) -> bool:
    return im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        im.mode == "P" and "transparency" in im.info
    )


def _flatten(im: Image.Image, keep: tuple[str, ...]) -> Image.Image:
    """Drop transparency onto white (what a reader shows), converting to RGB if needed."""
    if _has_alpha(im):
        rgba = im.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if im.mode in keep:
        return im
    if im.mode in ("1", "I", "I;16", "F") and "L" in keep:
        return im.convert("L")
    return im.convert("RGB")


class _PdfWriter:
    """A minimal PDF 1.4 writer: one image XObject per page, written as pages arrive.

    Object 1 is the catalog, 2 the page tree (written last, when its kids are known), then three
    objects per page: image, content stream, page. Offsets are counted, so `dest` need not seek.
    """

    def __init__(self, dest: BinaryIO) -> None:
        self._dest = dest
        self._pos = 0
        self._offsets: dict[int, int] = {}
        self._kids: list[int] = []
        self._write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")

    def _write(self, chunk: bytes) -> None:
        self._dest.write(chunk)
        self._pos += len(chunk)

    def _object(self, num: int, body: bytes, stream: bytes | None = None) -> None:
        self._offsets[num] = self._pos
        self._write(b"%d 0 obj\n" % num + body)
        if stream is not None:
            self._write(b"\nstream\n")
            self._write(stream)
            self._write(b"\nendstream")
        self._write(b"\nendobj\n")

    def add_page(self, page: PageImage) -> None:
        image, width, height = _pdf_image(page)
        num = 3 + 3 * len(self._kids)
        self._object(num, image[0], image[1])
        scale = min(1.0, _PDF_MAX_POINTS / max(width, height))
        w, h = _pdf_number(width * scale), _pdf_number(height * scale)
        content = b"q %s 0 0 %s 0 0 cm /Im0 Do Q" % (w, h)
        self._object(num + 1, b"<< /Length %d >>" % len(content), content)
        self._object(
            num + 2,
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %s %s] "
            b"/Resources << /XObject << /Im0 %d 0 R >> >> /Contents %d 0 R >>"
            % (w, h, num, num + 1),
        )
        self._kids.append(num + 2)

    def close(self) -> None:
        if not self._kids:
            raise ValueError("a PDF needs at least one page")
        kids = b" ".join(b"%d 0 R" % k for k in self._kids)
        self._object(2, b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(self._kids)))
        self._object(1, b"<< /Type /Catalog /Pages 2 0 R >>")
        xref = self._pos
        size = max(self._offsets) + 1
        rows = [b"xref\n0 %d\n0000000000 65535 f \n" % size]
        rows += [b"%010d 00000 n \n" % self._offsets[num] for num in range(1, size)]
        rows.append(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref))
        self._write(b"".join(rows))


def _pdf_number(value: float) -> bytes:
    return (b"%.2f" % value).rstrip(b"0").rstrip(b".")


def _pdf_image(page: PageImage) -> tuple[tuple[bytes, bytes], int, int]:
    """The image XObject (dictionary, stream) for a page, and its upright pixel size."""
    try:
        if page.format == "JPEG":
            with PLUGINS["JPEG"](io.BytesIO(page.data)) as jpeg:
                mode, (width, height) = jpeg.mode, jpeg.size
                upright = jpeg.getexif().get(0x0112, 1) in (0, 1)
            if mode in ("RGB", "L") and upright:  # what DCTDecode shows as-is
                space = b"/DeviceRGB" if mode == "RGB" else b"/DeviceGray"
                head = _xobject(width, height, space, b"/DCTDecode", len(page.data))
                return (head, page.data), width, height
        im = _flatten(decode(page), ("RGB", "L"))
        png = io.BytesIO()
        im.save(png, "PNG")
    except Exception as exc:
        raise ImageRejected(f"corrupt {LABELS[page.format]}") from exc
    data = _png_idat(png.getvalue())
    colors = 3 if im.mode == "RGB" else 1
    flate = b"/FlateDecode /DecodeParms << /Predictor 15 /Colors %d /BitsPerComponent 8 " % colors
    flate += b"/Columns %d >>" % im.width
    space = b"/DeviceRGB" if colors == 3 else b"/DeviceGray"
    head = _xobject(im.width, im.height, space, flate, len(data))
    return (head, data), im.width, im.height


def _xobject(width: int, height: int, space: bytes, filt: bytes, length: int) -> bytes:
    return (
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace %s "
        b"/BitsPerComponent 8 /Filter %s /Length %d >>" % (width, height, space, filt, length)
    )


def _png_idat(png: bytes) -> bytes:
    """The zlib stream of a PNG we just wrote (8-bit, not interlaced): PDF reads it as Flate."""
    parts = []
    pos = len(PNG_MAGIC)
    while pos < len(png):
        length = int.from_bytes(png[pos : pos + 4], "big")
        kind = png[pos + 4 : pos + 8]
        if kind == b"IDAT":
            parts.append(png[pos + 8 : pos + 8 + length])
        pos += 12 + length
    return b"".join(parts)

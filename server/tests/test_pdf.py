"""PDF output: one page per image, JPEGs embedded as they are, others decoded upright."""

from __future__ import annotations

import io

import pytest
from PIL import Image, PdfParser

from manhwa.images import check_image
from manhwa.pdf import to_pdf

from .test_images import MAX_PIXELS, animated_gif, make


def media_boxes(pdf: bytes) -> list[list[float]]:
    parser = PdfParser.PdfParser(buf=pdf)
    return [parser.read_indirect(ref)[b"MediaBox"] for ref in parser.pages]


def test_pdf_has_one_page_per_image() -> None:
    sources = [
        make("JPEG", (40, 30)),
        make("JPEG", (40, 30), mode="L"),
        make("PNG", (30, 40), mode="RGBA"),
        make("WEBP", (20, 20)),
        animated_gif(),
        make("JPEG", (10, 30000)),
    ]
    pages = [check_image(data, i, MAX_PIXELS) for i, data in enumerate(sources)]
    out = io.BytesIO()
    to_pdf(iter(pages), out)
    pdf = out.getvalue()
    assert pdf.startswith(b"%PDF-1.4")
    assert pdf.endswith(b"%%EOF\n")
    parser = PdfParser.PdfParser(buf=pdf)
    assert len(parser.pages) == len(pages)
    boxes = media_boxes(pdf)
    assert boxes[0] == [0, 0, 40, 30]
    assert max(boxes[-1]) <= 14400  # a strip taller than a viewer's maximum page is scaled


@pytest.mark.parametrize(
    "source",
    [
        make("PNG", mode="RGBA"),
        make("PNG", mode="P"),
        make("WEBP", mode="RGBA"),
        animated_gif(),
        make("JPEG", mode="CMYK"),
    ],
)
def test_pages_that_need_decoding_keep_their_size(source: bytes) -> None:
    page = check_image(source, 0, MAX_PIXELS)
    out = io.BytesIO()
    to_pdf([page], out)
    assert media_boxes(out.getvalue()) == [[0, 0, page.width, page.height]]


def test_pdf_applies_exif_orientation() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    page = check_image(make("JPEG", (40, 30), exif=exif), 0, MAX_PIXELS)
    out = io.BytesIO()
    to_pdf([page], out)
    assert media_boxes(out.getvalue()) == [[0, 0, 30, 40]]


def test_pdf_embeds_jpeg_bytes_unchanged() -> None:
    data = make("JPEG", (40, 30))
    out = io.BytesIO()
    to_pdf([check_image(data, 0, MAX_PIXELS)], out)
    assert data in out.getvalue()


def test_pdf_of_no_pages_is_an_error() -> None:
    with pytest.raises(ValueError):
        to_pdf([], io.BytesIO())

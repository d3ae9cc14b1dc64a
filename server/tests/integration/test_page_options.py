"""A split + re-encoded download through HTTP, a real Redis and a real Celery worker (whose page
pool does the image work), against the demo source's webtoon strips."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import pytest
from PIL import Image

from ..stack import DemoSource, Stack
from .helpers import cbz_pages, download, info, request, source_pages, wait_final

pytestmark = pytest.mark.integration
WEBTOON = "demo_webtoon_strip"


def test_split_png_download_is_the_source_strip_cut_in_order(
    stack: Stack, source: DemoSource
) -> None:
    series = info(stack, "mangahere", WEBTOON)
    chapter = series["chapters"][-1]["id"]  # the first chapter: PNG and WebP strips
    job = request(
        stack,
        [chapter],
        source="mangahere",
        series_id=series["id"],
        title="Webtoon split",
        split_tall={"ratio": 3.0, "target_height": 1000},
        encode="png",
    )
    final = wait_final(stack, job["task_id"])
    assert final["state"] == "SUCCESS", (final["failed"], final["error"])
    assert (final["encode"], final["split_tall"]["target_height"]) == ("png", 1000)
    response, data = download(stack, job["task_id"])
    assert response.status_code == 200
    names, images, comicinfo = cbz_pages(data)
    strips = source_pages(source, "mangahere", chapter)
    assert len(images) > len(strips), "720×2400 strips are cut at 1000 px"
    assert all(n.endswith(".png") for n in names)
    root = ET.fromstring(comicinfo)
    assert root.findtext("PageCount") == str(len(images))
    # Stitched back together, the pieces are the source strips, pixel for pixel, in order.
    pieces = [Image.open(io.BytesIO(b)).convert("RGB") for b in images]
    for strip in strips:
        original = Image.open(io.BytesIO(strip)).convert("RGB")
        stitched = Image.new("RGB", original.size)
        top = 0
        while top < original.height:
            piece = pieces.pop(0)
            assert piece.width == original.width and piece.height <= 1250
            stitched.paste(piece, (0, top))
            top += piece.height
        assert top == original.height
        assert stitched.tobytes() == original.tobytes()
    assert pieces == []

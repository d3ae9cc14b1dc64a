"""What Komga and Kavita get, end to end: a job's CBZ straight from the pipeline, and the
`layout=per-chapter` download (a ZIP of CBZs even for one chapter)."""

from __future__ import annotations

import io
import zipfile
from xml.etree import ElementTree

import pytest
import xmlschema
from PIL import Image

from ..stack import REPO, DemoSource, Stack
from .helpers import TOWER, cbz_pages, chapters_with_pages, download, info, request, wait_final

pytestmark = pytest.mark.integration
XSD = REPO.parent / "shared" / "testdata" / "ComicInfo-v2.0.xsd"
_XS = "{http://www.w3.org/2001/XMLSchema}"


def schema_order() -> list[str]:
    """The ComicInfo element names in the order the schema's xs:sequence demands."""
    root = ElementTree.parse(XSD).getroot()
    for complex_type in root.iter(f"{_XS}complexType"):
        if complex_type.get("name") == "ComicInfo":
            return [e.attrib["name"] for e in complex_type.iter(f"{_XS}element")]
    raise AssertionError("no ComicInfo type in the XSD")


def test_pipeline_cbz_has_padded_pages_and_a_full_comicinfo(
    stack: Stack, source: DemoSource
) -> None:
    series = info(stack)
    chapter = next(c for c in chapters_with_pages(stack) if c.get("volume"))
    job = request(
        stack, [chapter["id"]], title="Tower of Dawn (readers)", series_id=TOWER, layout="auto"
    )
    final = wait_final(stack, job["task_id"])
    assert final["state"] == "SUCCESS", final
    assert final["file_name"].endswith(".cbz")
    response, data = download(stack, job["task_id"])
    assert response.status_code == 200

    names, images, comicinfo = cbz_pages(data)
    width = max(3, len(str(len(names))))
    assert [n.rsplit(".", 1)[0] for n in names] == [
        f"{i:0{width}d}" for i in range(1, 1 + len(names))
    ]
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.namelist()[-1] == "ComicInfo.xml", "at the root, after the pages"
        assert all(i.compress_type == zipfile.ZIP_STORED for i in zf.infolist())

    xmlschema.XMLSchema(str(XSD)).validate(comicinfo)
    root = ElementTree.fromstring(comicinfo)
    tags = [child.tag for child in root]
    order = schema_order()
    assert tags == sorted(tags, key=order.index), "elements in the schema's sequence order"
    writer = ["Writer"] if series["authors"] else []  # left out when the source names nobody
    assert tags == [
        "Title", "Series", "Number", "Volume", "Summary", *writer, "Genre", "PageCount",
        "LanguageISO", "Manga", "Pages",
    ]  # fmt: skip
    assert root.findtext("Title") == chapter["title"]
    assert root.findtext("Series") == "Tower of Dawn (readers)"
    assert root.findtext("Number") == chapter["number"]
    assert int(root.findtext("Volume") or "") == int(chapter["volume"])  # xs:int
    assert root.findtext("Summary") == series["description"].strip()
    assert root.findtext("Writer") == (", ".join(series["authors"]) or None)
    assert root.findtext("Genre") == ", ".join(series["genres"])
    assert root.findtext("PageCount") == str(len(images))
    assert root.findtext("LanguageISO") == "en"
    assert root.findtext("Manga") in {"Unknown", "No", "Yes", "YesAndRightToLeft"}

    pages = root.findall("Pages/Page")
    assert len(pages) == len(images)
    for index, (page, body) in enumerate(zip(pages, images, strict=True)):
        with Image.open(io.BytesIO(body)) as image:
            size = image.size
        assert page.attrib == {
            "Image": str(index),
            "ImageWidth": str(size[0]),
            "ImageHeight": str(size[1]),
            "ImageSize": str(len(body)),
        }


def test_per_chapter_layout_with_one_chapter_is_a_zip_holding_one_cbz(
    stack: Stack, source: DemoSource
) -> None:
    chapter = chapters_with_pages(stack)[1]
    job = request(
        stack, [chapter["id"]], title="Tower of Dawn", series_id=TOWER, layout="per-chapter"
    )
    final = wait_final(stack, job["task_id"])
    assert final["state"] == "SUCCESS", final
    label = f"Ch. {int(chapter['number']):03d}"
    assert final["file_name"] == f"Tower of Dawn - {label}.zip"

    response, data = download(stack, job["task_id"])
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(data)) as outer:
        assert outer.testzip() is None
        assert outer.namelist() == [f"Tower of Dawn - {label}.cbz"]
        inner = outer.read(outer.namelist()[0])
    names, images, comicinfo = cbz_pages(inner)
    assert names[0].startswith("001.") and len(names) == len(images) > 0
    xmlschema.XMLSchema(str(XSD)).validate(comicinfo)
    assert ElementTree.fromstring(comicinfo).findtext("Number") == chapter["number"]

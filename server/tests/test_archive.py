"""cbz.py and archive.py: chapter CBZs as Komga/Kavita/Mihon read them, atomically; the job's
download built from them. One file: the download tests build on the chapter writer's helpers."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path
from xml.etree import ElementTree

import pytest
import xmlschema
from PIL import Image, PdfParser

from manhwa.archive import ArchiveBuilder, archive_ext, assemble, chapter_stem, download_name
from manhwa.cbz import ChapterWriter, IncompleteChapter
from manhwa.comicinfo import comicinfo_xml
from manhwa.images import check_image
from manhwa.models import ChapterMeta, PageImage

XSD = Path(__file__).resolve().parents[3] / "shared" / "testdata" / "ComicInfo-v2.0.xsd"
SCHEMA_ORDER = [
    "Title",
    "Series",
    "Number",
    "Volume",
    "Summary",
    "Writer",
    "Genre",
    "PageCount",
    "LanguageISO",
    "Manga",
    "Pages",
]
HOSTILE_SERIES = [
    "../../etc/passwd",
    "/absolute/path",
    "C:\\Windows\\evil",
    "CON",
    "..",
    "\u202eevil\x00\x1b",
    "",
]


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    assert XSD.is_file(), f"ComicInfo XSD missing at {XSD}: shared/ must sit beside the repo"
    return xmlschema.XMLSchema(str(XSD))


def image_bytes(fmt: str, size: tuple[int, int], shade: int) -> bytes:
    im = Image.new("RGB", size, (shade, 255 - shade, 128))
    out = io.BytesIO()
    im.save(out, fmt)
    return out.getvalue()


def make_pages(count: int) -> list[PageImage]:
    formats = ["JPEG", "PNG", "WEBP", "GIF"]
    return [
        check_image(image_bytes(formats[i % 4], (30 + i, 40 + 2 * i), 20 * i % 256), i, 10**6)
        for i in range(count)
    ]


def make_meta(**changes: object) -> ChapterMeta:
    fields: dict[str, object] = {
        "series": "Solo Leveling",
        "title": "Chapter 12: Arise",
        "number": "12",
        "chapter_id": "solo-leveling/chapter-12",
        "volume": "2",
        "summary": "Sung Jinwoo & friends <3",
        "writer": "Chugong",
        "genres": ("Action", "Fantasy"),
        "language_iso": "ko",
        "manga": "Yes",
    }
    fields.update(changes)
    return ChapterMeta(**fields)  # type: ignore[arg-type]


def write_chapter(
    directory: Path, meta: ChapterMeta, pages: Sequence[PageImage], name: str | None = None
) -> Path:
    final = directory / (name or chapter_stem(meta) + ".cbz")
    with ChapterWriter(final, meta, len(pages)) as writer:
        for page in pages:
            writer.add(page)
        return writer.finish()


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith(".tmp-"))


def assert_safe_entry(name: str) -> None:
    assert not name.startswith("/")
    assert "\\" not in name
    assert ".." not in name.split("/")
    assert all(part and not part.startswith(".") for part in name.rstrip("/").split("/"))
    assert not re.search(r"[\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]", name)


# --- ChapterWriter ---------------------------------------------------------------------------


def test_chapter_is_a_cbz_of_stored_pages_in_order(tmp_path: Path) -> None:
    pages = make_pages(4)
    path = write_chapter(tmp_path, make_meta(), pages)
    assert path == tmp_path / "Solo Leveling - Ch. 012.cbz"
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
        assert zf.namelist() == ["001.jpg", "002.png", "003.webp", "004.gif", "ComicInfo.xml"]
        for info, page in zip(zf.infolist(), pages, strict=False):
            assert info.compress_type == zipfile.ZIP_STORED
            assert zf.read(info) == page.data
    assert leftovers(tmp_path) == []


def test_page_names_are_padded_to_the_page_count(tmp_path: Path) -> None:
    page = make_pages(1)[0]
    pages = [PageImage(i, page.data, page.format, page.ext, 30, 40) for i in range(1000)]
    path = write_chapter(tmp_path, make_meta(), pages)
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
    assert names[0] == "0001.jpg"
    assert names[999] == "1000.jpg"
    assert names[:-1] == sorted(names[:-1])


def test_comicinfo_validates_and_describes_the_pages(
    tmp_path: Path, schema: xmlschema.XMLSchema
) -> None:
    pages = make_pages(3)
    path = write_chapter(tmp_path, make_meta(), pages)
    with zipfile.ZipFile(path) as zf:
        xml = zf.read("ComicInfo.xml")
    assert xml.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    schema.validate(xml.decode("utf-8"))
    root = ElementTree.fromstring(xml)
    assert [child.tag for child in root] == SCHEMA_ORDER
    assert root.findtext("PageCount") == "3"
    assert root.findtext("Number") == "12"
    assert root.findtext("Volume") == "2"
    assert root.findtext("Genre") == "Action, Fantasy"
    assert root.findtext("Summary") == "Sung Jinwoo & friends <3"
    assert root.find("Web") is None  # no source gives a chapter's web address
    assert root.findtext("LanguageISO") == "ko"
    assert root.findtext("Manga") == "Yes"
    page_infos = [p.attrib for p in root.iter("Page")]
    assert page_infos == [
        {
            "Image": str(i),
            "ImageWidth": str(page.width),
            "ImageHeight": str(page.height),
            "ImageSize": str(len(page.data)),
        }
        for i, page in enumerate(pages)
    ]


@pytest.mark.parametrize(
    ("volume", "expected"),
    [("3", "3"), ("Vol. 03", "3"), ("0", "0"), ("3.5", None), ("", None), (None, None)],
)
def test_volume_is_written_only_as_an_integer(
    volume: str | None, expected: str | None, schema: xmlschema.XMLSchema
) -> None:
    xml = comicinfo_xml(make_meta(volume=volume), [(1, 1, 1)])
    schema.validate(xml.decode("utf-8"))
    assert ElementTree.fromstring(xml).findtext("Volume") == expected


@pytest.mark.parametrize(
    ("manga", "expected"),
    [
        ("Yes", "Yes"),
        ("yesandrighttoleft", "YesAndRightToLeft"),
        ("No", "No"),
        ("webtoon", "Unknown"),
    ],
)
def test_manga_is_one_of_the_schema_values(
    manga: str, expected: str, schema: xmlschema.XMLSchema
) -> None:
    xml = comicinfo_xml(make_meta(manga=manga), [(1, 1, 1)])
    schema.validate(xml.decode("utf-8"))
    assert ElementTree.fromstring(xml).findtext("Manga") == expected


def test_comicinfo_escapes_and_strips_what_xml_cannot_hold(schema: xmlschema.XMLSchema) -> None:
    meta = make_meta(
        series="A & B <script>\x00\x1b\ufffe</script>",
        title="]]> \"quoted\" 'single' \ud800",
        number="1\x0b",
        summary="line one\r\nline two\x7f",
        writer=None,
        genres=("", "Drama\x01"),
        volume=None,
    )
    xml = comicinfo_xml(meta, [(10, 20, 30)])
    schema.validate(xml.decode("utf-8"))
    root = ElementTree.fromstring(xml)
    assert root.findtext("Series") == "A & B <script></script>"
    assert root.findtext("Title") == "]]> \"quoted\" 'single'"
    assert root.findtext("Summary") == "line one\r\nline two"
    assert root.findtext("Genre") == "Drama"
    assert [child.tag for child in root] == [
        "Title",
        "Series",
        "Number",
        "Summary",
        "Genre",
        "PageCount",
        "LanguageISO",
        "Manga",
        "Pages",
    ]


def test_number_is_always_written(schema: xmlschema.XMLSchema) -> None:
    xml = comicinfo_xml(make_meta(number="", title="", volume=None), [(1, 1, 1)])
    schema.validate(xml.decode("utf-8"))
    root = ElementTree.fromstring(xml)
    assert root.find("Number") is not None
    assert root.find("Title") is None


def test_same_chapter_gives_the_same_bytes(tmp_path: Path) -> None:
    pages = make_pages(2)
    first = write_chapter(tmp_path, make_meta(), pages, "a.cbz").read_bytes()
    second = write_chapter(tmp_path, make_meta(), pages, "b.cbz").read_bytes()
    assert first == second


def test_rewrite_replaces_an_existing_file(tmp_path: Path) -> None:
    final = tmp_path / "chapter.cbz"
    final.write_bytes(b"old")
    write_chapter(tmp_path, make_meta(), make_pages(1), "chapter.cbz")
    with zipfile.ZipFile(final) as zf:
        assert zf.testzip() is None
    assert leftovers(tmp_path) == []


def test_temp_file_sits_next_to_the_final_path_until_finish(tmp_path: Path) -> None:
    final = tmp_path / "chapter.cbz"
    with ChapterWriter(final, make_meta(), 1) as writer:
        writer.add(make_pages(1)[0])
        assert writer.temp_path.parent == tmp_path
        assert writer.temp_path.name.startswith(".tmp-")
        assert writer.temp_path.exists()
        assert not final.exists()
        writer.finish()
    assert final.exists()
    assert leftovers(tmp_path) == []


def test_finish_with_missing_pages_raises_and_leaves_no_file(tmp_path: Path) -> None:
    final = tmp_path / "chapter.cbz"
    with ChapterWriter(final, make_meta(), 3) as writer:
        for page in make_pages(2):
            writer.add(page)
        with pytest.raises(IncompleteChapter):
            writer.finish()
    assert not final.exists()
    assert leftovers(tmp_path) == []


def test_pages_out_of_order_are_refused(tmp_path: Path) -> None:
    pages = make_pages(3)
    with ChapterWriter(tmp_path / "c.cbz", make_meta(), 3) as writer:
        writer.add(pages[0])
        with pytest.raises(ValueError):
            writer.add(pages[2])
        with pytest.raises(ValueError):
            writer.add(pages[0])
        assert writer.pages_written == 1


def test_abort_leaves_nothing(tmp_path: Path) -> None:
    writer = ChapterWriter(tmp_path / "c.cbz", make_meta(), 2)
    writer.add(make_pages(1)[0])
    writer.abort()
    writer.abort()
    assert list(tmp_path.iterdir()) == []


def test_exception_inside_the_block_aborts(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), ChapterWriter(tmp_path / "c.cbz", make_meta(), 2) as writer:
        writer.add(make_pages(1)[0])
        raise RuntimeError("connection lost")
    assert list(tmp_path.iterdir()) == []


def test_leaving_the_block_without_finish_leaves_nothing(tmp_path: Path) -> None:
    with ChapterWriter(tmp_path / "c.cbz", make_meta(), 1) as writer:
        writer.add(make_pages(1)[0])
    assert list(tmp_path.iterdir()) == []


# --- names -----------------------------------------------------------------------------------


def test_chapter_stem() -> None:
    assert chapter_stem(make_meta()) + ".cbz" == "Solo Leveling - Ch. 012.cbz"
    assert chapter_stem(make_meta(number="3.5")) + ".pdf" == "Solo Leveling - Ch. 003.5.pdf"


@pytest.mark.parametrize("series", HOSTILE_SERIES)
def test_chapter_stem_from_hostile_series_is_safe(series: str) -> None:
    name = chapter_stem(make_meta(series=series, number="../1")) + ".cbz"
    assert_safe_entry(name)
    assert "/" not in name
    assert name.endswith(".cbz")
    assert len(name.encode()) <= 255


def test_download_is_one_chapters_own_file_or_a_zip() -> None:
    assert archive_ext("cbz", "auto", 1) == "cbz"
    assert archive_ext("pdf", "auto", 1) == "pdf"
    assert archive_ext("zip", "auto", 1) == "zip"
    assert archive_ext("cbz", "per-chapter", 1) == "zip"
    assert archive_ext("pdf", "auto", 2) == "zip"


def test_download_name_spans_the_finished_chapters() -> None:
    one = [(0, make_meta())]
    assert download_name(one, "cbz") == "Solo Leveling - Ch. 012.cbz"
    span = [(0, make_meta(number="2")), (1, make_meta(number="3")), (2, make_meta(number="4"))]
    assert download_name(span, "zip") == "Solo Leveling - Ch. 002-004.zip"
    holed = [(0, make_meta(number="2")), (2, make_meta(number="4"))]
    assert download_name(holed, "zip", 3) == "Solo Leveling - Ch. 002, 004.zip"
    runs = [(p, make_meta(number=str(p + 1))) for p in (0, 1, 3, 5, 7, 9)]
    assert download_name(runs, "zip", 10) == "Solo Leveling - Ch. 001-010 partial, 6 of 10.zip"
    unnumbered = [(0, make_meta(number="")), (1, make_meta(number=""))]
    assert download_name(unnumbered, "zip") == "Solo Leveling - Ch. 001-002.zip"


# --- assemble --------------------------------------------------------------------------------


@pytest.fixture
def chapters(tmp_path: Path) -> list[tuple[ChapterMeta, Path]]:
    work = tmp_path / "chapters"
    work.mkdir()
    result = []
    for number, count in (("1", 2), ("2", 3), ("2.5", 1)):
        meta = make_meta(number=number)
        result.append((meta, write_chapter(work, meta, make_pages(count))))
    return result


def test_single_cbz_is_a_copy_of_the_chapter(
    tmp_path: Path, chapters: list[tuple[ChapterMeta, Path]]
) -> None:
    dest = tmp_path / "out" / "job.cbz"
    dest.parent.mkdir()
    assert assemble(chapters[:1], "cbz", dest) == dest
    assert dest.read_bytes() == chapters[0][1].read_bytes()
    assert leftovers(dest.parent) == []


def test_several_cbz_are_zipped_in_order(
    tmp_path: Path, chapters: list[tuple[ChapterMeta, Path]]
) -> None:
    dest = tmp_path / "job.zip"
    assemble(chapters, "cbz", dest)
    with zipfile.ZipFile(dest) as zf:
        assert zf.testzip() is None
        assert zf.namelist() == [
            "Solo Leveling - Ch. 001.cbz",
            "Solo Leveling - Ch. 002.cbz",
            "Solo Leveling - Ch. 002.5.cbz",
        ]
        for info, (_, path) in zip(zf.infolist(), chapters, strict=True):
            assert info.compress_type == zipfile.ZIP_STORED
            assert zf.read(info) == path.read_bytes()
    assert leftovers(tmp_path) == []


def test_per_chapter_layout_zips_even_one_chapter(
    tmp_path: Path, chapters: list[tuple[ChapterMeta, Path]]
) -> None:
    dest = tmp_path / "job.zip"
    assemble(chapters[:1], "cbz", dest, layout="per-chapter")
    with zipfile.ZipFile(dest) as zf:
        assert zf.namelist() == ["Solo Leveling - Ch. 001.cbz"]


def test_duplicate_chapter_names_are_made_unique(
    tmp_path: Path, chapters: list[tuple[ChapterMeta, Path]]
) -> None:
    dest = tmp_path / "job.zip"
    meta, path = chapters[0]
    upper = make_meta(series="SOLO LEVELING", number="1")
    assemble([(meta, path), (meta, path), (upper, path)], "cbz", dest)
    with zipfile.ZipFile(dest) as zf:
        assert zf.namelist() == [
            "Solo Leveling - Ch. 001.cbz",
            "Solo Leveling - Ch. 001 (2).cbz",
            "SOLO LEVELING - Ch. 001 (3).cbz",
        ]


def test_zip_format_has_a_folder_of_plain_images_per_chapter(
    tmp_path: Path, chapters: list[tuple[ChapterMeta, Path]]
) -> None:
    dest = tmp_path / "job.zip"
    assemble(chapters[:2], "zip", dest)
    with zipfile.ZipFile(dest) as zf:
        assert zf.testzip() is None
        assert zf.namelist() == [
            "Solo Leveling - Ch. 001/001.jpg",
            "Solo Leveling - Ch. 001/002.png",
            "Solo Leveling - Ch. 002/001.jpg",
            "Solo Leveling - Ch. 002/002.png",
            "Solo Leveling - Ch. 002/003.webp",
        ]
        with zipfile.ZipFile(chapters[1][1]) as chapter:
            assert zf.read("Solo Leveling - Ch. 002/003.webp") == chapter.read("003.webp")


def test_single_pdf_has_one_page_per_image(
    tmp_path: Path, chapters: list[tuple[ChapterMeta, Path]]
) -> None:
    dest = tmp_path / "job.pdf"
    assemble(chapters[1:2], "pdf", dest)
    pdf = dest.read_bytes()
    assert pdf.startswith(b"%PDF")
    assert len(PdfParser.PdfParser(buf=pdf).pages) == 3
    assert leftovers(tmp_path) == []


def test_several_pdfs_are_zipped(tmp_path: Path, chapters: list[tuple[ChapterMeta, Path]]) -> None:
    dest = tmp_path / "job.zip"
    assemble(chapters, "pdf", dest)
    with zipfile.ZipFile(dest) as zf:
        assert zf.testzip() is None
        assert zf.namelist() == [
            "Solo Leveling - Ch. 001.pdf",
            "Solo Leveling - Ch. 002.pdf",
            "Solo Leveling - Ch. 002.5.pdf",
        ]
        counts = [len(PdfParser.PdfParser(buf=zf.read(n)).pages) for n in zf.namelist()]
    assert counts == [2, 3, 1]


@pytest.mark.parametrize("fmt", ["cbz", "zip", "pdf"])
def test_hostile_series_titles_become_safe_entry_names(tmp_path: Path, fmt: str) -> None:
    work = tmp_path / "chapters"
    work.mkdir()
    chapters = []
    for i, series in enumerate(HOSTILE_SERIES):
        meta = make_meta(series=series, number=str(i))
        chapters.append((meta, write_chapter(work, meta, make_pages(1), f"{i}.cbz")))
    dest = tmp_path / "job.zip"
    assemble(chapters, fmt, dest)
    with zipfile.ZipFile(dest) as zf:
        names = zf.namelist()
    assert len(names) == len(HOSTILE_SERIES)
    for name in names:
        assert_safe_entry(name)


def test_failed_assemble_leaves_no_file(
    tmp_path: Path, chapters: list[tuple[ChapterMeta, Path]]
) -> None:
    dest = tmp_path / "job.zip"
    missing = (chapters[0][0], tmp_path / "gone.cbz")
    with pytest.raises(FileNotFoundError):
        assemble([chapters[0], missing], "cbz", dest)
    assert not dest.exists()
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize(("fmt", "layout"), [("rar", "auto"), ("cbz", "flat")])
def test_unknown_format_or_layout_is_refused(
    tmp_path: Path, chapters: list[tuple[ChapterMeta, Path]], fmt: str, layout: str
) -> None:
    with pytest.raises(ValueError):
        assemble(chapters, fmt, tmp_path / "x", layout=layout)


def test_nothing_to_assemble_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        assemble([], "cbz", tmp_path / "x")


# --- the archive built while the job runs ----------------------------------------------------


@pytest.mark.parametrize("fmt", ["cbz", "zip", "pdf"])
def test_builder_makes_the_same_bytes_as_assemble(
    tmp_path: Path, chapters: list[tuple[ChapterMeta, Path]], fmt: str
) -> None:
    built = tmp_path / "built" / "job.zip"
    built.parent.mkdir()
    builder = ArchiveBuilder(built, fmt)
    for meta, path in chapters:
        builder.add(meta, path)
    assert leftovers(built.parent) != []  # nothing at `built` until finish
    assert not built.exists()
    assert builder.finish() == built
    expected = tmp_path / "expected.zip"
    assemble(chapters, fmt, expected)
    assert built.read_bytes() == expected.read_bytes()
    assert leftovers(built.parent) == []


def test_aborted_builder_leaves_nothing(
    tmp_path: Path, chapters: list[tuple[ChapterMeta, Path]]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    builder = ArchiveBuilder(out / "job.zip", "cbz")
    builder.add(*chapters[0])
    builder.abort()
    builder.abort()
    assert list(out.iterdir()) == []
    with pytest.raises(RuntimeError):
        builder.add(*chapters[1])

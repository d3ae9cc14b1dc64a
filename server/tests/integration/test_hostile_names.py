"""Hostile titles through the whole flow: every archive entry stays inside its folder and the
`Content-Disposition` file name is safe, whatever the title holds."""

from __future__ import annotations

import io
import posixpath
import unicodedata
import zipfile
from urllib.parse import unquote

import httpx
import pytest

from ..stack import Stack
from .helpers import chapters_with_pages, download, request, wait_final

pytestmark = pytest.mark.integration

HOSTILE = [
    "../../../etc/passwd",
    "/etc/passwd",
    "..\\..\\Windows\\win.ini",
    "C:\\Users\\evil",
    "a\x00b\x01c\x7f",
    "x" * 300,
    "\u202egnp.exe",  # right-to-left override: reads "exe.png"
    "CON",
    "ＣＯＮ",  # fullwidth: NFKC makes it CON
    "．．／．．／secret",  # fullwidth dots and solidus: NFKC makes them ../../
    "\u2215etc\u2215passwd",  # division slash
    "%2e%2e%2f%2e%2e%2fetc",
    "🙂" * 75,  # 300 bytes of UTF-8
    'name"\r\nSet-Cookie: a=b',
    "\ufeff\u200b\u200d",  # nothing visible at all
    ". .",
]


def _is_safe_component(name: str) -> bool:
    return (
        bool(name)
        and name not in (".", "..")
        and "/" not in name
        and "\\" not in name
        and not any(unicodedata.category(c) in ("Cc", "Cf") for c in name)
        and len(name.encode()) <= 255
        and not name.startswith(".")
        and name.split(".", 1)[0].rstrip().upper() not in ("CON", "NUL", "PRN", "AUX")
    )


def _check_entries(data: bytes, depth: int) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        for name in names:
            parts = name.split("/")
            assert len(parts) == depth, name
            assert all(_is_safe_component(p) for p in parts), name
            resolved = posixpath.normpath(posixpath.join("/extract", name))
            assert resolved.startswith("/extract/"), name
            if name.endswith(".cbz"):
                _check_entries(archive.read(name), 1)
        return names


def _check_disposition(header: str) -> str:
    header.encode("latin-1")
    assert "\r" not in header and "\n" not in header
    kind, plain, star = header.split("; ")
    assert kind == "attachment"
    ascii_name = plain.removeprefix('filename="').removesuffix('"')
    exact = unquote(star.removeprefix("filename*=UTF-8''"))
    for name in (ascii_name, exact):
        assert _is_safe_component(name), name
        assert '"' not in ascii_name
    return exact


@pytest.mark.parametrize("index", range(len(HOSTILE)))
def test_hostile_titles_give_safe_entries_and_file_names(stack: Stack, index: int) -> None:
    title = HOSTILE[index]
    fmt = "zip" if index % 2 == 0 else "cbz"  # folders of images, or a ZIP of CBZs
    chapters = [c["id"] for c in chapters_with_pages(stack)[:2]]
    job = request(stack, chapters, title=title, format=fmt)
    final = wait_final(stack, job["task_id"])
    assert final["state"] == "SUCCESS", final
    response, data = download(stack, job["task_id"])
    assert response.status_code == 200
    exact = _check_disposition(response.headers["content-disposition"])
    assert exact == final["file_name"]
    names = _check_entries(data, depth=2 if fmt == "zip" else 1)
    assert len({n.split("/")[0] for n in names}) == 2, "one folder or CBZ per chapter"


def test_a_title_over_300_characters_is_refused(stack: Stack) -> None:
    chapter = chapters_with_pages(stack)[0]["id"]
    answer = httpx.post(
        f"{stack.url}/api/download",
        json={"source": "mangadex", "ids": [chapter], "title": "x" * 301},
    )
    assert answer.status_code == 422
    assert "title" in answer.json()["detail"]

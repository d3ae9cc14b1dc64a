"""The loose ends a hostile-source run found: an equal request and a file that is gone, stale
`read` answers, search and series titles that disagree, external chapters."""

from __future__ import annotations

import httpx
import pytest

from ..stack import DemoSource, Stack
from .helpers import chapters_with_pages, download, request, wait_final

pytestmark = pytest.mark.integration


def test_equal_request_gets_a_new_job_when_the_old_file_is_gone(
    stack: Stack, source: DemoSource
) -> None:
    chapter = chapters_with_pages(stack)[2]
    first = request(stack, [chapter["id"]], title="file gone")
    assert wait_final(stack, first["task_id"])["state"] == "SUCCESS"
    for path in stack.download_dir.glob(f"{first['task_id']}.*"):
        path.unlink()  # a manual delete, or a changed DOWNLOAD_DIR
    again = request(stack, [chapter["id"]], title="file gone")
    assert again["task_id"] != first["task_id"] and again["deduplicated"] is False
    assert wait_final(stack, again["task_id"])["state"] == "SUCCESS"
    response, body = download(stack, again["task_id"])
    assert response.status_code == 200 and body.startswith(b"PK")
    third = httpx.post(
        f"{stack.url}/api/download",
        json={"source": "mangadex", "ids": [chapter["id"]], "title": "file gone"},
        timeout=30,
    ).json()
    assert third["task_id"] == again["task_id"] and third["deduplicated"] is True


def test_search_and_series_page_show_the_same_title(stack: Stack, source: DemoSource) -> None:
    found = httpx.get(
        f"{stack.url}/api/search", params={"q": "Caretaker", "source": "mangadex"}, timeout=30
    ).json()["results"]
    caretaker = next(r for r in found if "Saebyeok Gwanriin" in [r["title"], *r["alt_titles"]])
    series = httpx.get(
        f"{stack.url}/api/manga/mangadex/info", params={"id": caretaker["id"]}, timeout=30
    ).json()
    assert caretaker["title"] == series["title"] == "The Dawn Caretaker"
    assert "Saebyeok Gwanriin" in caretaker["alt_titles"]

"""The whole flow through HTTP on a real Redis and a real Celery worker process."""

from __future__ import annotations

import concurrent.futures
import time
import xml.etree.ElementTree as ET

import httpx
import pytest
import xmlschema

from ..stack import REPO, DemoSource, Stack
from .helpers import (
    SCRIPT,
    archive_chapters,
    cbz_pages,
    chapters_with_pages,
    download,
    events,
    request,
    source_pages,
    status,
    wait_final,
    wait_until,
)

pytestmark = pytest.mark.integration
XSD = REPO.parent / "shared" / "testdata" / "ComicInfo-v2.0.xsd"


def test_three_chapters_flow_from_request_to_expiry(stack: Stack, source: DemoSource) -> None:
    chapters = chapters_with_pages(stack)[:3]
    ids = [c["id"] for c in reversed(chapters)]  # asked newest first: archive is reading order
    # Pages already rendered by earlier tests come back in a few ms: without some latency the
    # whole job can end between two events (they are sent at most every 0.1 s).
    source.faults(latency_ms=100)
    job = request(
        stack, ids, title="Tower of Dawn", series_id="60c01dc6-0a5c-4e46-a115-a934ebc404f2"
    )
    seen = events(stack, job["task_id"])
    source.reset()

    states = [e["state"] for e in seen]
    assert states[-1] == "SUCCESS"
    assert "PROGRESS" in states
    progress = [e["progress"] for e in seen]
    assert progress == sorted(progress), "progress never goes back"
    assert progress[-1] == 100
    assert any(0 < e["pages_done"] < seen[-1]["pages_total"] for e in seen), "progress per page"

    final = status(stack, job["task_id"])
    assert final["done_chapters"] == 3 and final["failed"] == []
    first, last = int(chapters[0]["number"]), int(chapters[-1]["number"])
    name = f"Tower of Dawn - Ch. {first:03d}-{last:03d}.zip"
    assert final["file_name"] == name
    assert final["expires_at"] > time.time()

    response, data = download(stack, job["task_id"])
    assert response.status_code == 200
    assert response.headers["content-length"] == str(len(data)) == str(final["size"])
    assert f'filename="{name}"' in response.headers["content-disposition"]

    entries = archive_chapters(data)
    expected_names = [f"Tower of Dawn - Ch. {int(c['number']):03d}.cbz" for c in chapters]
    assert list(entries) == expected_names
    schema = xmlschema.XMLSchema(str(XSD))
    for chapter, name in zip(chapters, expected_names, strict=True):
        names, images, comicinfo = cbz_pages(entries[name])
        expected = source_pages(source, "mangadex", chapter["id"])
        assert images == expected, "exact bytes, in page order"
        assert names[0] == "001.jpg" and len(names) == len(expected)
        schema.validate(comicinfo)
        root = ET.fromstring(comicinfo)
        assert root.findtext("Number") == chapter["number"]
        assert root.findtext("Series") == "Tower of Dawn"
        assert root.findtext("PageCount") == str(len(expected))
        assert len(root.findall("Pages/Page")) == len(expected)

    # Served completely: the cleanup queue deletes it CLEANUP_GRACE_SECONDS (3 s here) later.
    expired = wait_until(stack, job["task_id"], {"EXPIRED"}, timeout=30)
    assert expired["download_url"] is None
    assert httpx.get(f"{stack.url}/api/download/file/{job['task_id']}").status_code == 410
    assert not list(stack.download_dir.glob(f"{job['task_id']}.*"))


def test_single_chapter_is_one_cbz_named_for_the_chapter(stack: Stack, source: DemoSource) -> None:
    chapter = chapters_with_pages(stack)[1]
    job = request(stack, [chapter["id"]], series_id="60c01dc6-0a5c-4e46-a115-a934ebc404f2")
    final = wait_final(stack, job["task_id"])
    assert final["state"] == "SUCCESS", final
    assert final["file_name"] == f"Tower of Dawn - Ch. {int(chapter['number']):03d}.cbz"
    response, data = download(stack, job["task_id"])
    assert response.headers["content-type"] == "application/vnd.comicbook+zip"
    _, images, _ = cbz_pages(data)
    assert images == source_pages(source, "mangadex", chapter["id"])


def test_range_request_resumes_a_download(stack: Stack, source: DemoSource) -> None:
    chapter = chapters_with_pages(stack)[0]
    job = request(stack, [chapter["id"]], format="zip")
    assert wait_final(stack, job["task_id"])["state"] == "SUCCESS"
    url = f"{stack.url}/api/download/file/{job['task_id']}"
    whole = httpx.get(url).content
    part = httpx.get(url, headers={"Range": "bytes=100-"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 100-{len(whole) - 1}/{len(whole)}"
    assert part.content == whole[100:]
    assert httpx.get(url, headers={"Range": f"bytes={len(whole) + 5}-"}).status_code == 416


def test_same_request_twice_at_once_is_one_job(stack: Stack, source: DemoSource) -> None:
    ids = [c["id"] for c in chapters_with_pages(stack)[3:5]]
    body = {"source": "mangadex", "ids": ids, "format": "zip", "title": "twice"}
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        answers = list(
            pool.map(
                lambda _: httpx.post(f"{stack.url}/api/download", json=body, timeout=30), range(4)
            )
        )
    assert {a.status_code for a in answers} == {202}
    task_ids = {a.json()["task_id"] for a in answers}
    assert len(task_ids) == 1
    assert sorted(a.json()["deduplicated"] for a in answers) == [False, True, True, True]
    (task_id,) = task_ids
    assert wait_final(stack, task_id)["state"] == "SUCCESS"
    # Still on disk: asking again returns the finished job instead of downloading again.
    again = httpx.post(f"{stack.url}/api/download", json=body, timeout=30).json()
    assert again["task_id"] == task_id and again["deduplicated"] is True
    assert len(list(stack.download_dir.glob(f"{task_id}.*"))) == 1


def test_original_form_and_query_request_with_numeric_source(
    stack: Stack, source: DemoSource
) -> None:
    chapter = chapters_with_pages(stack)[0]
    form = {"ids[]": [chapter["id"]], "source": "0"}
    unproven = httpx.post(f"{stack.url}/api/download", data=form, timeout=30)
    assert unproven.status_code == 403, "a form POST needs a same-origin proof (access/csrf.py)"
    by_form = httpx.post(f"{stack.url}/api/download", data=form, headers=SCRIPT, timeout=30)
    assert by_form.status_code == 202, by_form.text
    by_query = httpx.post(
        f"{stack.url}/api/download",
        params={"ids[]": chapter["id"], "source": 0},
        headers={"Origin": stack.url},
        timeout=30,
    )
    assert by_query.status_code == 202, by_query.text
    assert by_query.json()["task_id"] == by_form.json()["task_id"]
    done = wait_final(stack, by_form.json()["task_id"])
    assert done["state"] == "SUCCESS" and done["source"] == "mangadex"


def test_recent_jobs_list_newest_first(stack: Stack, source: DemoSource) -> None:
    chapter = chapters_with_pages(stack)[0]
    job = request(stack, [chapter["id"]], format="pdf")
    jobs = httpx.get(f"{stack.url}/api/downloads", params={"limit": 5}).json()["jobs"]
    assert jobs[0]["task_id"] == job["task_id"]
    created = [j["created_at"] for j in jobs]
    assert created == sorted(created, reverse=True)
    done = wait_final(stack, job["task_id"])
    assert done["state"] == "SUCCESS" and done["file_name"].endswith(".pdf")
    _, data = download(stack, job["task_id"])
    assert data.startswith(b"%PDF")

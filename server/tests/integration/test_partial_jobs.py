"""A job with a failed chapter ends SUCCESS with the chapter in `failed`, and its file name
names only the chapters the file holds."""

from __future__ import annotations

import pytest

from ..stack import DemoSource, Stack
from .helpers import archive_chapters, chapters_with_pages, download, request, wait_final

pytestmark = pytest.mark.integration


def test_a_hole_in_the_range_is_not_claimed(stack: Stack, source: DemoSource) -> None:
    chapters = chapters_with_pages(stack)[:3]
    numbers = [int(c["number"]) for c in chapters]
    source.faults(rules=[{"match": chapters[1]["id"], "action": "empty_pages"}])
    job = request(
        stack,
        [c["id"] for c in chapters],
        title="Tower of Dawn",
        series_id="60c01dc6-0a5c-4e46-a115-a934ebc404f2",
    )
    final = wait_final(stack, job["task_id"])
    source.reset()

    assert final["state"] == "SUCCESS"
    assert [f["chapter_id"] for f in final["failed"]] == [chapters[1]["id"]]
    name = f"Tower of Dawn - Ch. {numbers[0]:03d}, {numbers[2]:03d}.zip"
    assert final["file_name"] == name
    response, data = download(stack, job["task_id"])
    assert f'filename="{name}"' in response.headers["content-disposition"]
    assert list(archive_chapters(data)) == [
        f"Tower of Dawn - Ch. {numbers[0]:03d}.cbz",
        f"Tower of Dawn - Ch. {numbers[2]:03d}.cbz",
    ]

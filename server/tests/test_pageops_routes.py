"""POST /api/download's page options in-process: stored on the job, part of what makes two
requests equal, carried by a retry; bad values are 422s that say what is wrong."""

from __future__ import annotations

import time

import httpx
import pytest

from manhwa.config import Settings
from manhwa.jobs import JobStore

from .test_download_routes import run, settings  # noqa: F401  (the fixture)


def body(**options: object) -> dict[str, object]:
    return {"source": "mangadex", "ids": ["c1"], "title": str(time.time_ns()), **options}


def test_page_options_are_stored_and_make_a_different_job(settings: Settings) -> None:  # noqa: F811
    async def scenario(client: httpx.AsyncClient, store: JobStore) -> None:
        plain = body()
        first = (await client.post("/api/download", json=plain)).json()
        shaped = {**plain, "split_tall": {"ratio": 2.5, "target_height": 1600}, "encode": "WebP:80"}
        second = (await client.post("/api/download", json=shaped)).json()
        assert second["task_id"] != first["task_id"] and second["deduplicated"] is False
        status = (await client.get(f"/api/download/status/{second['task_id']}")).json()
        assert status["split_tall"] == {"ratio": 2.5, "target_height": 1600}
        assert status["encode"] == "webp:80"
        plain_status = (await client.get(f"/api/download/status/{first['task_id']}")).json()
        assert (plain_status["split_tall"], plain_status["encode"]) == (None, "original")
        again = (await client.post("/api/download", json={**plain, "split_tall": True})).json()
        defaults = (await client.get(f"/api/download/status/{again['task_id']}")).json()
        assert defaults["split_tall"] == {"ratio": 3.0, "target_height": 2000}
        await client.delete(f"/api/download/{second['task_id']}")
        retry = f"/api/download/{second['task_id']}/retry"  # an empty-body write: same-origin proof
        same_origin = {"X-Requested-With": "XMLHttpRequest"}
        retried = (await client.post(retry, headers=same_origin)).json()
        carried = (await client.get(f"/api/download/status/{retried['task_id']}")).json()
        assert (carried["split_tall"], carried["encode"]) == (status["split_tall"], "webp:80")

    run(settings, scenario)


@pytest.mark.parametrize(
    ("options", "detail"),
    [
        ({"encode": "gif"}, "encode must be original, png, jpeg:Q or webp:Q"),
        ({"encode": "jpeg:0"}, "encode quality must be 1-100"),
        ({"encode": 85}, "encode: Input should be a valid string"),
        ({"split_tall": {"ratio": 0.5}}, "split_tall"),
        ({"split_tall": {"target_height": 50}}, "split_tall"),
        ({"split_tall": "yes please"}, "split_tall"),
    ],
)
def test_bad_page_options_are_422_with_a_reason(
    settings: Settings,  # noqa: F811
    options: dict[str, object],
    detail: str,
) -> None:
    async def scenario(client: httpx.AsyncClient, store: JobStore) -> httpx.Response:
        return await client.post("/api/download", json=body(**options))

    answer = run(settings, scenario)
    assert answer.status_code == 422
    assert detail in answer.json()["detail"]

"""The whole HTTP API fuzzed from its own OpenAPI schema (schemathesis), against a real stack.

Property: no answer is a 500, and every error is JSON `{"detail": "<text>"}`. A 502/503 is
allowed where the API says an upstream part failed (Consumet answering 500 to made-up ids; the
health check naming a part), never as an unhandled error. Each operation gets data that fits
its schema and data that does not.

The stack is private: jobs the fuzzer creates with made-up chapter ids go to its own Redis
database and worker, with Consumet retries off and at most 5 chapters per job, so they fail
fast and never queue up behind the other tests' jobs. (Hypothesis drives schemathesis' own
strategies here: its pytest plugin does not run under pytest 9 yet.)
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.generation.modes import GenerationMode

from manhwa.config import Settings
from manhwa.main import create_app

from ..stack import DemoSource, RedisServer, Stack

pytestmark = pytest.mark.integration

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "100"))  # more for a deeper local run


def _cases() -> list[tuple[str, str, GenerationMode]]:
    """Every operation with valid data; those with a body or query with invalid data too (a
    free-form string in the path has no invalid value)."""
    spec = create_app(Settings()).openapi()
    cases = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            cases.append((method.upper(), path, GenerationMode.POSITIVE))
            in_query = any(p["in"] == "query" for p in operation.get("parameters", []))
            if in_query or "requestBody" in operation:
                cases.append((method.upper(), path, GenerationMode.NEGATIVE))
    return cases


@pytest.fixture(scope="module")
def fuzz_stack(redis_server: RedisServer, demo: DemoSource) -> Iterator[Stack]:
    stack = Stack(
        redis_server,
        demo,
        db=12,
        env_overrides={"CONSUMET_RETRIES": "0", "MAX_CHAPTERS_PER_JOB": "5"},
        workdir=Path(tempfile.mkdtemp(prefix="manhwa-fuzz-")),
    )
    stack.start()
    yield stack
    # Cancel what the fuzzer queued, so its worker stops on made-up chapters at once.
    jobs = httpx.get(f"{stack.url}/api/downloads", params={"limit": 500}, timeout=30).json()
    for job in jobs["jobs"]:
        if job["state"] in ("PENDING", "PROGRESS"):
            httpx.delete(f"{stack.url}/api/download/{job['task_id']}", timeout=30)
    stack.stop()


@pytest.fixture(scope="module")
def api_schema(fuzz_stack: Stack) -> Any:
    return schemathesis.openapi.from_url(f"{fuzz_stack.url}/openapi.json")


def check(response: Any, label: str) -> None:
    where = f"{label} {response.request.url} -> {response.status_code}: {response.text[:300]}"
    assert response.status_code != 500, where
    if response.status_code >= 500:
        assert response.status_code in (502, 503), where
    if response.status_code >= 400:
        content_type = response.headers.get("content-type", [""])[0]  # header -> list of values
        assert content_type.startswith("application/json"), where
        body = response.json()
        assert isinstance(body, dict) and set(body) == {"detail"}, where
        assert isinstance(body["detail"], str) and body["detail"], where


@pytest.mark.parametrize(("method", "path", "mode"), _cases())
def test_no_server_errors_and_every_error_is_json_detail(
    api_schema: Any, method: str, path: str, mode: GenerationMode
) -> None:
    operation = api_schema[path][method]
    label = f"{method} {path} ({mode.value})"

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    def fuzz(case: Any) -> None:
        check(case.call(timeout=30), label)

    fuzz()


_ID = st.text(st.characters(codec="utf-8"), min_size=0, max_size=210)
_BODY = st.fixed_dictionaries(
    {
        "source": st.sampled_from(["mangadex", "mangahere", 0, 4, 5, -1, "MangaDex", ""]),
        "ids": st.lists(st.one_of(_ID, st.sampled_from(["../x", "/abs", "a/b", "ok"])), max_size=7),
    },
    optional={
        "format": st.sampled_from(["cbz", "zip", "pdf", "rar", ""]),
        "layout": st.sampled_from(["auto", "per-chapter", "flat"]),
        "title": st.one_of(st.none(), st.text(max_size=320)),
        "series_id": st.one_of(st.none(), _ID),
    },
)


@given(body=_BODY)
@settings(max_examples=EXAMPLES, deadline=None, database=None)
def test_download_requests_for_real_sources_are_queued_or_refused_with_a_reason(
    fuzz_stack: Stack, body: dict[str, Any]
) -> None:
    # Schema-driven bodies almost never name a real source; these do, so both the 202 path and
    # each id and title rule are reached. Anything queued is cancelled at once.
    answer = httpx.post(f"{fuzz_stack.url}/api/download", json=body, timeout=30)
    assert answer.status_code in (202, 422), answer.text
    assert answer.headers["content-type"].startswith("application/json")
    data = answer.json()
    if answer.status_code == 422:
        assert set(data) == {"detail"} and data["detail"], data
    else:
        assert data["status"] in ("PENDING", "PROGRESS", "SUCCESS", "FAILURE"), data
        httpx.delete(f"{fuzz_stack.url}/api/download/{data['task_id']}", timeout=30)

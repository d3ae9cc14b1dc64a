"""Celery, Redis and CORS configuration, checked against their security guidance.

Celery's docs warn that pickle lets whoever can write to the broker run code in every worker:
we accept JSON only, everywhere. Redis' guidance: never reachable from untrusted networks
(bind to loopback, protected mode, or a password; the compose file's Redis is checked in
test_deploy.py). CORS: no cross-origin access unless an origin is configured.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from kombu.exceptions import ContentDisallowed
from kombu.serialization import dumps, loads, prepare_accept_content

from manhwa.celery_app import make_celery
from manhwa.config import Settings
from manhwa.main import create_app
from manhwa.processes import redis_command

SERVER = Path(__file__).resolve().parents[1]


def test_celery_accepts_and_sends_json_only() -> None:
    conf = make_celery(Settings()).conf
    assert conf.task_serializer == conf.result_serializer == conf.event_serializer == "json"
    assert list(conf.accept_content) == ["json"]
    assert list(conf.result_accept_content) == ["json"]


def test_a_pickled_message_is_refused_by_our_accept_list() -> None:
    accept = prepare_accept_content(make_celery(Settings()).conf.accept_content)
    content_type, encoding, body = dumps({"task": "x"}, serializer="pickle")
    with pytest.raises(ContentDisallowed):
        loads(body, content_type, encoding, accept=accept)
    content_type, encoding, body = dumps({"task": "x"}, serializer="json")
    assert loads(body, content_type, encoding, accept=accept) == {"task": "x"}


def test_beat_keeps_no_pickle_file() -> None:
    # The default PersistentScheduler writes a shelve (pickle) file; ours lives in memory.
    assert make_celery(Settings()).conf.beat_scheduler == "celery.beat:Scheduler"


def test_no_pickle_anywhere_in_our_code() -> None:
    unsafe = re.compile(
        r"^\s*(import|from) (pickle|cPickle|shelve|dill|jsonpickle)\b|\b(pickle|shelve|marshal)\.",
        re.MULTILINE,
    )
    for package in ("manhwa", "demo_source"):
        for path in (SERVER / package).rglob("*.py"):
            assert not unsafe.search(path.read_text()), path


def test_embedded_redis_listens_on_loopback_only(tmp_path: Path) -> None:
    command = redis_command(6399, tmp_path)
    options = dict(zip(command[1::2], command[2::2], strict=False))
    assert options["--bind"] == "127.0.0.1"
    assert options["--protected-mode"] == "yes"
    assert options["--appendonly"] == "yes"
    with_password = redis_command(6399, tmp_path, password="s3cret")
    assert with_password[-2:] == ["--requirepass", "s3cret"]


def _allowed(app: FastAPI, origin: str, preflight: bool) -> str | None:
    """The Access-Control-Allow-Origin the app answers `origin` with (the app runs in-process,
    without its lifespan: CORS and the unknown-route 404 need no Redis)."""

    async def ask() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            if preflight:
                headers = {"Origin": origin, "Access-Control-Request-Method": "POST"}
                return await client.options("/api/download", headers=headers)
            return await client.get("/api/nothing", headers={"Origin": origin})

    return asyncio.run(ask()).headers.get("access-control-allow-origin")


@pytest.mark.parametrize("preflight", [True, False])
def test_no_cross_origin_access_by_default(preflight: bool) -> None:
    app = create_app(Settings(cors_origins=[]))
    for origin in ("https://evil.example", "null", "http://localhost:8000"):
        assert _allowed(app, origin, preflight) is None


@pytest.mark.parametrize("preflight", [True, False])
def test_cors_allows_exactly_the_configured_origins(preflight: bool) -> None:
    app = create_app(Settings(cors_origins=["https://reader.example"]))
    assert _allowed(app, "https://reader.example", preflight) == "https://reader.example"
    for origin in ("https://evil.example", "https://reader.example.evil", "null"):
        assert _allowed(app, origin, preflight) is None

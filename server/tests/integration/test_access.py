"""Access control through the real app in-process (its lifespan, a real Redis; no worker needed):
trusted hosts on every route, cross-site writes refused with nothing queued, AUTH_MODE=password
and proxy on every protected path, login slowing, tokens, the open-app warning."""

from __future__ import annotations

import asyncio
import base64
import logging
import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from redis import Redis as SyncRedis
from redis.asyncio import Redis

from manhwa.access.api_tokens import TokenStore
from manhwa.access.passwords import PasswordStore
from manhwa.access.throttle import FREE, GLOBAL_FREE, LoginThrottle
from manhwa.config import Settings
from manhwa.main import create_app

from ..stack import SERVER, RedisServer

pytestmark = pytest.mark.integration
BASE = "http://127.0.0.1:8000"
PASSWORD = "correct horse battery"


@pytest.fixture
def redis_url(redis_server: RedisServer) -> Iterator[str]:
    url = f"{redis_server.url}/0"
    client = SyncRedis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


def settings(redis_url: str, **extra: Any) -> Settings:
    return Settings(
        redis_url=redis_url,
        mangapi_url="http://127.0.0.1:9",  # nothing listens: catalog routes fail fast, not 401
        consumet_retries=0,
        **extra,
    )


@asynccontextmanager
async def running(app: FastAPI, peer: str = "127.0.0.1") -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=(peer, 50000))
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
            yield client


def run(test: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(test())


def api_paths(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every route in the OpenAPI schema, path parameters filled with a
    well-formed id."""
    out = []
    for path, operations in app.openapi()["paths"].items():
        filled = re.sub(r"\{[^}]+\}", "abcdefgh12", path)
        out += [(method.upper(), filled) for method in sorted(operations)]
    return out


def protected(app: FastAPI) -> list[tuple[str, str]]:
    """Every route in the schema (the API and the OPDS catalog) but health and login."""
    public = ("/api/health", "/api/auth/")
    return [(m, p) for m, p in api_paths(app) if not p.startswith(public)]


def jobs_in(redis_url: str) -> int:
    client = SyncRedis.from_url(redis_url)
    try:
        return int(client.zcard("manhwa:jobs")) + len(client.keys("manhwa:job:*"))
    finally:
        client.close()


# --- trusted hosts ---------------------------------------------------------------------------


def test_rebinding_host_is_refused_on_every_route(redis_url: str) -> None:
    app = create_app(settings(redis_url))
    routes = [*api_paths(app), ("GET", "/"), ("GET", "/assets/x.js"), ("GET", "/docs"),
              ("GET", "/openapi.json"), ("OPTIONS", "/api/download")]  # fmt: skip
    assert len(routes) > 12

    async def test() -> None:
        async with running(app) as client:
            for method, path in routes:
                answer = await client.request(method, path, headers={"Host": "attacker.example"})
                assert answer.status_code == 400, (method, path)
                assert "unknown host" in answer.json()["detail"]
            ok = await client.get("/api/health", headers={"Host": "localhost:8000"})
            assert ok.status_code in (200, 503) and "status" in ok.json()

    run(test)
    assert jobs_in(redis_url) == 0


# --- same-origin writes ----------------------------------------------------------------------

FORM = {"source": "0", "ids[]": ["c1", "c2"]}
JSON_BODY = {"source": "mangadex", "ids": ["c1", "c2"]}


def test_cross_site_form_and_json_posts_are_refused_and_nothing_is_queued(redis_url: str) -> None:
    app = create_app(settings(redis_url))

    async def test() -> None:
        async with running(app) as client:
            evil = {"Origin": "https://evil.example"}
            cross, same_site = {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"}
            text = {**evil, "Content-Type": "text/plain"}
            answers = [
                await client.post("/api/download", data=FORM, headers=evil),
                await client.post("/api/download", json=JSON_BODY, headers=evil),
                await client.post("/api/download", data=FORM, headers=cross),
                await client.post("/api/download", data=FORM),  # no proof at all
                await client.post("/api/download?source=0&ids[]=c1"),  # query string only
                await client.post("/api/download", content="{}", headers=text),
                await client.delete("/api/download/abcdefgh12", headers=evil),
                await client.post("/api/download/abcdefgh12/retry", headers=same_site),
                await client.post("/api/auth/logout", headers=evil),
            ]  # fmt: skip
            for answer in answers:
                assert answer.status_code == 403, answer.request
                assert "detail" in answer.json()

    run(test)
    assert jobs_in(redis_url) == 0


def test_same_origin_writes_work(redis_url: str) -> None:
    app = create_app(settings(redis_url))

    async def test() -> None:
        async with running(app) as client:
            own = {"Origin": BASE, "Sec-Fetch-Site": "same-origin"}
            form = await client.post("/api/download", data=FORM, headers=own)
            assert form.status_code == 202, form.text
            jquery = {"X-Requested-With": "XMLHttpRequest"}
            old = await client.post(
                "/api/download", data={"source": "0", "ids[]": ["c3"]}, headers=jquery
            )
            assert old.status_code == 202, old.text
            script = await client.post("/api/download", json={**JSON_BODY, "ids": ["c4"]})
            assert script.status_code == 202, script.text
            gone = await client.delete(f"/api/download/{script.json()['task_id']}", headers=own)
            assert gone.status_code == 200, gone.text

    run(test)
    assert jobs_in(redis_url) > 0


# --- AUTH_MODE=password ----------------------------------------------------------------------


async def _login(client: httpx.AsyncClient, password: str = PASSWORD) -> httpx.Response:
    return await client.post(
        "/api/auth/login", json={"password": password}, headers={"Origin": BASE}
    )


def test_password_mode_refuses_every_protected_path_without_a_login(redis_url: str) -> None:
    app = create_app(settings(redis_url, auth_mode="password"))
    routes = protected(app)
    paths = {p for _, p in routes}
    for needed in ("/api/image/abcdefgh12", "/api/download/events/abcdefgh12",
                   "/api/download/file/abcdefgh12", "/api/downloads", "/opds"):  # fmt: skip
        assert needed in paths

    async def test() -> None:
        async with running(app) as client:
            await PasswordStore(app.state.services.redis).set(PASSWORD)
            for method, path in routes:
                answer = await client.request(method, path, headers={"Origin": BASE})
                assert answer.status_code == 401, (method, path)
                assert answer.json() == {"detail": "login required"}
            opds = await client.get("/opds")
            assert opds.headers["www-authenticate"].startswith("Basic")
            bad_cookie = await client.get(
                "/api/downloads", headers={"Cookie": "manhwa_session=forged"}
            )
            assert bad_cookie.status_code == 401
            # public: the client, the login, the health verdict
            assert (await client.get("/")).status_code == 200
            assert (await client.get("/api/auth/session")).json()["authenticated"] is False
            health = (await client.get("/api/health")).json()
            assert health["queues"] == {} and health["consumet"] == "error"

            login = await _login(client)
            assert login.status_code == 204
            cookie = login.headers["set-cookie"]
            assert "HttpOnly" in cookie and "SameSite=lax" in cookie
            assert "manhwa_session" in client.cookies
            for method, path in routes:
                answer = await client.request(method, path, headers={"Origin": BASE})
                assert answer.status_code != 401, (method, path, answer.text)
            session = (await client.get("/api/auth/session")).json()
            assert session == {"mode": "password", "authenticated": True, "user": "owner",
                               "password_set": True}  # fmt: skip
            health = (await client.get("/api/health")).json()
            assert "error" in health["consumet"] and health["consumet"] != "error"

            old = client.cookies["manhwa_session"]
            assert (
                await client.post("/api/auth/logout", headers={"Origin": BASE})
            ).status_code == 204
            client.cookies.clear()
            again = await client.get("/api/downloads", headers={"Cookie": f"manhwa_session={old}"})
            assert again.status_code == 401

    run(test)


def test_api_tokens_open_the_api_and_opds_and_a_revoked_one_stops_at_once(redis_url: str) -> None:
    app = create_app(settings(redis_url, auth_mode="password"))
    routes = protected(app)

    async def test() -> None:
        async with running(app) as client:
            tokens = TokenStore(app.state.services.redis)
            info, secret = await tokens.create("script")
            bearer = {"Authorization": f"Bearer {secret}"}
            for method, path in routes:
                answer = await client.request(method, path, headers=bearer)
                assert answer.status_code != 401, (method, path)
            basic = base64.b64encode(f"reader:{secret}".encode()).decode()
            opds = await client.get("/opds", headers={"Authorization": f"Basic {basic}"})
            assert opds.status_code == 200
            # Basic only where OPDS readers need it; a wrong token is no token
            assert (
                await client.get("/api/downloads", headers={"Authorization": f"Basic {basic}"})
            ).status_code == 401
            assert (
                await client.get("/api/downloads", headers={"Authorization": "Bearer mhd_nope"})
            ).status_code == 401
            listed = await tokens.list()
            assert [t.name for t in listed] == ["script"] and listed[0].last_used is not None

            assert await tokens.revoke(info.id)
            assert (await client.get("/api/downloads", headers=bearer)).status_code == 401
            assert (
                await client.get("/opds", headers={"Authorization": f"Basic {basic}"})
            ).status_code == 401
            # only hashes are stored
            redis: Redis = app.state.services.redis
            _, secret2 = await tokens.create("other")
            session = await _login_session(client)
            dump = [await redis.dump(key) for key in await redis.keys("manhwa:auth:*")]
            assert all(secret2.encode() not in (d or b"") for d in dump)
            assert all(session.encode() not in (d or b"") for d in dump)

    run(test)


async def _login_session(client: httpx.AsyncClient) -> str:
    await PasswordStore(client._transport.app.state.services.redis).set(PASSWORD)  # type: ignore[attr-defined]
    assert (await _login(client)).status_code == 204
    return str(client.cookies["manhwa_session"])


def test_wrong_passwords_are_slowed_per_address_and_a_success_clears_it(redis_url: str) -> None:
    app = create_app(settings(redis_url, auth_mode="password"))

    async def test() -> None:
        async with running(app, peer="203.0.113.9") as client:
            redis: Redis = app.state.services.redis
            await PasswordStore(redis).set(PASSWORD)
            throttle = LoginThrottle(redis)
            for attempt in range(1, FREE + 1):
                wrong = await _login(client, "guess")
                assert wrong.status_code == 401, attempt
            state = await throttle.state("203.0.113.9")
            assert state.failures == FREE and state.retry_after > 0
            # too early: refused without a check, even with the right password
            early = await _login(client)
            assert early.status_code == 429 and int(early.headers["retry-after"]) >= 1
            assert (await throttle.state("203.0.113.9")).failures == FREE
            # another address is not held up by this one, but the failures count globally too
            assert (await throttle.state("198.51.100.2")).retry_after == 0
            overall = await redis.hget("manhwa:auth:fail:*", "failures")
            assert int(overall or 0) == FREE
        async with running(app, peer="198.51.100.2") as other:
            assert (await _login(other)).status_code == 204
        # the wait passed (a clock an hour later), the right password clears the count
        an_hour_later = time.time() + 3600
        redis_client = Redis.from_url(redis_url, decode_responses=True)
        try:
            later = LoginThrottle(redis_client, clock=lambda: an_hour_later)
            assert (await later.state("203.0.113.9")).retry_after == 0
            more = await later.failed("203.0.113.9")
            assert more.failures == FREE + 1 and more.retry_after == 2  # doubled
            await later.succeeded("203.0.113.9")
            assert (await later.state("203.0.113.9")).failures == 0
            # a botnet: many addresses, each under its own limit, meet the global one
            for n in range(GLOBAL_FREE):
                await later.failed(f"192.0.2.{n}")
            assert (await later.state("198.51.100.77")).retry_after > 0
        finally:
            await redis_client.aclose()

    run(test)


def test_login_without_a_password_set_says_how_to_set_one(redis_url: str) -> None:
    app = create_app(settings(redis_url, auth_mode="password"))

    async def test() -> None:
        async with running(app) as client:
            answer = await _login(client)
            assert answer.status_code == 409 and "set-password" in answer.json()["detail"]
            assert (await client.get("/api/auth/session")).json()["password_set"] is False

    run(test)


# --- AUTH_MODE=proxy -------------------------------------------------------------------------


def test_proxy_mode_trusts_the_user_header_only_from_trusted_proxies(redis_url: str) -> None:
    app = create_app(settings(redis_url, auth_mode="proxy", trusted_proxies="10.0.0.0/8"))
    user = {"Remote-User": "alice"}

    async def test() -> None:
        async with running(app, peer="10.1.2.3") as via_proxy:
            assert (await via_proxy.get("/api/downloads", headers=user)).status_code == 200
            assert (await via_proxy.get("/api/downloads")).status_code == 401
            session = (await via_proxy.get("/api/auth/session", headers=user)).json()
            assert session["user"] == "alice" and session["mode"] == "proxy"
            login = await _login(via_proxy)
            assert login.status_code == 409  # no password login in proxy mode
        async with running(app, peer="192.0.2.50") as direct:
            for path in ("/api/downloads", "/api/download/events/abcdefgh12", "/opds"):
                assert (await direct.get(path, headers=user)).status_code == 401, path
            _, secret = await TokenStore(app.state.services.redis).create("cli")
            token = {"Authorization": f"Bearer {secret}"}
            assert (await direct.get("/api/downloads", headers=token)).status_code == 200

    run(test)


# --- the open-app warning --------------------------------------------------------------------


def test_open_app_on_a_public_address_warns_at_start_and_in_health(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(settings(redis_url, host="0.0.0.0"))

    async def test() -> None:
        with caplog.at_level(logging.WARNING, logger="manhwa.access.guard"):
            async with running(app) as client:
                assert any("AUTH_MODE=none" in r.getMessage() for r in caplog.records)
                warnings = (await client.get("/api/health")).json()["warnings"]
                assert len(warnings) == 1 and "0.0.0.0" in warnings[0]

    run(test)


def test_open_app_reached_from_another_machine_warns_in_health(redis_url: str) -> None:
    quiet = create_app(settings(redis_url))
    app = create_app(settings(redis_url))

    async def test() -> None:
        async with running(quiet) as local:
            assert (await local.get("/api/health")).json()["warnings"] == []
        async with running(app, peer="192.168.1.20") as remote:
            warnings = (await remote.get("/api/health")).json()["warnings"]
            assert len(warnings) == 1 and "192.168.1.20" in warnings[0]

    run(test)


# --- the CLI ---------------------------------------------------------------------------------


def _cli(redis_url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {"REDIS_URL": redis_url, "PATH": "/usr/bin:/bin", "AUTH_MODE": "password"}
    return subprocess.run(
        [sys.executable, "-m", "manhwa.cli", *args], input=stdin, env=env, cwd=SERVER,
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_cli_sets_the_password_and_manages_tokens(redis_url: str) -> None:
    assert _cli(redis_url, "set-password", "--stdin", stdin="short\n").returncode == 1
    done = _cli(redis_url, "set-password", "--stdin", stdin=PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    created = _cli(redis_url, "token", "create", "komga script")
    assert created.returncode == 0, created.stderr
    secret = created.stdout.strip().splitlines()[-1]
    token_id = created.stdout.split()[1]
    assert secret.startswith("mhd_")
    listing = _cli(redis_url, "token", "list").stdout
    assert token_id in listing and "komga script" in listing and secret not in listing
    app = create_app(settings(redis_url, auth_mode="password"))

    async def test() -> None:
        async with running(app) as client:
            assert (await _login(client)).status_code == 204
            headers = {"Authorization": f"Bearer {secret}"}
            assert (await client.get("/api/downloads", headers=headers)).status_code == 200
            assert _cli(redis_url, "token", "revoke", token_id).returncode == 0
            assert (await client.get("/api/downloads", headers=headers)).status_code == 401
            # a new password logs everyone out
            assert (
                _cli(redis_url, "set-password", "--stdin", stdin="another password\n").returncode
                == 0
            )
            assert (await client.get("/api/downloads")).status_code == 401

    run(test)
    assert _cli(redis_url, "token", "revoke", token_id).returncode == 1

"""The access rules that need no Redis: trusted hosts, the same-origin proof for writes, the
login throttle's delays, the caller's address behind proxies, the settings' validation."""

from __future__ import annotations

import asyncio
import ipaddress

import httpx
import pytest
from pydantic import ValidationError

from manhwa.access.csrf import write_refusal
from manhwa.access.exposure import startup_warnings
from manhwa.access.hosts import HostPolicy
from manhwa.access.identity import client_address
from manhwa.access.throttle import FREE, MAX_DELAY, delay_after
from manhwa.config import Settings
from manhwa.main import create_app

OWN = "127.0.0.1:8000"


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1:8000", "localhost:8000", "LOCALHOST", "[::1]:8000", "127.0.0.2", "192.168.1.5:8000",
     "app.localhost:5173", "manhwa.example.org", "Manhwa.Example.Org:443"],
)  # fmt: skip
def test_own_names_and_ip_literals_are_trusted(host: str) -> None:
    policy = HostPolicy(Settings(public_url="https://manhwa.example.org"))
    assert policy.trusts(host)


@pytest.mark.parametrize(
    "host",
    ["attacker.example", "attacker.example:8000", "localhost.attacker.example", "127.0.0.1.nip.io",
     "manhwa.example.org.attacker.example", "", "a b", "[::1", "@localhost"],
)  # fmt: skip
def test_other_names_are_refused(host: str) -> None:
    policy = HostPolicy(Settings(public_url="https://manhwa.example.org"))
    assert not policy.trusts(host)
    assert not policy.trusts(None)


def test_allowed_hosts_extend_the_names_and_star_trusts_all() -> None:
    assert HostPolicy(Settings(allowed_hosts="nas.lan, Reader.Home")).trusts("reader.home:8000")  # type: ignore[arg-type]
    assert HostPolicy(Settings(allowed_hosts="nas.lan")).trusts("localhost")  # type: ignore[arg-type]
    assert HostPolicy(Settings(allowed_hosts="*")).trusts("anything.example")  # type: ignore[arg-type]


def test_reads_need_no_proof() -> None:
    for method in ("GET", "HEAD", "OPTIONS"):
        assert write_refusal(method, {"origin": "https://evil.example"}, OWN, set()) is None


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "https://evil.example", "content-type": "application/json"},
        {"origin": "null", "content-type": "application/x-www-form-urlencoded"},
        {"origin": "http://127.0.0.1:9999"},  # another port is another origin
        {"origin": "http://127.0.0.1:8000.evil.example"},
        {"sec-fetch-site": "cross-site", "content-type": "application/json"},
        {"sec-fetch-site": "same-site"},
        {"content-type": "application/x-www-form-urlencoded"},
        {"content-type": "multipart/form-data; boundary=x"},
        {"content-type": "text/plain;charset=UTF-8"},
        {},  # a query-string-only POST
    ],
)
def test_cross_site_or_unproven_writes_are_refused(headers: dict[str, str]) -> None:
    assert write_refusal("POST", headers, OWN, set()) is not None
    if "origin" in headers or "sec-fetch-site" in headers:
        assert write_refusal("DELETE", headers, OWN, set()) is not None


def test_a_bare_delete_needs_no_proof_since_browsers_preflight_it() -> None:
    assert write_refusal("DELETE", {}, OWN, set()) is None


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "http://127.0.0.1:8000", "content-type": "application/x-www-form-urlencoded"},
        {"origin": "https://manhwa.example.org", "content-type": "application/json"},
        {"origin": "https://reader.example"},  # a CORS_ORIGINS entry
        {"sec-fetch-site": "same-origin", "content-type": "application/x-www-form-urlencoded"},
        {"sec-fetch-site": "none"},  # typed by the user
        {"content-type": "application/json"},  # curl: a browser would need a preflight
        {"x-requested-with": "XMLHttpRequest", "content-type": "application/x-www-form-urlencoded"},
        {"authorization": "Bearer mhd_x"},
    ],
)
def test_same_origin_and_non_browser_writes_pass(headers: dict[str, str]) -> None:
    allowed = {"https://manhwa.example.org", "https://reader.example"}
    assert write_refusal("POST", headers, OWN, allowed) is None


def test_origin_default_port_matches_a_host_without_port() -> None:
    assert write_refusal("POST", {"origin": "https://nas.lan:443"}, "nas.lan", set()) is None
    assert write_refusal("POST", {"origin": "http://nas.lan"}, "nas.lan:80", set()) is not None


def test_login_delay_doubles_after_the_free_attempts_up_to_the_cap() -> None:
    delays = [delay_after(n) for n in range(1, FREE + 6)]
    assert delays[: FREE - 1] == [0] * (FREE - 1)
    assert delays[FREE - 1 :] == [1, 2, 4, 8, 16, 32]
    assert delay_after(100) == MAX_DELAY


def test_client_address_trusts_forwarded_for_only_from_trusted_proxies() -> None:
    proxies = [ipaddress.ip_network("10.0.0.0/8")]
    forged = {"x-forwarded-for": "6.6.6.6, 203.0.113.7"}
    assert client_address("198.51.100.1", forged, proxies) == "198.51.100.1"
    assert client_address("10.0.0.2", forged, proxies) == "203.0.113.7"
    assert client_address("10.0.0.2", {"x-forwarded-for": "203.0.113.7, 10.0.0.3"}, proxies) == (
        "203.0.113.7"
    )
    assert client_address("10.0.0.2", {}, proxies) == "10.0.0.2"


def test_proxy_mode_needs_trusted_proxies_and_settings_are_validated() -> None:
    with pytest.raises(ValidationError, match="TRUSTED_PROXIES"):
        Settings(auth_mode="proxy")
    settings = Settings(auth_mode="proxy", trusted_proxies="10.0.0.0/8", auth_proxy_header="X-User")  # type: ignore[arg-type]
    assert settings.auth_proxy_header == "x-user"
    bad_values = [
        {"auth_mode": "ldap"},
        {"public_url": "manhwa.example.org"},
        {"auth_proxy_header": "Remote User"},
        {"trusted_proxies": "not-an-ip"},
    ]
    for bad in bad_values:
        with pytest.raises(ValidationError):
            Settings(**bad)  # type: ignore[arg-type]


def test_open_app_on_a_non_loopback_address_is_warned_about() -> None:
    assert startup_warnings(Settings(host="127.0.0.1")) == []
    assert startup_warnings(Settings(host="::1")) == []
    assert startup_warnings(Settings(host="0.0.0.0", auth_mode="password")) == []
    (warning,) = startup_warnings(Settings(host="0.0.0.0"))
    assert "AUTH_MODE=none" in warning and "0.0.0.0" in warning


def test_a_configured_cors_origin_may_send_an_api_token() -> None:
    app = create_app(Settings(cors_origins=["https://reader.example"], auth_mode="password"))

    async def preflight() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            headers = {
                "Origin": "https://reader.example",
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "authorization",
            }
            return await client.options("/api/downloads", headers=headers)

    answer = asyncio.run(preflight())
    assert answer.status_code == 200
    assert "authorization" in answer.headers["access-control-allow-headers"].lower()

"""The private-address guard, on the resolved address of every spelling."""

from __future__ import annotations

import asyncio
import ipaddress
import socket

import anyio
import pytest

from manhwa.errors import TargetRefused
from manhwa.guard import AddressPolicy, GuardedBackend, is_public


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "127.1", "2130706433", "0x7f000001", "::ffff:127.0.0.1", "[::1]", "0.0.0.0",
     "localhost", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "100.64.0.1",
     "fe80::1", "fc00::1", "224.0.0.1", "::"],
)  # fmt: skip
def test_private_spellings_are_refused_by_default(host: str) -> None:
    # Resolution only: nothing connects to these addresses.
    with pytest.raises(TargetRefused, match="private or local"):
        asyncio.run(AddressPolicy(False).resolve(host, 80))


def test_allow_list_permits_only_its_networks() -> None:
    policy = AddressPolicy([ipaddress.ip_network("127.0.0.1/32")])
    assert asyncio.run(policy.resolve("127.0.0.1", 80)) == ["127.0.0.1"]
    assert asyncio.run(policy.resolve("::ffff:127.0.0.1", 80))
    with pytest.raises(TargetRefused):
        asyncio.run(policy.resolve("127.0.0.2", 80))
    with pytest.raises(TargetRefused):
        asyncio.run(policy.resolve("10.1.2.3", 80))


def test_public_addresses_pass() -> None:
    assert is_public(ipaddress.ip_address("93.184.216.34"))
    assert is_public(ipaddress.ip_address("2606:4700::1111"))
    assert not is_public(ipaddress.ip_address("::ffff:10.0.0.1"))
    assert AddressPolicy(False).permits(ipaddress.ip_address("1.1.1.1"))


def test_unresolvable_host_is_refused() -> None:
    with pytest.raises(TargetRefused, match="cannot resolve"):
        asyncio.run(AddressPolicy(False).resolve("no-such-host.invalid", 80))


@pytest.mark.parametrize(
    "host",
    ["0177.0.0.1", "127.000.000.001", "0x7f.1", "::ffff:7f00:1", "::127.0.0.1",
     "2002:7f00:1::", "2002:a9fe:a9fe::", "fd00:ec2::254", "100.100.100.200", "[fe80::1%25lo]"],
)  # fmt: skip
def test_more_spellings_and_embeddings_are_refused(host: str) -> None:
    # Octal and short forms, IPv4 inside IPv6 (mapped, compatible, 6to4), cloud metadata
    # addresses (AWS IPv6, Alibaba): resolution only, nothing connects.
    with pytest.raises(TargetRefused):
        asyncio.run(AddressPolicy(False).resolve(host, 80))


def test_6to4_of_a_public_address_passes() -> None:
    assert is_public(ipaddress.ip_address("2002:808:808::1"))


def _fake_dns(answers: dict[str, list[str]]) -> object:
    async def getaddrinfo(host: str, port: int, **_: object) -> list[tuple[object, ...]]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in answers[host]]

    return getaddrinfo


@pytest.mark.parametrize(
    ("host", "answer"),
    [
        ("metadata.google.internal", ["169.254.169.254"]),
        ("rebind.example", ["93.184.216.34", "10.0.0.7"]),  # one private answer is enough
        ("intranet.example", ["192.168.0.10"]),
    ],
)
def test_names_resolving_to_private_addresses_are_refused_before_connecting(
    monkeypatch: pytest.MonkeyPatch, host: str, answer: list[str]
) -> None:
    monkeypatch.setattr(anyio, "getaddrinfo", _fake_dns({host: answer}))
    backend = GuardedBackend(AddressPolicy(False))

    async def never(*_: object, **__: object) -> None:
        raise AssertionError("connected to a refused address")

    monkeypatch.setattr(backend._inner, "connect_tcp", never)
    with pytest.raises(TargetRefused, match="private or local"):
        asyncio.run(backend.connect_tcp(host, 80))


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://127.0.0.1/x.jpg", "gopher://127.0.0.1:70/_x",
     "http://[::1]:9/x.jpg", "http://localhost:9/x.jpg", "http://0.0.0.0:9/"],
)  # fmt: skip
def test_fetcher_refuses_schemes_and_private_targets_without_connecting(url: str) -> None:
    # Loopback targets only: were the guard broken, nothing outside this machine is reached.
    from manhwa.config import Settings
    from manhwa.errors import ImageFetchError
    from manhwa.fetch import ImageFetcher

    async def fetch() -> None:
        async with ImageFetcher(Settings(allow_private_hosts=False, image_retries=0)) as f:
            await f.fetch(url, 0, {})

    with pytest.raises(ImageFetchError, match=r"refused|bad image URL"):
        asyncio.run(fetch())

"""The private-address guard, on the resolved address of every spelling."""

from __future__ import annotations

import asyncio
import ipaddress

import pytest

from manhwa.errors import TargetRefused
from manhwa.guard import AddressPolicy, is_public


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

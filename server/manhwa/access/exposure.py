"""The loud warning for an open app reachable from other machines: AUTH_MODE=none is only safe
on loopback. Said at start-up (when the configured listen address is not loopback) and, once a
request arrives from a non-loopback address, on the health endpoint's JSON."""

from __future__ import annotations

import ipaddress

from ..config import Settings

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def is_ip(address: str) -> bool:
    try:
        ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return False
    return True


def is_loopback(address: str) -> bool:
    if address in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False


def startup_warnings(settings: Settings) -> list[str]:
    if settings.auth_mode != "none" or is_loopback(settings.host):
        return []
    return [
        f"AUTH_MODE=none while listening on {settings.host}: anyone who can reach this address "
        "can read, queue and delete everything. Set AUTH_MODE=password (then run `manhwa "
        "set-password`) or AUTH_MODE=proxy, or listen on 127.0.0.1."
    ]


def peer_warning(peer: str) -> str:
    return (
        f"AUTH_MODE=none and a request came from {peer}, not this machine: anyone on that "
        "network can use the app. Set AUTH_MODE=password or AUTH_MODE=proxy."
    )

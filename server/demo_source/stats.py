"""Request counting per path, so tests can assert how often a client called (or retried), and
per host as a client's budget names it (`consumet:<provider>` for `/manga/<provider>/…`,
`images` for `/img/…`): requests served and the most ever open at once, so the benchmark can
check that a fleet never had more requests open at a source than its budget allows.
"""

from __future__ import annotations

import time
from collections import Counter

from starlette.types import ASGIApp, Receive, Scope, Send

from demo_source.ratelimit import HostCounters

# Reading or resetting the counters must not change them.
_UNCOUNTED = frozenset({"/_control/stats", "/_control/faults", "/_control/host"})


def budget_name(path: str) -> str | None:
    """The host a client's budget would name for `path`; None for the control routes."""
    if path.startswith("/img/"):
        return "images"
    parts = path.split("/")
    if len(parts) > 2 and parts[1] == "manga" and parts[2]:
        return f"consumet:{parts[2]}"
    return None


class Stats:
    """Hits per request path (without the query string), and per budget name."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.image_host = HostCounters()
        self.hosts: dict[str, HostCounters] = {}

    def snapshot(self) -> dict[str, object]:
        return {
            "hits": dict(self.hits),
            "total": sum(self.hits.values()),
            "hosts": {name: c.summary() for name, c in sorted(self.hosts.items())},
        }

    def reset(self) -> None:
        self.hits.clear()
        self.image_host.reset()
        # A budget with requests open stays (they are still open); the others start afresh.
        self.hosts = {name: c for name, c in self.hosts.items() if c.open}
        for counters in self.hosts.values():
            counters.reset()


class StatsCounter:
    """Outermost middleware: counts every HTTP request, faulted ones included."""

    def __init__(self, app: ASGIApp, stats: Stats) -> None:
        self.app = app
        self.stats = stats

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in _UNCOUNTED:
            await self.app(scope, receive, send)
            return
        self.stats.hits[scope["path"]] += 1
        name = budget_name(scope["path"])
        if name is None:
            await self.app(scope, receive, send)
            return
        counters = self.stats.hosts.setdefault(name, HostCounters())
        counters.opened(time.monotonic())
        try:
            await self.app(scope, receive, send)
        finally:
            counters.closed(served=True)

"""Request counting per path, so tests can assert how often a client called (or retried)."""

from __future__ import annotations

from collections import Counter

from starlette.types import ASGIApp, Receive, Scope, Send

from demo_source.ratelimit import HostCounters

# Reading or resetting the counters must not change them.
_UNCOUNTED = frozenset({"/_control/stats", "/_control/faults", "/_control/host"})


class Stats:
    """Hits per request path (without the query string)."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.image_host = HostCounters()

    def snapshot(self) -> dict[str, object]:
        return {"hits": dict(self.hits), "total": sum(self.hits.values())}

    def reset(self) -> None:
        self.hits.clear()
        self.image_host.reset()


class StatsCounter:
    """Outermost middleware: counts every HTTP request, faulted ones included."""

    def __init__(self, app: ASGIApp, stats: Stats) -> None:
        self.app = app
        self.stats = stats

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] not in _UNCOUNTED:
            self.stats.hits[scope["path"]] += 1
        await self.app(scope, receive, send)

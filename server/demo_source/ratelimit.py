"""A rate-limited image host: a token bucket per client IP, 429s beyond it, bans for repeat
offenders, and a record of the most requests ever open at once.

Turned on with `PUT /_control/faults {"rate_limit": {"rate": 20, "burst": 5, ...}}`; counters in
`GET /_control/host` (reset with the hit counters by `DELETE /_control/stats`). The concurrency
record is kept even with no rate limit, so a test can check that a fleet of workers never had
more image requests open than its budget allows.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field
from starlette.types import ASGIApp, Receive, Scope, Send

if TYPE_CHECKING:
    from demo_source.faults import FaultState

LOG_SIZE = 10_000


class RateLimit(BaseModel):
    """Per client IP: `rate` requests/s with a `burst`; `ban_after` 429s (0: never) then every
    request gets 429 for `ban_seconds`. `header` says how the wait is announced."""

    model_config = ConfigDict(extra="forbid")

    rate: float = Field(gt=0)
    burst: int = Field(default=1, ge=1)
    ban_after: int = Field(default=0, ge=0)
    ban_seconds: float = Field(default=60.0, ge=0)
    header: Literal["retry-after", "x-ratelimit-retry-after", "none"] = "retry-after"


@dataclass
class _Client:
    tokens: float
    at: float
    violations: int = 0
    banned_until: float = 0.0


@dataclass
class HostCounters:
    """What the image host saw since the last reset."""

    open: int = 0
    max_open: int = 0
    served: int = 0
    limited: int = 0
    limited_late: int = 0  # 429s more than a second after the first request
    bans: int = 0
    first_at: float | None = None
    first_served_at: float | None = None
    last_served_at: float | None = None
    clients: dict[str, _Client] = field(default_factory=dict)
    # (seconds since the first request, status or 0 while open, announced wait): the timeline a
    # test reads to see that nobody asked during a cool-down. The last LOG_SIZE requests.
    log: list[tuple[float, int, float]] = field(default_factory=list)

    def snapshot(self) -> dict[str, object]:
        span = (self.last_served_at or 0) - (self.first_served_at or 0)
        return {
            "max_concurrent": self.max_open,
            "open": self.open,
            "served": self.served,
            "limited": self.limited,
            "limited_after_first_second": self.limited_late,
            "bans": self.bans,
            "served_per_s": round((self.served - 1) / span, 2) if span > 0 else None,
            "log": [[round(t, 3), status, round(wait, 3)] for t, status, wait in self.log],
        }

    def opened(self, now: float) -> None:
        """A request arrived: it is open until `closed`."""
        if self.first_at is None:
            self.first_at = now
        self.open += 1
        self.max_open = max(self.max_open, self.open)

    def closed(self, served: bool) -> None:
        """A request's answer is sent; `served` counts it (a 429 is not served)."""
        self.open -= 1
        if served:
            self.served += 1
            done = time.monotonic()
            self.first_served_at = self.first_served_at or done
            self.last_served_at = done

    def summary(self) -> dict[str, object]:
        """The snapshot without its timeline."""
        return {k: v for k, v in self.snapshot().items() if k != "log"}

    def reset(self) -> None:
        """Forget everything but the requests open right now (they are still open)."""
        fresh = HostCounters(open=self.open, max_open=self.open)
        for item in dataclasses.fields(self):
            setattr(self, item.name, getattr(fresh, item.name))


class HostLimiter:
    """ASGI middleware for `/img/*`: applies `FaultConfig.rate_limit` and counts open requests."""

    def __init__(self, app: ASGIApp, faults: FaultState, counters: HostCounters) -> None:
        self.app = app
        self.faults = faults
        self.counters = counters
        self._config: RateLimit | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope.get("path", "").startswith("/img/"):
            await self.app(scope, receive, send)
            return
        c = self.counters
        now = time.monotonic()
        c.opened(now)
        first_at = c.first_at if c.first_at is not None else now
        if len(c.log) >= LOG_SIZE:
            del c.log[: LOG_SIZE // 2]
        served = False
        try:
            wait = self._take(scope, now)
            c.log.append((now - first_at, 200 if wait is None else 429, wait or 0.0))
            if wait is not None:
                c.limited += 1
                if now - first_at > 1.0:
                    c.limited_late += 1
                await _too_many(send, wait, self._config)
                return
            await self.app(scope, receive, send)
            served = True
        finally:
            c.closed(served)

    def _take(self, scope: Scope, now: float) -> float | None:
        """None when the request may pass, else the seconds to announce in the 429."""
        config = self.faults.config.rate_limit
        if config is not self._config:  # a new configuration starts every bucket afresh
            self._config = config
            self.counters.clients.clear()
        if config is None:
            return None
        ip = (scope.get("client") or ("?", 0))[0]
        client = self.counters.clients.setdefault(ip, _Client(float(config.burst), now))
        if client.banned_until > now:
            return client.banned_until - now
        client.tokens = min(config.burst, client.tokens + (now - client.at) * config.rate)
        client.at = now
        if client.tokens >= 1:
            client.tokens -= 1
            return None
        client.violations += 1
        if config.ban_after and client.violations >= config.ban_after:
            client.violations = 0
            client.banned_until = now + config.ban_seconds
            self.counters.bans += 1
            return config.ban_seconds
        return (1 - client.tokens) / config.rate


async def _too_many(send: Send, wait: float, config: RateLimit | None) -> None:
    seconds = max(1, round(wait + 0.49))
    body = b"rate limited"
    headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]
    if config is not None and config.header == "x-ratelimit-retry-after":
        headers.append((b"x-ratelimit-retry-after", str(int(time.time() + wait + 0.999)).encode()))
    elif config is None or config.header == "retry-after":
        headers.append((b"retry-after", str(seconds).encode()))
    await send({"type": "http.response.start", "status": 429, "headers": headers})
    await send({"type": "http.response.body", "body": body})

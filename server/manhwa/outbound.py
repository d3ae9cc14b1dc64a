"""How we call other hosts (Consumet, image hosts): the one retry/backoff policy, and the
per-host gate every single outbound request passes through.

Retries use full jitter (a random delay in [0, min(max, base·2^attempt)]), so many pages that
failed together do not retry together; a `Retry-After` the host sent is honoured up to the
policy's maximum delay. Which failures are worth a retry is the caller's business (the
Consumet client and the image fetcher each classify their own); how long to wait is this one.

`HostGate` is the one seam for fleet-wide host budgets (`hostlimits.FleetGate` plugs in
there): each request is made inside `gate.hold(host)`, whose `HostPass` is told when the host
throttled the request, so the gate can pause that host for every worker. A throttled request
the gate now waits out is retried without spending an attempt, up to `throttled_max` times.
The default, `OPEN_GATE`, admits everything at once, paces nothing and costs nothing.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol

from .config import Settings

RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
# Throttled answers per request that the host gate waits out instead of counting as retries:
# a host pausing us is no reason to give a page up, but a host that never lets up is.
MAX_THROTTLED = 30


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (the delta form; an HTTP date counts as absent)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def retry_delay(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds a throttling host asks us to wait: `Retry-After` (seconds or an HTTP date) or
    MangaDex's `X-RateLimit-Retry-After` (epoch seconds); None when it says nothing usable.
    The host gate's shared cool-down reads this."""
    now = time.time() if now is None else now
    lowered = {k.lower(): v for k, v in headers.items()}
    value = lowered.get("x-ratelimit-retry-after")
    if value:
        try:
            return max(0.0, float(value) - now)
        except ValueError:
            pass
    value = lowered.get("retry-after")
    seconds = parse_retry_after(value)
    if seconds is not None or not value:
        return seconds
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - now)


@dataclass(frozen=True)
class RetryPolicy:
    """`retries` more attempts after the first, with full-jitter exponential backoff."""

    retries: int
    base_delay: float
    max_delay: float
    throttled_max: int = MAX_THROTTLED

    @classmethod
    def for_images(cls, settings: Settings) -> RetryPolicy:
        return cls(settings.image_retries, settings.retry_base_delay, settings.retry_max_delay)

    @classmethod
    def for_consumet(cls, settings: Settings) -> RetryPolicy:
        return cls(settings.consumet_retries, settings.retry_base_delay, settings.retry_max_delay)

    def gives_up(self, attempt: int) -> bool:
        """True when `attempt` (0-based) was the last one allowed."""
        return attempt >= self.retries

    def waits_out(self, throttles: int, cool_down: float | None) -> bool:
        """True when a throttled request is retried without spending an attempt: the host gate
        took the host's cool-down on (`cool_down` is not None: it now holds every request to
        that host until it ends) and this request has been throttled fewer than `throttled_max`
        times before."""
        return cool_down is not None and throttles < self.throttled_max

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before attempt `attempt + 1`."""
        delay = random.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.max_delay))
        return delay

    async def wait(self, attempt: int, retry_after: float | None = None) -> None:
        await asyncio.sleep(self.delay(attempt, retry_after))


class HostPass(Protocol):
    """One admitted request; told when the host throttled it."""

    async def throttled(self, headers: Mapping[str, str], *, strike: bool = True) -> float | None:
        """The host answered 429 (`strike`) or asked for a softer back-off (a 5xx): pause the
        host for everyone, for as long as its headers ask. Returns the cool-down in seconds the
        gate now enforces, or None when the gate paces nothing (the caller's retry waits)."""
        ...


class HostGate(Protocol):
    """Admits one request to `host`; the request runs inside `hold(host)`."""

    def hold(self, host: str) -> AbstractAsyncContextManager[HostPass]: ...


class _Open:
    async def __aenter__(self) -> _Open:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    async def throttled(self, headers: Mapping[str, str], *, strike: bool = True) -> None:
        return None


class OpenGate:
    """No limit and no pacing: the API's own clients (the reader must not queue behind
    downloads) and in-process tests."""

    _open = _Open()

    def hold(self, host: str) -> AbstractAsyncContextManager[HostPass]:
        return self._open


OPEN_GATE: HostGate = OpenGate()

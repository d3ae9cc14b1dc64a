"""How we call other hosts (Consumet, image hosts): the one retry/backoff policy, and the
per-host gate every single outbound request passes through.

Retries use full jitter (a random delay in [0, min(max, base·2^attempt)]), so many pages that
failed together do not retry together; a `Retry-After` the host sent is honoured up to the
policy's maximum delay. Which failures are worth a retry is the caller's business (the
Consumet client and the image fetcher each classify their own); how long to wait is this one.

`HostGate` is the seam for fleet-wide host budgets: each request is made inside
`gate.hold(host)`. The default, `OPEN_GATE`, admits everything at once and costs nothing.
"""

from __future__ import annotations

import asyncio
import random
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol

from .config import Settings

RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (the delta form; an HTTP date counts as absent)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


@dataclass(frozen=True)
class RetryPolicy:
    """`retries` more attempts after the first, with full-jitter exponential backoff."""

    retries: int
    base_delay: float
    max_delay: float

    @classmethod
    def for_images(cls, settings: Settings) -> RetryPolicy:
        return cls(settings.image_retries, settings.retry_base_delay, settings.retry_max_delay)

    @classmethod
    def for_consumet(cls, settings: Settings) -> RetryPolicy:
        return cls(settings.consumet_retries, settings.retry_base_delay, settings.retry_max_delay)

    def gives_up(self, attempt: int) -> bool:
        """True when `attempt` (0-based) was the last one allowed."""
        return attempt >= self.retries

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before attempt `attempt + 1`."""
        delay = random.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.max_delay))
        return delay

    async def wait(self, attempt: int, retry_after: float | None = None) -> None:
        await asyncio.sleep(self.delay(attempt, retry_after))


class HostGate(Protocol):
    """Admits one request to `host`; the request runs inside `hold(host)`."""

    def hold(self, host: str) -> AbstractAsyncContextManager[object]: ...


class _Open:
    async def __aenter__(self) -> None:
        return None

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None


class OpenGate:
    """No limit: the default until fleet-wide host budgets plug in."""

    _open = _Open()

    def hold(self, host: str) -> AbstractAsyncContextManager[object]:
        return self._open


OPEN_GATE: HostGate = OpenGate()

"""One job's ear on a host's channel (`hostlimits_scripts.host_channel`): the fleet's news about
that host, pushed by the budget's scripts instead of being polled for.

- "turn <jobs>": a permit came free and these jobs are next in line. `turns` counts the times
  this job was named, so a turn that lands while the job is still asking is not lost.
- "wait <seq>" / "stop <seq>": a job started waiting, or the host threw a 429 / asked to back
  off. `stop_seq` keeps the highest; a job keeping spare permits gives them back (`on_stop`).

Kept apart from the gate (`hostlimits.FleetGate`) because it owns a connection and a task of its
own; a dropped subscription only costs the gate its shortcuts (it re-checks on a timer and stops
keeping spares), never a permit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError

from .hostlimits_scripts import host_channel

log = logging.getLogger(__name__)


class HostChannel:
    """Subscribed to `host`'s channel for `job` until `aclose`."""

    def __init__(
        self, redis: Redis, host: str, job: str, on_stop: Callable[[], None] | None = None
    ) -> None:
        self._pubsub = redis.pubsub()
        self._channel = host_channel(host)
        self._job = job
        self._on_stop = on_stop
        self.turns = 0
        self.stop_seq = 0
        self._changed = asyncio.Event()
        self.ready = asyncio.Event()  # subscribed (or given up): news from now on is heard
        self._task = asyncio.create_task(self._listen())

    async def _listen(self) -> None:
        try:
            await self._pubsub.subscribe(self._channel)
            while True:
                message = await self._pubsub.get_message(timeout=None)
                if message is None:
                    continue
                if message["type"] == "subscribe":
                    self.ready.set()
                elif message["type"] == "message":
                    self._hear(message["data"])
        except (RedisError, OSError) as exc:  # the gate's timed re-checks still run
            log.warning("host channel %s unavailable: %s", self._channel, exc)
        finally:
            self.ready.set()

    def _hear(self, data: bytes | str) -> None:
        kind, _, rest = (data.decode() if isinstance(data, bytes) else data).partition(" ")
        if kind == "turn":
            if self._job in rest.split():
                self.turns += 1
                self._changed.set()
        elif kind in ("wait", "stop"):
            with contextlib.suppress(ValueError):
                self.stop_seq = max(self.stop_seq, int(rest))
            if self._on_stop is not None:
                self._on_stop()

    @property
    def listening(self) -> bool:
        """Subscribed and still reading: no news about the host can have been missed."""
        return self.ready.is_set() and not self._task.done()

    def nudge(self) -> None:
        """Wake `wait` from this process (a spare permit of the job's own came free)."""
        self._changed.set()

    async def wait(self, seen: int, timeout: float) -> None:
        """Return once the job was named after `seen` turns, when nudged, or after `timeout`."""
        if self.turns != seen:
            return
        self._changed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), timeout)

    async def aclose(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        with contextlib.suppress(RedisError):
            await self._pubsub.aclose()  # type: ignore[no-untyped-call]

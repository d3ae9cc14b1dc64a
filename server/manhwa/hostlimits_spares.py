"""Spare permits: the fast path of the fleet-wide host budgets (`hostlimits.FleetGate`).

A permit costs two Redis round trips (ACQUIRE before the request, RELEASE after), and a job's
requests to one host follow each other closely: the next page starts as the last one ends. So a
job keeps a finished request's permit and hands it to its next request to that host, with no
Redis call, while that is sure to be fair:

- the host has no configured rate (each request must take its own slot of a rate);
- the job's last grant found nobody waiting and no 429 strikes (`clean_seq`, the host's `seq`
  then), and the job has heard no "wait"/"stop" on the host's channel since (`stop_seq`): a job
  that starts waiting, or a 429, makes every job give its spares back at once (`give_all`);
- a spare unused for `keep_s` goes back on its own, so a job between chapters holds nothing.

Kept permits stay leased (the gate renews them with the ones in use), so the fleet's concurrency
never exceeds its budget, and a SIGKILLed worker's spares expire with their lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable

from .hostlimits_channel import HostChannel
from .hostlimits_rules import HostLimit


class Spares:
    """One job's kept permits for one host; `give_back(permit_id)` returns one to the fleet."""

    def __init__(self, give_back: Callable[[str], Awaitable[None]], keep_s: float) -> None:
        self._give_back = give_back
        self._keep_s = keep_s
        self._kept: dict[str, float] = {}  # permit id → when kept
        self._chores: set[asyncio.Task[None]] = set()
        self.clean_seq = -1  # `seq` of the last grant that found nobody waiting and no strikes

    def granted(self, waiting: int, seq: int, strikes: int) -> None:
        """Note what a grant found: jobs still waiting, the host's `seq`, its 429 strikes."""
        self.clean_seq = seq if waiting == 0 and strikes == 0 else -1

    def distrust(self) -> None:
        """Keep nothing until the next grant (news may have been missed before listening)."""
        self.clean_seq = -1

    def may_keep(self, limit: HostLimit, channel: HostChannel | None) -> bool:
        """Whether a permit may pass from one request of the job to its next without Redis."""
        return (
            limit.rate is None
            and channel is not None
            and channel.listening
            and self.clean_seq >= channel.stop_seq
        )

    def take(self, limit: HostLimit, channel: HostChannel | None) -> str | None:
        """A kept permit for the job's next request, if one is kept and keeping is fair."""
        if self._kept and self.may_keep(limit, channel):
            permit_id = next(iter(self._kept))
            del self._kept[permit_id]
            return permit_id
        return None

    def keep(self, permit_id: str) -> None:
        first = not self._kept
        self._kept[permit_id] = time.monotonic()
        if first:
            self._chore(self._give_idle())

    def give_all(self) -> None:
        """Return every kept permit now (another job waits, or the host throttled)."""
        if self._kept:
            self._chore(self._give(float("inf")))

    def _chore(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._chores.add(task)
        task.add_done_callback(self._chores.discard)

    async def _give(self, cutoff: float) -> None:
        for permit_id in [p for p, at in self._kept.items() if at <= cutoff]:
            # While an earlier permit goes back, a request may take this one (it is then in
            # use, not ours to return) or keep it again later than the cutoff.
            kept_at = self._kept.get(permit_id)
            if kept_at is None or kept_at > cutoff:
                continue
            del self._kept[permit_id]
            await self._give_back(permit_id)

    async def _give_idle(self) -> None:
        while self._kept:
            oldest = min(self._kept.values())
            await asyncio.sleep(max(0.0, oldest + self._keep_s - time.monotonic()))
            await self._give(time.monotonic() - self._keep_s)

    async def aclose(self) -> None:
        """Return every kept permit before the job's gate closes."""
        for task in list(self._chores):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._give(float("inf"))

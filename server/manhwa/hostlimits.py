"""Fleet-wide host budgets in Redis: leased permits, a shared rate, 429 cool-downs, turns.

A `FleetGate` is a job's view of them and plugs into the one outbound seam
(`outbound.HostGate`): every request to an image host (and to Consumet, as
`consumet:<provider>`) is made inside `gate.hold(host)`, and its `Permit` (an
`outbound.HostPass`) is told about the host's 429s. One Lua script decides, atomically and on
Redis's clock, whether a request may start now:

- **Concurrency**: a sorted set of permit ids scored by their expiry. A permit is leased, not
  owned: the gate renews the ones it holds every third of `HOST_PERMIT_LEASE_SECONDS`, so the
  permits of a SIGKILLed worker expire with their lease and nothing leaks.
- **Rate**: GCRA (one timestamp per host), in the same script. A library like `limits` or
  `pyrate-limiter` would cost a second round trip per request and knows neither a rate that
  halves after 429s nor a shared cool-down; GCRA is a dozen lines.
- **Cool-down**: a 429's `Retry-After` (seconds or HTTP date) or MangaDex's
  `X-RateLimit-Retry-After` (epoch seconds) pauses the host for every worker. A 429 within
  `REPEAT_WINDOW_MS` of the last halves the host's configured rate, which grows back by
  `RECOVERY_PER_S` of it a second. A host without a configured rate gets the cool-downs only:
  halving its concurrency would turn the odd 429 of a busy host into a crawl.
  429s that keep coming with no success between them are a ban: the cool-down grows from a
  minute to 15, and the job's status says so.
- **Turns**: jobs that were refused queue per host in arrival order; a job gets a slot only when
  more are free than jobs ahead of it, and goes to the back of the line when served. A one-chapter
  job thus alternates with a 500-chapter one instead of waiting behind it.

Inside one job, requests for a host line up locally (an asyncio.Lock) and only the head of that
line talks to Redis. The modules beside this one keep that cheap:
- `hostlimits_spares`: a finished request's permit passes to the job's next request to the host
  with no Redis call, while nobody else waits and the host has no rate (else ACQUIRE + RELEASE);
- `hostlimits_channel`: a job refused by a busy host sleeps until a RELEASE names it on the
  host's channel, re-asking every `RECHECK_S` (its place in line; an expired lease, a lost
  wake-up). Polling every 5–80 ms instead made two processes sharing one host's 8 permits
  slower than one process holding all 8: a freed permit sat idle until the next poll.
- `hostlimits_scripts`: the Lua scripts, their keys and the channel.

This module stays whole at ~340 lines (a third of them this text): what is left is one protocol
against the scripts (ask, wait, give back, throttle, renew), which reads best in one place.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from functools import partial
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from .config import Settings
from .hostlimits_channel import HostChannel
from .hostlimits_rules import HostLimit, HostLimits
from .hostlimits_scripts import ACQUIRE, RELEASE, RENEW, THROTTLE, host_channel, host_keys
from .hostlimits_spares import Spares
from .outbound import retry_delay

log = logging.getLogger(__name__)

REPEAT_WINDOW_MS = 30_000  # a second 429 within this halves the host's configured rate
RECOVERY_PER_S = 0.02  # the budget factor grows back by this much per second (0.5 → 1 in 25 s)
MIN_FACTOR = 1 / 16
DEFAULT_COOL_MS = 1000  # a 429 without a usable header: 1 s, doubling per strike
BAN_STRIKES = 4  # 429s in a row (≥ 1 s apart, no success between) that mean a ban
BAN_BASE_MS = 60_000
BAN_MAX_MS = 15 * 60_000
MIN_POLL_S = 0.005
RECHECK_S = 1.0  # a waiting job re-asks at least this often: keeps its place, notices expiries
KEEP_S = 0.05  # a spare permit unused this long goes back to the fleet
SHOW_AFTER_S = 2.0  # a wait for a busy host shows in the status only once it lasts this long
Hold = Callable[[str | None], Awaitable[None]]


def hold_text(host: str, why: str, seconds: float) -> str:
    """What a held job's status says (README "Politeness: host limits" quotes these)."""
    resumes = f"resumes in {max(1, round(seconds))} s"
    if why == "ban":
        return f"waiting for host {host} (it keeps answering 429: likely a ban, {resumes})"
    if why in ("rate limit", "rate"):  # a 429's cool-down, or the configured rate's next slot
        return f"waiting for host {host} (rate limit, {resumes})"
    return f"waiting for host {host} (busy with other downloads, taking turns)"


class Permit:
    """One granted request to `host` (an `outbound.HostPass`); told when the host throttled
    the request."""

    def __init__(self, gate: FleetGate, host: str, permit_id: str | None) -> None:
        self._gate = gate
        self.host = host
        self.id = permit_id
        self.throttled_for: float | None = None

    async def throttled(self, headers: Mapping[str, str], *, strike: bool = True) -> float:
        """Pause the host for everyone (429: `strike`; a softer back-off otherwise).

        Returns the cool-down in seconds now in force.
        """
        self.throttled_for = await self._gate.throttle(self.host, headers, strike=strike)
        return self.throttled_for


class _Host:
    """What one job knows and keeps for one host."""

    def __init__(self, give_back: Callable[[str], Awaitable[None]], keep_s: float) -> None:
        self.line = asyncio.Lock()  # one asker at a time, in arrival order
        self.held: set[str] = set()  # permits in use or kept spare (all renewed)
        self.spares = Spares(give_back, keep_s)
        self.channel: HostChannel | None = None


class FleetGate:
    """One job's share of the fleet-wide host budgets: an `outbound.HostGate` whose permits come
    from Redis. `on_hold` hears what the job should say while the gate holds it back (None once
    it is let through)."""

    def __init__(
        self,
        redis: Redis,
        limits: HostLimits,
        job_id: str,
        *,
        lease_seconds: int = 15,
        on_hold: Hold | None = None,
        recheck_s: float = RECHECK_S,
        keep_s: float = KEEP_S,
    ) -> None:
        self._redis = redis
        self._limits = limits
        self._job = job_id
        self._lease_ms = lease_seconds * 1000
        self._on_hold = on_hold
        self._recheck_s = recheck_s
        # A waiter that missed three re-checks has gone and loses its turn.
        self._waiter_ttl_ms = round(3000 * recheck_s)
        self._keep_s = keep_s
        self._prefix = f"{job_id}:{secrets.token_hex(4)}:"
        self._ids = itertools.count()
        self._hosts: dict[str, _Host] = {}
        self._renewer: asyncio.Task[None] | None = None
        self._shown: tuple[str | None, float] = (None, 0.0)
        self.calls = 0  # Redis round trips made, for the benchmark's cost per image
        self._acquire = redis.register_script(ACQUIRE)
        self._release = redis.register_script(RELEASE)
        self._renew = redis.register_script(RENEW)
        self._throttle = redis.register_script(THROTTLE)

    @classmethod
    def from_settings(
        cls, settings: Settings, redis: Redis, job_id: str, *, on_hold: Hold | None = None
    ) -> FleetGate:
        """The gate a worker's job requests through: `HOST_LIMITS` over the provider defaults."""
        return cls(
            redis,
            settings.host_limit_table,
            job_id,
            lease_seconds=settings.permit_lease_seconds,
            on_hold=on_hold,
        )

    @contextlib.asynccontextmanager
    async def hold(self, host: str) -> AsyncIterator[Permit]:
        """Hold one of `host`'s permits for the body of the `async with`."""
        host = host.lower()
        state = self._host(host)
        limit = self._limits.for_host(host)
        async with state.line:
            permit_id = state.spares.take(limit, state.channel)
            if permit_id is None:
                permit_id = await self._wait_for_permit(host, state, limit)
        permit = Permit(self, host, permit_id)
        if permit_id is not None:
            state.held.add(permit_id)
            if self._renewer is None or self._renewer.done():
                self._renewer = asyncio.create_task(self._renew_forever())
        ok = False
        try:
            yield permit
            ok = permit.throttled_for is None
        finally:
            if permit_id is not None:
                if ok and state.spares.may_keep(limit, state.channel):
                    state.spares.keep(permit_id)
                    if state.channel is not None:
                        state.channel.nudge()  # our own head of line may be waiting for one
                else:
                    state.held.discard(permit_id)
                    await self._give_back(host, permit_id, ok)

    def _host(self, host: str) -> _Host:
        state = self._hosts.get(host)
        if state is None:
            state = self._hosts[host] = _Host(partial(self._give_spare, host), self._keep_s)
        return state

    async def _give_spare(self, host: str, permit_id: str) -> None:
        self._hosts[host].held.discard(permit_id)
        await asyncio.shield(self._give_back(host, permit_id, True))  # even as the job ends

    async def _subscribe(self, host: str, state: _Host) -> HostChannel:
        if state.channel is not None:
            await state.channel.aclose()
        state.channel = HostChannel(self._redis, host, self._job, state.spares.give_all)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(state.channel.ready.wait(), self._recheck_s)
        # A job that started waiting before we listened was not heard: keep nothing until a
        # grant made while listening says nobody waits.
        state.spares.distrust()
        return state.channel

    async def _wait_for_permit(self, host: str, state: _Host, limit: HostLimit) -> str | None:
        """Ask until granted (or a spare of the job's own comes free); None when Redis is away
        (then the request goes ahead unbudgeted: the job's own per-host limit still holds, and a
        Redis restart lasts seconds)."""
        permit_id = f"{self._prefix}{next(self._ids)}"
        keys = host_keys(host)
        args: list[str | int | float] = [
            permit_id,
            self._job,
            limit.concurrency,
            limit.rate or 0,
            limit.burst,
            self._lease_ms,
            self._waiter_ttl_ms,
            RECOVERY_PER_S / 1000,
            host_channel(host),
        ]
        started = time.monotonic()
        while True:
            spare = state.spares.take(limit, state.channel)
            if spare is not None:
                await self._show(None)
                return spare
            channel = state.channel
            seen = channel.turns if channel is not None else 0
            try:
                self.calls += 1
                answer = await self._acquire(keys=keys, args=args)
            except RedisError as exc:
                log.warning("host budget for %s unavailable, going ahead: %s", host, exc)
                return None
            if int(answer[0]):
                state.spares.granted(*(int(x) for x in answer[3:6]))
                if limit.rate is None and (channel is None or not channel.listening):
                    await self._subscribe(host, state)  # to hear when spares must go back
                await self._show(None)
                return permit_id
            why = str(answer[2])
            if why == "busy":
                wait = self._recheck_s
            else:
                # At least MIN_POLL_S: a job ahead of us that is late for its slot would
                # otherwise have every job behind it asking again and again.
                wait = max(MIN_POLL_S, int(answer[1]) / 1000)
            if why in ("rate limit", "ban") or time.monotonic() - started >= SHOW_AFTER_S:
                await self._show(hold_text(host, why, wait))
            # Re-ask at least every `recheck_s` so this job keeps its place in the host's line.
            wait = min(wait, self._recheck_s)
            if why != "busy":
                await asyncio.sleep(wait)
            elif channel is None or not channel.listening:
                # Subscribed only now: a permit freed before the subscription took hold named
                # nobody who listens, so ask again at once.
                await self._subscribe(host, state)
            else:
                await channel.wait(seen, wait)

    async def _show(self, text: str | None) -> None:
        """Tell the job it is held (at most once a second) or no longer held."""
        if self._on_hold is None:
            return
        shown, at = self._shown
        now = time.monotonic()
        if text == shown or (text is not None and shown is not None and now - at < 1.0):
            return
        self._shown = (text, now)
        await self._on_hold(text)

    async def _give_back(self, host: str, permit_id: str, ok: bool) -> None:
        args = [
            permit_id,
            "1" if ok else "0",
            self._limits.for_host(host).concurrency,
            self._waiter_ttl_ms,
            host_channel(host),
        ]
        try:
            self.calls += 1
            await self._release(keys=host_keys(host), args=args)
        except RedisError as exc:  # the lease runs out on its own
            log.warning("could not release a permit for %s: %s", host, exc)

    async def throttle(self, host: str, headers: Mapping[str, str], *, strike: bool) -> float:
        """Set `host`'s shared cool-down from a throttling answer's headers; the seconds left."""
        delay = retry_delay(headers)
        args: list[Any] = [
            -1 if delay is None else round(delay * 1000),
            "1" if strike else "0",
            RECOVERY_PER_S / 1000,
            REPEAT_WINDOW_MS,
            MIN_FACTOR,
            DEFAULT_COOL_MS,
            BAN_STRIKES,
            BAN_BASE_MS,
            BAN_MAX_MS,
            host_channel(host),
        ]
        try:
            self.calls += 1
            strikes, cool_ms, why = await self._throttle(keys=[host_keys(host)[1]], args=args)
        except RedisError as exc:
            log.warning("could not record a 429 from %s: %s", host, exc)
            return delay or 1.0
        if str(why) == "ban":
            log.warning("host %s: %s 429s in a row, treating it as a ban", host, strikes)
        return int(cool_ms) / 1000

    async def _renew_forever(self) -> None:
        """Extend this job's permits while their requests run (a download can outlast a lease)."""
        while any(state.held for state in self._hosts.values()):
            await asyncio.sleep(self._lease_ms / 3000)
            for host, state in list(self._hosts.items()):
                if not state.held:
                    continue
                try:
                    self.calls += 1
                    await self._renew(keys=[host_keys(host)[0]], args=[self._lease_ms, *state.held])
                except RedisError as exc:
                    log.warning("could not renew permits for %s: %s", host, exc)

    async def aclose(self) -> None:
        """Give back the spare permits and stop listening and renewing."""
        for state in self._hosts.values():
            await state.spares.aclose()
            if state.channel is not None:
                await state.channel.aclose()
                state.channel = None
        if self._renewer is not None:
            self._renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewer

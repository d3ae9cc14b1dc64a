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
line talks to Redis, so a job costs Redis one script call per request when the host is free (plus
one to release).

**Waiting without polling**: a job refused because the host is busy subscribes to the host's
channel and sleeps until a RELEASE names it (the script publishes the ids of the live waiters
whose turn it is, only when someone waits), then asks again. It still re-asks every
`RECHECK_S` (which also keeps its place in line), so a SIGKILLed holder's permit that
expires with its lease, or a wake-up lost with a dropped connection, costs at most that long.
When budgets were polled every 5–80 ms, two processes sharing 8 permits of one host were slower
than one process holding all 8 (0.8×): a freed permit sat idle until the other's next poll.
Waits for the rate's next slot or a cool-down's end sleep exactly as long as the script says.
The Lua scripts live in `hostlimits_scripts.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import secrets
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from .config import Settings
from .hostlimits_rules import HostLimit, HostLimits
from .hostlimits_scripts import ACQUIRE, RELEASE, RENEW, THROTTLE, host_keys, wake_channel
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


class _Wakes:
    """This job's subscription to one host's wake channel: `turns` counts the RELEASEs that
    named the job, so a wake-up that lands while the job is still asking is not lost."""

    def __init__(self, redis: Redis, host: str, job: str) -> None:
        self._pubsub = redis.pubsub()
        self._channel = wake_channel(host)
        self._job = job
        self.turns = 0
        self._changed = asyncio.Event()
        self.ready = asyncio.Event()
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
                    continue
                data = message["data"]
                names = (data.decode() if isinstance(data, bytes) else str(data)).split()
                if self._job in names:
                    self.turns += 1
                    self._changed.set()
        except RedisError as exc:  # the gate's re-check every BUSY_RECHECK_S still runs
            log.warning("host wake-ups unavailable, re-checking on a timer: %s", exc)
        finally:
            self.ready.set()

    @property
    def alive(self) -> bool:
        return not self._task.done()

    async def wait(self, seen: int, timeout: float) -> None:
        """Return once the job was named after `seen` turns, or after `timeout` seconds."""
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
    ) -> None:
        self._redis = redis
        self._limits = limits
        self._recheck_s = recheck_s
        # A waiter that missed three re-checks has gone and loses its turn.
        self._waiter_ttl_ms = round(3000 * recheck_s)
        self._wakes: dict[str, _Wakes] = {}
        self._job = job_id
        self._lease_ms = lease_seconds * 1000
        self._on_hold = on_hold
        self._prefix = f"{job_id}:{secrets.token_hex(4)}:"
        self._ids = itertools.count()
        self._lines: dict[str, asyncio.Lock] = {}
        self._held: defaultdict[str, set[str]] = defaultdict(set)
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
        wanted = f"{self._prefix}{next(self._ids)}"
        permit_id: str | None = wanted
        line = self._lines.setdefault(host, asyncio.Lock())
        async with line:
            if not await self._wait_for_permit(host, self._limits.for_host(host), wanted):
                permit_id = None
        permit = Permit(self, host, permit_id)
        if permit_id is not None:
            self._held[host].add(permit_id)
            if self._renewer is None or self._renewer.done():
                self._renewer = asyncio.create_task(self._renew_forever())
        ok = False
        try:
            yield permit
            ok = permit.throttled_for is None
        finally:
            if permit_id is not None:
                self._held[host].discard(permit_id)
                await self._give_back(host, permit_id, ok)

    async def _wait_for_permit(self, host: str, limit: HostLimit, permit_id: str) -> bool:
        """Ask until granted; False when Redis is away (then the request goes ahead unbudgeted:
        the job's own per-host limit still holds, and a Redis restart lasts seconds)."""
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
        ]
        started = time.monotonic()
        while True:
            wakes = self._wakes.get(host)
            seen = wakes.turns if wakes is not None else 0
            try:
                self.calls += 1
                granted, wait_ms, why = await self._acquire(keys=keys, args=args)
            except RedisError as exc:
                log.warning("host budget for %s unavailable, going ahead: %s", host, exc)
                return False
            if int(granted):
                await self._show(None)
                return True
            why = str(why)
            if why == "busy":
                wait = self._recheck_s
            else:
                # At least MIN_POLL_S: a job ahead of us that is late for its slot would
                # otherwise have every job behind it asking again and again.
                wait = max(MIN_POLL_S, int(wait_ms) / 1000)
            if why in ("rate limit", "ban") or time.monotonic() - started >= SHOW_AFTER_S:
                await self._show(hold_text(host, why, wait))
            # Re-ask at least every `recheck_s` so this job keeps its place in the host's line.
            wait = min(wait, self._recheck_s)
            if why != "busy":
                await asyncio.sleep(wait)
            elif wakes is None or not wakes.alive:
                # Subscribed only now: a permit freed before the subscription took hold named
                # nobody who listens, so ask again at once.
                if wakes is not None:
                    await wakes.aclose()
                wakes = self._wakes[host] = _Wakes(self._redis, host, self._job)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wakes.ready.wait(), wait)
            else:
                await wakes.wait(seen, wait)

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
            wake_channel(host),
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
        while any(self._held.values()):
            await asyncio.sleep(self._lease_ms / 3000)
            for host, ids in list(self._held.items()):
                if not ids:
                    continue
                try:
                    self.calls += 1
                    await self._renew(keys=[host_keys(host)[0]], args=[self._lease_ms, *ids])
                except RedisError as exc:
                    log.warning("could not renew permits for %s: %s", host, exc)

    async def aclose(self) -> None:
        wakes, self._wakes = list(self._wakes.values()), {}
        for subscription in wakes:
            await subscription.aclose()
        if self._renewer is not None:
            self._renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewer

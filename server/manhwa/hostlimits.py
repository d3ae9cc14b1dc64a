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
one to release), and one poller per host while it waits.
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
from .outbound import retry_delay

log = logging.getLogger(__name__)

WAITER_TTL_MS = 3000  # a queued job that stopped asking for this long loses its turn
REPEAT_WINDOW_MS = 30_000  # a second 429 within this halves the host's configured rate
RECOVERY_PER_S = 0.02  # the budget factor grows back by this much per second (0.5 → 1 in 25 s)
MIN_FACTOR = 1 / 16
DEFAULT_COOL_MS = 1000  # a 429 without a usable header: 1 s, doubling per strike
BAN_STRIKES = 4  # 429s in a row (≥ 1 s apart, no success between) that mean a ban
BAN_BASE_MS = 60_000
BAN_MAX_MS = 15 * 60_000
MIN_POLL_S = 0.005
SHOW_AFTER_S = 2.0  # a wait for a busy host shows in the status only once it lasts this long
Hold = Callable[[str | None], Awaitable[None]]

_CLOCK = """
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function budget(s_factor, s_at, recover)
  local factor = tonumber(s_factor) or 1
  if factor < 1 then factor = math.min(1, factor + (now - (tonumber(s_at) or now)) * recover) end
  return factor
end
"""

# KEYS: permits, state, wait, seen. ARGV: permit id, job, limit, rate/s (0: none), burst,
# lease ms, waiter ttl ms, recovery per ms. → {1, 0, ''} granted, or {0, wait ms, why}.
ACQUIRE = (
    _CLOCK
    + """
local permits, state, wait, seen = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local id, job = ARGV[1], ARGV[2]
local limit, rate, burst = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local lease, waiter_ttl, recover = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local s = redis.call('HMGET', state, 'cool', 'factor', 'factor_at', 'tat', 'why')
local factor = budget(s[2], s[3], recover)

local ahead, queued = 0, false
local waiters = redis.call('ZRANGE', wait, 0, -1)
if #waiters > 0 then
  local last = redis.call('HMGET', seen, unpack(waiters))
  for i, w in ipairs(waiters) do
    if w == job then queued = true break end
    if (tonumber(last[i]) or 0) < now - waiter_ttl then
      redis.call('ZREM', wait, w)
      redis.call('HDEL', seen, w)
    else
      ahead = ahead + 1
    end
  end
end
local function hold(ms, why)
  if not queued then
    redis.call('ZADD', wait, redis.call('HINCRBY', state, 'seq', 1), job)
  end
  redis.call('HSET', seen, job, now)
  redis.call('PEXPIRE', wait, 60000)
  redis.call('PEXPIRE', seen, 60000)
  redis.call('PEXPIRE', state, 21600000)
  return {0, math.max(0, math.ceil(ms)), why}
end

local cool = tonumber(s[1]) or 0
if cool > now then return hold(cool - now, s[5] or 'rate limit') end
redis.call('ZREMRANGEBYSCORE', permits, '-inf', now)
if limit - redis.call('ZCARD', permits) <= ahead then return hold(0, 'busy') end
if rate > 0 then
  local interval = 1000 / (rate * factor)
  local tat = math.max(tonumber(s[4]) or 0, now)
  local room = burst * interval - (tat - now)
  if math.floor(room / interval) <= ahead then
    return hold((ahead + 1) * interval - room, 'rate')
  end
  redis.call('HSET', state, 'tat', tat + interval)
  redis.call('PEXPIRE', state, 21600000)
end
redis.call('ZADD', permits, now + lease, id)
redis.call('PEXPIRE', permits, lease * 2)
if queued then
  redis.call('ZREM', wait, job)
  redis.call('HDEL', seen, job)
end
return {1, 0, ''}
"""
)

# KEYS: permits, state. ARGV: permit id, '1' when the request succeeded (ends a run of 429s).
RELEASE = """
redis.call('ZREM', KEYS[1], ARGV[1])
if ARGV[2] == '1' then redis.call('HDEL', KEYS[2], 'strikes') end
return 1
"""

# KEYS: permits. ARGV: lease ms, permit ids… (only those still held are renewed).
RENEW = (
    _CLOCK
    + """
local n = 0
for i = 2, #ARGV do
  n = n + redis.call('ZADD', KEYS[1], 'XX', 'CH', now + tonumber(ARGV[1]), ARGV[i])
end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]) * 2)
return n
"""
)

# KEYS: state. ARGV: delay ms from the host's headers (-1: none), strike ('1': a 429; '0': a
# softer "back off" such as Consumet's 500), recovery per ms, then the constants below.
# → {strikes, cool-down ms left, why}
THROTTLE = (
    _CLOCK
    + """
local state = KEYS[1]
local delay, strike, recover = tonumber(ARGV[1]), ARGV[2] == '1', tonumber(ARGV[3])
local repeat_ms, min_factor, default_ms = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local ban_strikes, ban_base, ban_max = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
local s = redis.call('HMGET', state, 'cool', 'factor', 'factor_at', 'strikes', 'struck_at',
  'last429')
local cool = tonumber(s[1]) or 0
local strikes = tonumber(s[4]) or 0
local why = 'rate limit'
local wait = delay
if strike then
  local factor = budget(s[2], s[3], recover)
  if now - (tonumber(s[5]) or 0) >= 1000 then
    strikes = strikes + 1
    redis.call('HSET', state, 'strikes', strikes, 'struck_at', now)
  end
  if now - (tonumber(s[6]) or -1e15) < repeat_ms and now - (tonumber(s[3]) or 0) >= 1000 then
    factor = math.max(min_factor, factor / 2)
  end
  redis.call('HSET', state, 'factor', factor, 'factor_at', now, 'last429', now)
  if wait < 0 then wait = math.min(ban_base, default_ms * 2 ^ (math.max(strikes, 1) - 1)) end
  if strikes >= ban_strikes then
    wait = math.max(wait, math.min(ban_max, ban_base * 2 ^ (strikes - ban_strikes)))
    why = 'ban'
  end
elseif wait < 0 then
  wait = default_ms
end
if now + wait > cool then
  cool = now + wait
  redis.call('HSET', state, 'cool', cool, 'why', why)
end
redis.call('PEXPIRE', state, 21600000)
return {strikes, math.max(0, cool - now), why}
"""
)


def _keys(host: str) -> tuple[str, str, str, str]:
    tag = f"hl:{{{host}}}"  # one hash slot per host, should Redis be a cluster
    return f"{tag}:permits", f"{tag}:state", f"{tag}:wait", f"{tag}:seen"


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
    ) -> None:
        self._limits = limits
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
        keys = _keys(host)
        args: list[str | int | float] = [
            permit_id,
            self._job,
            limit.concurrency,
            limit.rate or 0,
            limit.burst,
            self._lease_ms,
            WAITER_TTL_MS,
            RECOVERY_PER_S / 1000,
        ]
        started = time.monotonic()
        poll = 0.01
        while True:
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
                wait, poll = poll, min(0.08, poll * 2)
            else:
                # At least MIN_POLL_S: a job ahead of us that is late for its slot would
                # otherwise have every job behind it asking again and again.
                wait = max(MIN_POLL_S, int(wait_ms) / 1000)
            if why in ("rate limit", "ban") or time.monotonic() - started >= SHOW_AFTER_S:
                await self._show(hold_text(host, why, wait))
            # Re-ask at least every second so this job keeps its place in the host's line.
            await asyncio.sleep(min(wait, 1.0))

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
        permits, state, _, _ = _keys(host)
        try:
            self.calls += 1
            await self._release(keys=[permits, state], args=[permit_id, "1" if ok else "0"])
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
            strikes, cool_ms, why = await self._throttle(keys=[_keys(host)[1]], args=args)
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
                    await self._renew(keys=[_keys(host)[0]], args=[self._lease_ms, *ids])
                except RedisError as exc:
                    log.warning("could not renew permits for %s: %s", host, exc)

    async def aclose(self) -> None:
        if self._renewer is not None:
            self._renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewer

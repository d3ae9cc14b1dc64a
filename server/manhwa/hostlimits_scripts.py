"""The Lua scripts behind the fleet-wide host budgets (`hostlimits.FleetGate` runs them)
and the names of their keys and channel.

Apart from the gate because they are a second language with their own contract: each script is
one atomic decision on Redis's clock (`TIME`), and its KEYS/ARGV/reply are spelled in the
comment above it. `hostlimits.py` says what they are for.
"""

from __future__ import annotations

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
# lease ms, waiter ttl ms, recovery per ms, channel.
# → {1, 0, '', jobs still waiting, seq, strikes} granted, or {0, wait ms, why}.
# A job that starts to wait says so on the host's channel ("wait <seq>"): jobs keeping spare
# permits give them back (see `hostlimits.FleetGate`); `seq` orders that against grants.
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
    local seq = redis.call('HINCRBY', state, 'seq', 1)
    redis.call('ZADD', wait, seq, job)
    redis.call('PUBLISH', ARGV[9], 'wait ' .. seq)
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
local after = redis.call('HMGET', state, 'seq', 'strikes')
return {1, 0, '', redis.call('ZCARD', wait), tonumber(after[1]) or 0, tonumber(after[2]) or 0}
"""
)

# KEYS: permits, state, wait, seen. ARGV: permit id, '1' when the request succeeded (ends a run
# of 429s), limit, waiter ttl ms, channel. → how many waiting jobs were woken.
# A freed permit wakes the jobs whose turn it is (the first live waiters, as many as permits are
# free) by publishing their ids on the host's channel, so a job waiting in another process asks
# again at once instead of on its next poll. Nobody waiting: no publish (the fast path).
RELEASE = (
    _CLOCK
    + """
local permits, state, wait, seen = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
redis.call('ZREM', permits, ARGV[1])
if ARGV[2] == '1' then redis.call('HDEL', state, 'strikes') end
local waiters = redis.call('ZRANGE', wait, 0, -1)
if #waiters == 0 then return 0 end
redis.call('ZREMRANGEBYSCORE', permits, '-inf', now)
local free = tonumber(ARGV[3]) - redis.call('ZCARD', permits)
if free <= 0 then return 0 end
local last = redis.call('HMGET', seen, unpack(waiters))
local named = {}
for i, w in ipairs(waiters) do
  if (tonumber(last[i]) or 0) >= now - tonumber(ARGV[4]) then
    named[#named + 1] = w
    if #named >= free then break end
  end
end
if #named > 0 then redis.call('PUBLISH', ARGV[5], 'turn ' .. table.concat(named, ' ')) end
return #named
"""
)

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
# softer "back off" such as Consumet's 500), recovery per ms, then the constants below, then
# the channel ("stop <seq>" on it: spare permits go back, the host is cooling down).
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
redis.call('PUBLISH', ARGV[10], 'stop ' .. redis.call('HINCRBY', state, 'seq', 1))
redis.call('PEXPIRE', state, 21600000)
return {strikes, math.max(0, cool - now), why}
"""
)


def host_keys(host: str) -> tuple[str, str, str, str]:
    """The host's keys: permits, state, wait (jobs in line), seen (their last ask)."""
    tag = f"hl:{{{host}}}"  # one hash slot per host, should Redis be a cluster
    return f"{tag}:permits", f"{tag}:state", f"{tag}:wait", f"{tag}:seen"


def host_channel(host: str) -> str:
    """The host's channel: "turn <jobs>" (RELEASE names the jobs whose turn it is), "wait <seq>"
    (a job started waiting), "stop <seq>" (a 429 or back-off): see `hostlimits.FleetGate`."""
    return f"hl:{{{host}}}:free"

"""The host budget's Redis scripts and gate against a real redis-server: permits, leases, rate,
cool-downs from 429 headers, halving, bans, turns, and what a held job is told."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import pytest
from redis.asyncio import Redis

from manhwa.hostlimits import FleetGate
from manhwa.hostlimits_rules import HostLimits, parse_host_limits
from manhwa.outbound import RetryPolicy, retry_delay

from .stack import RedisServer


def _host() -> str:
    return f"{uuid.uuid4().hex[:10]}.example.org"


def _run(redis_server: RedisServer, body: Callable[[Redis], Awaitable[None]]) -> None:
    async def main() -> None:
        redis = Redis.from_url(f"{redis_server.url}/0", decode_responses=True)
        try:
            await body(redis)
        finally:
            await redis.aclose()

    asyncio.run(main())


def _gate(redis: Redis, rules: str, job: str, **kw: Any) -> FleetGate:
    return FleetGate(redis, HostLimits(parse_host_limits(rules), 8), job, **kw)


async def _ask(gate: FleetGate, host: str, permit_id: str, job: str) -> tuple[int, int, str]:
    """One raw ACQUIRE call, as a gate makes it."""
    limit = gate._limits.for_host(host)
    from manhwa.hostlimits import RECOVERY_PER_S
    from manhwa.hostlimits_scripts import host_channel, host_keys

    args = [permit_id, job, limit.concurrency, limit.rate or 0, limit.burst, 60_000]
    answer = await gate._acquire(
        keys=host_keys(host),
        args=[*args, gate._waiter_ttl_ms, RECOVERY_PER_S / 1000, host_channel(host)],
    )
    return int(answer[0]), int(answer[1]), str(answer[2])


def test_retry_delay_reads_seconds_dates_and_mangadex_epoch() -> None:
    now = 1_800_000_000.0
    assert retry_delay({"Retry-After": "7"}, now) == 7
    date = format_datetime(datetime.fromtimestamp(now + 40, UTC), usegmt=True)
    assert retry_delay({"retry-after": date}, now) == pytest.approx(40)
    assert retry_delay({"X-RateLimit-Retry-After": str(int(now + 25))}, now) == 25
    assert retry_delay({"retry-after": "soon"}, now) is None
    assert retry_delay({}, now) is None


def test_concurrency_is_capped_and_a_release_frees_a_slot(redis_server: RedisServer) -> None:
    host = _host()

    async def body(redis: Redis) -> None:
        gate = _gate(redis, f"{host}=2", "job-a")
        assert (await _ask(gate, host, "p1", "job-a"))[0] == 1
        assert (await _ask(gate, host, "p2", "job-a"))[0] == 1
        assert await _ask(gate, host, "p3", "job-a") == (0, 0, "busy")
        await gate._give_back(host, "p1", True)
        assert (await _ask(gate, host, "p3", "job-a"))[0] == 1

    _run(redis_server, body)


def test_a_permit_not_renewed_comes_back_after_its_lease(redis_server: RedisServer) -> None:
    host = _host()

    async def body(redis: Redis) -> None:
        dead = _gate(redis, f"{host}=1", "dead", lease_seconds=2)
        alive = _gate(redis, f"{host}=1", "alive", lease_seconds=2)
        permit = dead.hold(host)
        await permit.__aenter__()  # held, then its worker "dies": never released nor renewed
        assert dead._renewer is not None
        dead._renewer.cancel()
        started = time.monotonic()
        async with alive.hold(host):
            waited = time.monotonic() - started
        assert 1.0 <= waited <= 6.0, "the dead job's permit lapsed with its 2 s lease"
        await alive.aclose()

    _run(redis_server, body)


def test_held_permits_are_renewed_past_their_lease(redis_server: RedisServer) -> None:
    host = _host()

    async def body(redis: Redis) -> None:
        slow = _gate(redis, f"{host}=1", "slow", lease_seconds=2)
        other = _gate(redis, f"{host}=1", "other", lease_seconds=2)
        async with slow.hold(host):
            await asyncio.sleep(3.0)  # a download longer than the lease
            assert (await _ask(other, host, "x", "other"))[0] == 0
        await slow.aclose()

    _run(redis_server, body)


# Another worker process holding `host`'s only permit until told (a line on stdin) to let go.
_HOLDER = """
import asyncio, sys
from redis.asyncio import Redis
from manhwa.hostlimits import FleetGate
from manhwa.hostlimits_rules import HostLimits, parse_host_limits

async def main(url, host):
    redis = Redis.from_url(url)
    gate = FleetGate(redis, HostLimits(parse_host_limits(host + '=1'), 8), 'holder')
    async with gate.hold(host):
        print('held', flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    await gate.aclose()
    await redis.aclose()

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


def test_a_permit_freed_in_another_process_wakes_the_waiter_at_once(
    redis_server: RedisServer,
) -> None:
    """The waiter re-checks only every 60 s on its own: it gets the permit because the other
    process's release names it, after three asks (busy; again once subscribed; granted)."""
    host = _host()
    with subprocess.Popen(
        [sys.executable, "-c", _HOLDER, f"{redis_server.url}/0", host],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as holder:
        assert holder.stdout is not None and holder.stdin is not None
        assert holder.stdout.readline().strip() == "held"
        let_go = holder.stdin

        async def body(redis: Redis) -> None:
            gate = _gate(redis, f"{host}=1", "waiter", recheck_s=60)

            async def take() -> int:
                async with gate.hold(host):
                    return gate.calls

            task = asyncio.create_task(take())
            while gate.calls < 2:  # refused, subscribed, asking again
                assert not task.done()
                await asyncio.sleep(0.01)
            let_go.write("\n")
            let_go.flush()
            calls = await asyncio.wait_for(task, 30)  # the re-check alone would take 60 s
            assert calls <= 3
            await gate.aclose()

        try:
            _run(redis_server, body)
        finally:
            let_go.close()
        assert holder.wait(30) == 0


def test_a_job_keeps_a_spare_permit_for_its_next_request_and_gives_it_back(
    redis_server: RedisServer,
) -> None:
    """Back-to-back requests of one job to a host with no rate cost Redis nothing once the
    job holds a permit; a host with a rate is asked every time; `aclose` returns the spare."""
    host, paced = _host(), _host()

    async def body(redis: Redis) -> None:
        gate = _gate(redis, f"{host}=2, {paced}=2@1000/s+50", "job")
        for _ in range(3):  # the first grant comes before the job listens: given back
            async with gate.hold(host):
                pass
        before = gate.calls
        for _ in range(20):
            async with gate.hold(host):
                pass
        assert gate.calls == before, "20 requests on the spare permit, no round trip"
        assert await redis.zcard(f"hl:{{{host}}}:permits") == 1
        before = gate.calls
        for _ in range(5):
            async with gate.hold(paced):
                pass
        assert gate.calls - before == 10, "a paced host: acquire + release per request"
        await gate.aclose()
        assert await redis.zcard(f"hl:{{{host}}}:permits") == 0

    _run(redis_server, body)


def test_a_job_waiting_for_the_host_gets_the_spare_of_a_busy_job(
    redis_server: RedisServer,
) -> None:
    """A job that starts waiting makes the others give their spares back; then the two take
    turns (the waiter re-checks only every 60 s: it gets in by the fleet's news alone)."""
    host = _host()

    async def body(redis: Redis) -> None:
        busy = _gate(redis, f"{host}=1", "busy")
        waiter = _gate(redis, f"{host}=1", "waiter", recheck_s=60)
        served: list[str] = []
        stop = asyncio.Event()

        async def keep_busy() -> None:
            while not stop.is_set():
                async with busy.hold(host):
                    served.append("busy")
                    await asyncio.sleep(0.005)

        task = asyncio.create_task(keep_busy())
        while served.count("busy") < 10:  # holding its permit spare between requests
            await asyncio.sleep(0.01)
        for _ in range(3):
            async with waiter.hold(host):
                served.append("waiter")
                await asyncio.sleep(0.005)
        stop.set()
        await asyncio.wait_for(task, 30)
        tail = served[served.index("waiter") :]
        assert tail.count("waiter") == 3
        assert "busy" in tail[: tail.index("waiter", 1)], "took turns with the busy job"
        for gate in (busy, waiter):
            await gate.aclose()
        assert await redis.zcard(f"hl:{{{host}}}:permits") == 0

    _run(redis_server, body)


def test_rate_is_spaced_by_gcra(redis_server: RedisServer) -> None:
    host = _host()

    async def body(redis: Redis) -> None:
        gate = _gate(redis, f"{host}=10@5/s+1", "job")
        assert (await _ask(gate, host, "p1", "job"))[0] == 1
        granted, wait, why = await _ask(gate, host, "p2", "job")
        assert (granted, why) == (0, "rate") and 100 <= wait <= 200

    _run(redis_server, body)


def test_a_429_with_mangadex_header_pauses_the_host_for_other_jobs(
    redis_server: RedisServer,
) -> None:
    host = _host()

    async def body(redis: Redis) -> None:
        one = _gate(redis, f"{host}=4", "one")
        two = _gate(redis, f"{host}=4", "two")
        async with one.hold(host) as permit:
            cool = await permit.throttled({"X-RateLimit-Retry-After": str(int(time.time()) + 30)})
        assert 28 <= cool <= 31
        granted, wait, why = await _ask(two, host, "q", "two")
        assert (granted, why) == (0, "rate limit") and 28_000 <= wait <= 31_000
        await one.aclose()

    _run(redis_server, body)


def test_repeated_429s_halve_the_rate_and_keep_coming_is_a_ban(
    redis_server: RedisServer,
) -> None:
    host = _host()

    async def body(redis: Redis) -> None:
        gate = _gate(redis, f"{host}=8@10/s+1", "job")
        whys = []
        for _ in range(4):
            whys.append(await gate.throttle(host, {"Retry-After": "0"}, strike=True))
            await asyncio.sleep(1.05)
        state = await redis.hgetall(f"hl:{{{host}}}:state")
        assert float(state["factor"]) < 0.2, (
            "halved from the second 429 on (less a little regrowth)"
        )
        assert state["why"] == "ban" and int(state["strikes"]) == 4
        assert whys[-1] >= 55, "a ban pauses the host for a minute"
        granted, _, why = await _ask(gate, host, "p", "job")
        assert (granted, why) == (0, "ban")
        await redis.hdel(f"hl:{{{host}}}:state", "cool")  # the ban over: the rate is halved
        assert (await _ask(gate, host, "p1", "job"))[0] == 1
        granted, wait, why = await _ask(gate, host, "p2", "job")
        assert (granted, why) == (0, "rate") and wait >= 500, "10/s halved thrice: ~1.2/s"
        await gate._give_back(host, "none", True)  # a success ends the run of 429s
        assert "strikes" not in await redis.hgetall(f"hl:{{{host}}}:state")

    _run(redis_server, body)


def test_jobs_take_turns_in_arrival_order(redis_server: RedisServer) -> None:
    host = _host()

    async def body(redis: Redis) -> None:
        gate = _gate(redis, f"{host}=1", "big")
        assert (await _ask(gate, host, "b1", "big"))[0] == 1
        assert (await _ask(gate, host, "s1", "small"))[0] == 0  # small queues first
        assert (await _ask(gate, host, "b2", "big"))[0] == 0  # big queues behind it
        await gate._give_back(host, "b1", True)
        assert (await _ask(gate, host, "b2", "big"))[0] == 0, "small's turn"
        assert (await _ask(gate, host, "s1", "small"))[0] == 1

    _run(redis_server, body)


def test_two_gates_never_exceed_the_budget_and_a_held_job_is_told(
    redis_server: RedisServer,
) -> None:
    host = _host()

    async def body(redis: Redis) -> None:
        told: list[str | None] = []

        async def on_hold(text: str | None) -> None:
            told.append(text)

        gates = [_gate(redis, f"{host}=2", f"job{n}", on_hold=on_hold) for n in range(2)]
        open_now = most = 0

        async def request(gate: FleetGate) -> None:
            nonlocal open_now, most
            async with gate.hold(host):
                open_now += 1
                most = max(most, open_now)
                await asyncio.sleep(0.01)
                open_now -= 1

        await asyncio.gather(*(request(g) for g in gates for _ in range(20)))
        assert most == 2
        async with gates[0].hold(host) as permit:
            await permit.throttled({"Retry-After": "2"})
        async with gates[1].hold(host):
            pass
        assert f"waiting for host {host} (rate limit, resumes in 2 s)" in told
        assert told[-1] is None, "cleared once the host lets the job through"
        for gate in gates:
            await gate.aclose()

    _run(redis_server, body)


def test_consumet_calls_share_a_budget_per_provider_and_its_429_pauses_it(
    redis_server: RedisServer,
) -> None:
    """In-process Consumet (MockTransport) through a real Redis gate: one call at a time for
    `consumet:mangadex`, and its 429 pauses the provider for a second client too."""
    import httpx

    from manhwa.consumet import ConsumetClient
    from manhwa.errors import UpstreamStatus
    from manhwa.providers import resolve_provider

    base = f"http://{_host()}"
    state = {"open": 0, "most": 0, "limited": False}

    async def handler(request: httpx.Request) -> httpx.Response:
        if state["limited"]:
            return httpx.Response(429, headers={"Retry-After": "30"}, json={"message": "slow"})
        state["open"] += 1
        state["most"] = max(state["most"], state["open"])
        await asyncio.sleep(0.02)
        state["open"] -= 1
        return httpx.Response(200, json=[{"img": "https://i.example/1.jpg", "page": 1}])

    async def body(redis: Redis) -> None:
        await redis.delete(*(f"hl:{{consumet:mangadex}}:{k}" for k in ("permits", "state")))
        gates = [_gate(redis, "consumet:mangadex=1", f"job{n}") for n in range(2)]
        clients = [
            ConsumetClient(
                base,
                retry=RetryPolicy(0, 0.0, 0.0),
                transport=httpx.MockTransport(handler),
                gate=g,
            )
            for g in gates
        ]
        dex = resolve_provider("mangadex")
        await asyncio.gather(*(c.read(dex, f"ch{n}") for n in range(5) for c in clients))
        assert state["most"] == 1
        state["limited"] = True
        with pytest.raises(UpstreamStatus):
            await clients[0].read(dex, "limited")
        granted, wait, why = await _ask(gates[1], "consumet:mangadex", "x", "job1")
        assert (granted, why) == (0, "rate limit") and wait > 25_000
        for client in clients:
            await client.aclose()
        for gate in gates:
            await gate.aclose()
        await redis.delete(*(f"hl:{{consumet:mangadex}}:{k}" for k in ("permits", "state")))

    _run(redis_server, body)


def test_a_spare_taken_while_the_others_go_back_stays_with_its_request(
    redis_server: RedisServer,
) -> None:
    """`give_all` returns kept permits one RELEASE at a time; a request that takes one of them
    meanwhile keeps it (it is in use), and the chore neither fails nor returns it."""
    from manhwa.hostlimits_channel import HostChannel
    from manhwa.hostlimits_rules import HostLimit
    from manhwa.hostlimits_spares import Spares

    async def body(redis: Redis) -> None:
        returned: list[str] = []
        first_back = asyncio.Event()

        async def give_back(permit_id: str) -> None:
            if not returned:
                await first_back.wait()  # the first RELEASE is slow to answer
            returned.append(permit_id)

        channel = HostChannel(redis, _host(), "job")
        await channel.ready.wait()
        spares = Spares(give_back, keep_s=60.0)
        for permit_id in "abc":
            spares.keep(permit_id)
        idle_chore = set(spares._chores)
        spares.give_all()
        await asyncio.sleep(0)  # the chore has sent "a" back and waits for the answer
        spares.granted(waiting=0, seq=1, strikes=0)
        taken = spares.take(HostLimit("*", 4), channel)
        first_back.set()
        for task in spares._chores - idle_chore:
            await task  # a KeyError here was a chore dying with permits still kept
        assert taken == "b"
        assert returned == ["a", "c"], "b is in use: not the chore's to give back"
        await spares.aclose()
        await channel.aclose()

    _run(redis_server, body)

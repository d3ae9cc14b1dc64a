"""Session-wide real services: one Redis server, one demo source; stacks of API + workers."""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .stack import DemoSource, RedisServer, Stack, free_port

_dbs = itertools.count(2)


def _redis(prefix: str) -> Iterator[RedisServer]:
    server = RedisServer(free_port(), Path(tempfile.mkdtemp(prefix=prefix)))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    yield from _redis("manhwa-redis-")


@pytest.fixture(scope="module")
def own_redis() -> Iterator[RedisServer]:
    """A Redis of the test module's own, for tests that flush it or read its queue keys."""
    yield from _redis("manhwa-redis-own-")


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoSource]:
    source = DemoSource(free_port(), tmp_path_factory.mktemp("demo") / "demo.log")
    source.start()
    yield source
    source.stop()


@pytest.fixture
def source(demo: DemoSource) -> Iterator[DemoSource]:
    """The demo source with faults and counters reset before and after the test."""
    demo.reset()
    yield demo
    demo.reset()


@pytest.fixture(scope="session")
def stack(redis_server: RedisServer, demo: DemoSource) -> Iterator[Stack]:
    """The shared stack: API + one worker (with the sweep), test settings."""
    shared = Stack(redis_server, demo, db=1).start()
    yield shared
    shared.stop()


@pytest.fixture
def make_stack(redis_server: RedisServer, demo: DemoSource) -> Iterator[Callable[..., Stack]]:
    """A private stack (own Redis db, own folder) for tests that kill, restart or reconfigure."""
    made: list[Stack] = []

    def make(workers: int = 1, **env: str) -> Stack:
        new = Stack(redis_server, demo, db=2 + (next(_dbs) - 2) % 14, env_overrides=env)
        made.append(new)
        return new.start(workers)

    yield make
    for item in made:
        item.stop()

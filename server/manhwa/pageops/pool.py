"""The page pool: image work in worker processes sized to the machine, off the event loop.

One pool per worker process, started on first use (plain jobs never start it) from a
`forkserver`, so children do not inherit the event loop, sockets or Celery's state. Pages go in
as they arrive; `PageShaper` caps the pages in flight, so memory is bounded whatever the chapter
size. A page that kills its process (a decoder segfault, the OOM killer) breaks the executor:
the pool is rebuilt and the page tried again, and a page that breaks it `CRASH_ATTEMPTS` times
fails with a reason while every other page goes on.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from ..errors import ImageFetchError
from ..models import PageImage
from .options import PageOptions
from .shape import ShapeFailed, needs_decode, shape_page

T = TypeVar("T")
CRASH_ATTEMPTS = 2


def pool_size(setting: int = 0) -> int:
    """Processes for the pool: the setting, or one per core this process may run on."""
    if setting > 0:
        return setting
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


_AuthKey: type[bytes] = multiprocessing.process.AuthenticationString  # type: ignore[attr-defined]


def _allow_children() -> None:
    """Let a Celery prefork child start the pool: it runs as a daemonic process, which
    multiprocessing forbids to have children lest they be orphaned when it is terminated. Ours
    are not: each pool process exits when its pipe to this process closes, however it ends.
    Celery's billiard also puts its own authkey type there, which multiprocessing refuses to
    pickle for a new process; the same key as multiprocessing's type is what it expects."""
    config: dict[str, object] = multiprocessing.current_process()._config  # type: ignore[attr-defined]
    if config.get("daemon"):
        config["daemon"] = False
    key = config.get("authkey")
    if isinstance(key, bytes) and type(key) is not _AuthKey:
        config["authkey"] = _AuthKey(key)


class PageCrashed(Exception):
    """The page's process died `CRASH_ATTEMPTS` times in a row."""


class PagePool:
    """A process pool that replaces itself when a child dies; thread-safe, loop-agnostic."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None
        self._generation = 0

    def _current(self) -> tuple[ProcessPoolExecutor, int]:
        with self._lock:
            if self._executor is None:
                _allow_children()
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload(["manhwa.pageops.shape"])
                self._executor = ProcessPoolExecutor(self.workers, mp_context=context)
            return self._executor, self._generation

    def _replace(self, generation: int) -> None:
        """Drop a broken executor once, however many of its pages noticed."""
        with self._lock:
            if generation == self._generation and self._executor is not None:
                self._executor.shutdown(wait=False, cancel_futures=True)
                self._executor = None
                self._generation += 1

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(*args)` in a pool process; PageCrashed when its process keeps dying."""
        for _ in range(CRASH_ATTEMPTS):
            executor, generation = self._current()
            try:
                future: Future[T] = executor.submit(fn, *args)
                return await asyncio.wrap_future(future)
            except BrokenProcessPool:
                self._replace(generation)
        raise PageCrashed("the page crashed the image process")

    def shutdown(self) -> None:
        with self._lock:
            if self._executor is not None:
                self._executor.shutdown(wait=True, cancel_futures=True)
                self._executor = None


_shared: PagePool | None = None
_shared_lock = threading.Lock()


def shared_pool(workers: int = 0) -> PagePool:
    """This process's pool, created on first use (a plain job never creates it)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = PagePool(pool_size(workers))
        return _shared


class PageShaper:
    """Shapes a job's pages by its `PageOptions` in `pool`, at most `in_flight` at a time."""

    def __init__(
        self, options: PageOptions, pool: PagePool, max_pixels: int, in_flight: int
    ) -> None:
        self.options = options
        self.pool = pool
        self.max_pixels = max_pixels
        self._slots = asyncio.Semaphore(max(1, in_flight))

    async def shape(self, page: PageImage) -> list[PageImage]:
        """The pieces to store for `page`, or ImageFetchError with the reason it failed."""
        if not needs_decode(self.options, page.format, page.width, page.height):
            return [page]
        async with self._slots:
            try:
                pieces = await self.pool.run(
                    shape_page,
                    page.data,
                    page.format,
                    page.width,
                    page.height,
                    self.options,
                    self.max_pixels,
                )
            except ShapeFailed as exc:
                raise ImageFetchError(exc.reason) from None
            except PageCrashed as exc:
                raise ImageFetchError(str(exc)) from None
            except Exception as exc:  # the pool could not take the page: a reason, not a hang
                raise ImageFetchError(f"image processing failed: {type(exc).__name__}") from exc
        return [PageImage(page.index, p.data, p.format, p.ext, p.width, p.height) for p in pieces]

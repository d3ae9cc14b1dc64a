"""Peak memory of a process tree (the Celery worker and its pool children), sampled in a thread.

RSS counts pages shared between the forked pool children and their parent once per process, so
the tree's sum overstates what it uses; PSS (proportional set size) splits shared pages between
the sharers, so its sum is the tree's real footprint. Both are reported, with the peak RSS of the
busiest single process (the pool child running the job).
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from types import TracebackType

import psutil

MB = 1024 * 1024


@dataclass
class MemoryPeak:
    process_rss_mb: float = 0.0  # largest single process
    tree_rss_mb: float = 0.0
    tree_pss_mb: float = 0.0
    samples: int = 0

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class TreeSampler:
    """`with TreeSampler(pid) as peak:` samples every `interval` seconds until the block ends."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self._root = psutil.Process(pid)
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.peak = MemoryPeak()

    def sample(self) -> tuple[float, float, float]:
        """Largest process RSS, tree RSS and tree PSS, in MB, now."""
        largest = rss = pss = 0
        for proc in [self._root, *self._root.children(recursive=True)]:
            try:
                info = proc.memory_full_info()
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            largest = max(largest, info.rss)
            rss += info.rss
            pss += getattr(info, "pss", info.rss)
        return largest / MB, rss / MB, pss / MB

    def _run(self) -> None:
        while not self._stop.is_set():
            largest, rss, pss = self.sample()
            peak = self.peak
            peak.process_rss_mb = round(max(peak.process_rss_mb, largest), 1)
            peak.tree_rss_mb = round(max(peak.tree_rss_mb, rss), 1)
            peak.tree_pss_mb = round(max(peak.tree_pss_mb, pss), 1)
            peak.samples += 1
            self._stop.wait(self._interval)

    def __enter__(self) -> MemoryPeak:
        self._thread.start()
        return self.peak

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"TreeSampler({self._root.pid})"

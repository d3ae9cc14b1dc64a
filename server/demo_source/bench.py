"""Benchmark series: `bench_{C}x{P}_{KB}` ids and their pool of pre-encoded noisy JPEGs.

`bench_{C}x{P}_{KB}-{N}` is copy N of the same shape (its own id and title, the same images):
the library benchmark follows hundreds of distinct series without the server drawing any more.

A benchmark must measure the downloader, not this server: each size gets a pool of a few JPEGs
(1200 px wide, within a few percent of the requested size) built once, and every page serves one
of them from memory. Noise makes the files incompressible, like real scans; pages therefore repeat
bytes across a chapter, which is fine for throughput measurements.
"""

from __future__ import annotations

import io
import random
import re
import threading
from dataclasses import dataclass

from PIL import Image, ImageChops, ImageOps

WIDTH = 1200
POOL_SIZE = 8
MAX_CHAPTERS = 2000
MAX_PAGES = 1000
MAX_KB = 8192

_ID = re.compile(r"bench_([0-9]{1,4})x([0-9]{1,4})_([0-9]{1,5})(?:-([0-9]{1,5}))?")
_QUALITY = 85
_NOMINAL_HEIGHT = 1700
_PROBE_HEIGHT = 128
# Some noise even for tiny targets, so pool members differ from each other.
_MIN_AMPLITUDE = 4


@dataclass(frozen=True)
class BenchSpec:
    """The shape a benchmark series id asks for."""

    series_id: str
    chapters: int
    pages: int
    kb: int
    copy: int | None = None


@dataclass(frozen=True)
class NoiseArt:
    """One member of the pool for a size; hashable, it is the image cache key."""

    kb: int
    variant: int


def parse_series_id(series_id: str) -> BenchSpec | None:
    """`bench_20x40_300` → 20 chapters × 40 pages of ~300 KB (`-N`: copy N of it); None for
    anything else."""
    match = _ID.fullmatch(series_id)
    if match is None:
        return None
    chapters, pages, kb = (int(group) for group in match.groups()[:3])
    copy = int(match[4]) if match[4] is not None else None
    if not (1 <= chapters <= MAX_CHAPTERS and 1 <= pages <= MAX_PAGES and 1 <= kb <= MAX_KB):
        return None
    if copy is not None and match[4] != str(copy):  # one spelling per copy: `-7`, not `-007`
        return None
    return BenchSpec(series_id, chapters, pages, kb, copy)


def pick_variant(kb: int, chapter: int, page: int) -> NoiseArt:
    """The pool member served for (chapter, page): fixed, so a URL keeps its bytes."""
    return NoiseArt(kb, (chapter * 3 + page) % POOL_SIZE)


_pools: dict[int, list[bytes]] = {}
_pool_lock = threading.Lock()


def render(art: NoiseArt) -> bytes:
    """The encoded JPEG for `art`; builds the whole pool for its size on first use."""
    pool = _pools.get(art.kb)
    if pool is None:
        with _pool_lock:
            pool = _pools.get(art.kb)
            if pool is None:
                pool = _build_pool(art.kb * 1024)
                _pools[art.kb] = pool
    return pool[art.variant]


def _build_pool(target: int) -> list[bytes]:
    amplitude, height = _calibrate(target)
    return [_encode(amplitude, height, seed=variant) for variant in range(POOL_SIZE)]


def _calibrate(target: int) -> tuple[int, int]:
    """Find a noise amplitude (and height) whose JPEG lands near `target` bytes.

    Probing a short strip is cheap; size grows about linearly with height, so a couple of
    full-size corrections on the height finish the job.
    """

    def projected(amplitude: int) -> float:
        # Two probes separate the fixed header cost from the per-row cost.
        short = len(_encode(amplitude, _PROBE_HEIGHT, seed=0))
        long = len(_encode(amplitude, 2 * _PROBE_HEIGHT, seed=0))
        return short + (long - short) * (_NOMINAL_HEIGHT - _PROBE_HEIGHT) / _PROBE_HEIGHT

    height = _NOMINAL_HEIGHT
    if projected(255) < target:
        amplitude = 255
        height = int(height * target / projected(255))
    elif projected(_MIN_AMPLITUDE) > target:
        amplitude = _MIN_AMPLITUDE
        height = int(height * target / projected(_MIN_AMPLITUDE))
    else:
        low, high = _MIN_AMPLITUDE, 255
        while high - low > 1:
            middle = (low + high) // 2
            if projected(middle) < target:
                low = middle
            else:
                high = middle
        amplitude = high
    height = max(16, height)
    for _ in range(4):
        size = len(_encode(amplitude, height, seed=0))
        if abs(size - target) <= target * 0.02:
            break
        height = max(16, round(height * target / size))
    return amplitude, height


def _encode(amplitude: int, height: int, *, seed: int) -> bytes:
    rng = random.Random(f"bench-{seed}")
    gradient = Image.linear_gradient("L").resize((WIDTH, height))
    base = ImageOps.colorize(gradient, black=(40, 52, 88), white=(236, 214, 170))
    base = base.point([value * (255 - amplitude) // 255 for value in range(256)] * 3)
    noise = Image.frombytes("RGB", (WIDTH, height), rng.randbytes(WIDTH * height * 3))
    noise = noise.point([value * amplitude // 255 for value in range(256)] * 3)
    out = io.BytesIO()
    ImageChops.add(base, noise).save(out, "JPEG", quality=_QUALITY, optimize=True)
    return out.getvalue()

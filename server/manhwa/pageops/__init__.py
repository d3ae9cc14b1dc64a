"""Page options of a download (`split_tall`, `encode`) and the process pool that applies them.

`options` is the typed, serialisable choice a job carries; `shape` does the image work on one
page; `pool` runs it in worker processes with pages in flight capped.
"""

from .options import PLAIN, Encode, InvalidPageOptions, PageOptions, SplitTall
from .pool import PagePool, PageShaper, shared_pool

__all__ = [
    "PLAIN",
    "Encode",
    "InvalidPageOptions",
    "PageOptions",
    "PagePool",
    "PageShaper",
    "SplitTall",
    "shared_pool",
]

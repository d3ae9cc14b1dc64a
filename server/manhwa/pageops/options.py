"""What a download may do to its pages: `split_tall` and `encode`, one small typed object.

`PageOptions` travels with a job (the download request, the job record, a followed series'
defaults), so its text form is part of the API: `encode` is `original`, `png`, `jpeg:Q` or
`webp:Q` (Q 1–100). The default, `PageOptions()`, changes nothing: pages are stored byte-exact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field

Codec = Literal["original", "jpeg", "webp", "png"]
_ENCODE = re.compile(r"(original|png)|(jpeg|jpg|webp):([0-9]{1,3})")
DEFAULT_RATIO = 3.0
DEFAULT_TARGET_HEIGHT = 2000


class InvalidPageOptions(ValueError):
    """A page option that cannot be honoured; the message is shown to the user."""


@dataclass(frozen=True)
class SplitTall:
    """Cut pages taller than `ratio` × width into pieces of about `target_height` px, at a row
    of near-uniform colour (a gutter) when one is near the target, so no bubble is cut through."""

    ratio: float = DEFAULT_RATIO
    target_height: int = DEFAULT_TARGET_HEIGHT

    def __post_init__(self) -> None:
        if not 1.0 <= self.ratio <= 100.0:
            raise InvalidPageOptions("split_tall.ratio must be between 1 and 100")
        if not 200 <= self.target_height <= 20000:
            raise InvalidPageOptions("split_tall.target_height must be between 200 and 20000 px")


@dataclass(frozen=True)
class Encode:
    """How stored pages are encoded; `original` keeps the source's bytes (and format)."""

    codec: Codec = "original"
    quality: int | None = None

    @classmethod
    def parse(cls, text: str) -> Encode:
        match = _ENCODE.fullmatch(text.strip().lower())
        if match is None:
            raise InvalidPageOptions(
                f"encode must be original, png, jpeg:Q or webp:Q (Q 1-100), got {text!r}"
            )
        if match.group(1):
            return cls(match.group(1))  # type: ignore[arg-type]
        quality = int(match.group(3))
        if not 1 <= quality <= 100:
            raise InvalidPageOptions(f"encode quality must be 1-100, got {quality}")
        codec: Codec = "jpeg" if match.group(2) in ("jpeg", "jpg") else "webp"
        return cls(codec, quality)

    def __str__(self) -> str:
        return self.codec if self.quality is None else f"{self.codec}:{self.quality}"


@dataclass(frozen=True)
class PageOptions:
    """A job's page options; `active` is False for the default, which leaves pages untouched."""

    split_tall: SplitTall | None = None
    encode: Encode = Encode()

    @property
    def active(self) -> bool:
        return self.split_tall is not None or self.encode.codec != "original"

    def to_json(self) -> dict[str, Any]:
        """The stored (and API) shape: `{"split_tall": {...} | null, "encode": "webp:80"}`."""
        split = self.split_tall
        return {
            "split_tall": None
            if split is None
            else {"ratio": split.ratio, "target_height": split.target_height},
            "encode": str(self.encode),
        }

    @classmethod
    def from_json(cls, data: Any) -> PageOptions:
        """Parse the stored/API shape; raises InvalidPageOptions with a readable reason."""
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise InvalidPageOptions("page options must be an object")
        split = data.get("split_tall")
        if split is True:
            split_tall: SplitTall | None = SplitTall()
        elif split in (None, False):
            split_tall = None
        elif isinstance(split, dict):
            ratio = split.get("ratio", DEFAULT_RATIO)
            target = split.get("target_height", DEFAULT_TARGET_HEIGHT)
            if isinstance(ratio, bool) or not isinstance(ratio, int | float):
                raise InvalidPageOptions("split_tall.ratio must be a number")
            if isinstance(target, bool) or not isinstance(target, int):
                raise InvalidPageOptions("split_tall.target_height must be an integer")
            split_tall = SplitTall(float(ratio), target)
        else:
            raise InvalidPageOptions("split_tall must be true, false or {ratio, target_height}")
        encode = data.get("encode", "original")
        if not isinstance(encode, str):
            raise InvalidPageOptions("encode must be a string such as webp:80")
        return cls(split_tall, Encode.parse(encode))


PLAIN = PageOptions()


class SplitTallBody(BaseModel):
    """`split_tall` in the API: cut pages taller than `ratio` × width into ~`target_height` px."""

    ratio: float = Field(default=DEFAULT_RATIO, ge=1.0, le=100.0)
    target_height: int = Field(default=DEFAULT_TARGET_HEIGHT, ge=200, le=20000)


def options_from_fields(split_tall: bool | SplitTallBody | None, encode: str) -> PageOptions:
    """PageOptions from the API's (or the job record's) `split_tall` and `encode` fields."""
    if isinstance(split_tall, SplitTallBody):
        split: SplitTall | None = SplitTall(split_tall.ratio, split_tall.target_height)
    else:
        split = SplitTall() if split_tall else None
    return PageOptions(split, Encode.parse(encode))


def split_body(options: PageOptions) -> SplitTallBody | None:
    split = options.split_tall
    return (
        None
        if split is None
        else SplitTallBody(ratio=split.ratio, target_height=split.target_height)
    )

"""Fault configuration (`PUT /_control/faults`) and the decisions it implies per request.

Tests and the benchmark steer failures through this: global rates for image requests (errors,
429s, hangs, truncation), latency and bandwidth, and rules that hit requests whose path+query
contains a substring, optionally only the first N times. `endless` and `oversize` stand for
a 2 GB body without sending one: bytes stream until the client leaves, `oversize` after
declaring a 2 GiB Content-Length.
"""

from __future__ import annotations

import random
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from demo_source.ratelimit import RateLimit

FaultAction = Literal[
    "status",
    "truncate",
    "not_image",
    "huge",
    "slow",
    "hang",
    "redirect",
    "empty_pages",
    "pages",
    "endless",
    "oversize",
]
ImageOutcome = Literal["error", "too_many", "timeout", "truncate"]


class FaultRule(BaseModel):
    """Act on requests whose path+query contains `match`; `times` = first N matches only."""

    model_config = ConfigDict(extra="forbid")

    match: str
    action: FaultAction
    status: int = Field(default=500, ge=100, le=599)
    times: int | None = Field(default=None, ge=0)
    retry_after: int | None = Field(default=None, ge=0)
    location: str | None = None
    delay_ms: int = Field(default=0, ge=0)
    # `pages`: the read answer lists these image URLs instead (`{port}` = this server's port),
    # as a hostile source would: every spelling of loopback, unparsable hosts, absurd lengths.
    urls: list[str] | None = None

    @model_validator(mode="after")
    def _redirect_needs_location(self) -> Self:
        if self.action == "redirect" and not self.location:
            raise ValueError("a redirect rule needs a location")
        if self.action == "pages" and not self.urls:
            raise ValueError("a pages rule needs urls")
        return self


class FaultConfig(BaseModel):
    """Everything off by default; a PUT replaces the whole configuration."""

    model_config = ConfigDict(extra="forbid")

    latency_ms: int = Field(default=0, ge=0)
    # Latency spikes: this share of image requests waits `spike_ms` more.
    spike_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    spike_ms: int = Field(default=0, ge=0)
    api_latency_ms: int = Field(default=0, ge=0)
    bandwidth_kbps: int = Field(default=0, ge=0)
    error_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    rate_429: float = Field(default=0.0, ge=0.0, le=1.0)
    retry_after: int = Field(default=1, ge=0)
    timeout_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    truncate_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    seed: int | None = None
    rules: list[FaultRule] = Field(default_factory=list)
    # The rate-limited image host (ratelimit.py); None: images are not rate-limited.
    rate_limit: RateLimit | None = None


class FaultState:
    """The live configuration plus what it has used up (rule counts, random draws)."""

    def __init__(self) -> None:
        self.config = FaultConfig()
        self._remaining: list[int | None] = []
        self._rng = random.Random()

    def replace(self, config: FaultConfig) -> None:
        self.config = config
        self._remaining = [rule.times for rule in config.rules]
        # A seed makes the sequence of rate decisions reproducible from this PUT on.
        self._rng = random.Random(config.seed)

    def reset(self) -> None:
        self.replace(FaultConfig())

    def take_rule(self, target: str, *, is_read: bool) -> FaultRule | None:
        """The first rule matching `target` with uses left, using one of them up."""
        for index, rule in enumerate(self.config.rules):
            if rule.match not in target:
                continue
            if rule.action in ("empty_pages", "pages") and not is_read:
                continue
            remaining = self._remaining[index]
            if remaining is not None:
                if remaining <= 0:
                    continue
                self._remaining[index] = remaining - 1
            return rule
        return None

    def roll_spike(self) -> bool:
        """Whether this image request gets a latency spike (no draw when spikes are off)."""
        return bool(self.config.spike_rate) and self._rng.random() < self.config.spike_rate

    def roll_image(self) -> ImageOutcome | None:
        """One draw against the cumulative image rates (error, 429, timeout, truncate)."""
        config = self.config
        outcomes: tuple[tuple[float, ImageOutcome], ...] = (
            (config.error_rate, "error"),
            (config.rate_429, "too_many"),
            (config.timeout_rate, "timeout"),
            (config.truncate_rate, "truncate"),
        )
        if not any(rate for rate, _ in outcomes):
            return None
        draw = self._rng.random()
        threshold = 0.0
        for rate, outcome in outcomes:
            threshold += rate
            if draw < threshold:
                return outcome
        return None

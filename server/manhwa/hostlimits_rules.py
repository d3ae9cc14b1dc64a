"""Host budgets as configured: the `HOST_LIMITS` syntax, the provider defaults, host matching.

`HOST_LIMITS` is a comma list of `PATTERN=N[@R/UNIT[+B]]` rules:

    *.mangadex.network=6@5/s+10, uploads.mangadex.org=4@3/s, consumet:mangadex=4@40/min, *=8

- `PATTERN` is a host name, `*` anything, `*.example.org` any subdomain of example.org. The
  Consumet API is budgeted per provider under the names `consumet:<provider>`.
- `N` is the fleet-wide number of requests to that host open at once (every worker together).
- `@R/UNIT` (optional) is the fleet-wide request rate, UNIT one of `s`, `min`, `h`; `+B` is the
  burst allowed on top of it (default: one second's worth, at least 1).

A host takes the most specific rule: an exact name, else the matching pattern with the most
literal characters, else `*`. Rules given in `HOST_LIMITS` replace the default with the same
pattern and sit beside the others, so `*=4` changes only unknown hosts.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fnmatch import fnmatchcase

_UNITS = {"s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}
_RULE = re.compile(
    r"^(?P<pattern>[^=\s]+)\s*=\s*(?P<n>[^@\s]+)"
    r"(?:\s*@\s*(?P<rate>[^/\s]+)\s*/\s*(?P<unit>[a-z]+)(?:\s*\+\s*(?P<burst>\S+))?)?$"
)
_PATTERN = re.compile(r"^[a-z0-9*][a-z0-9*.:-]*$")
SYNTAX = "PATTERN=N[@R/s|min|h[+B]], e.g. *.mangadex.network=6@5/s"


class HostLimitsSyntaxError(ValueError):
    """A `HOST_LIMITS` rule that cannot be read; the message names the rule and the fix."""


@dataclass(frozen=True)
class HostLimit:
    """The budget of one host pattern: `concurrency` open requests, `rate` requests/s (or none)."""

    pattern: str
    concurrency: int
    rate: float | None = None
    burst: int = 1

    def describe(self) -> str:
        if self.rate is None:
            return f"{self.pattern}={self.concurrency}"
        return f"{self.pattern}={self.concurrency}@{self.rate:g}/s+{self.burst}"


# Where the numbers come from (README "Politeness: host limits" lists the same):
# - MangaDex asks for about 5 requests/s per IP (api.mangadex.org/docs/2-limitations) and its
#   at-home endpoint, which Consumet calls once per chapter read, allows 40 requests/min; bans
#   are reported at about 600 images per 600 s (the survey of downloaders).
# - uploads.mangadex.org is MangaDex's own fallback image server, slower to forgive: 3/s.
# - mangahere, mangakakalot, mangapill and mangareader CDNs publish no limits; users of HakuNeko
#   and Tachiyomi report 429s and bans from parallel chapter downloads (hakuneko#4603, #4645),
#   so they get 4 at once and 4/s — about what one reader scrolling fast asks for.
PROVIDER_DEFAULTS: tuple[HostLimit, ...] = (
    HostLimit("*.mangadex.network", 6, 5.0, 10),
    HostLimit("uploads.mangadex.org", 4, 3.0, 3),
    HostLimit("consumet:mangadex", 4, 40 / 60, 20),
    HostLimit("*.mangahere.org", 4, 4.0, 4),
    HostLimit("*.mangahere.com", 4, 4.0, 4),
    HostLimit("*.2xstorage.com", 4, 4.0, 4),
    HostLimit("cdn.readdetectiveconan.com", 4, 4.0, 4),
    HostLimit("*.mreadercdn.com", 4, 4.0, 4),
    HostLimit("consumet:*", 8),
)


def _number(text: str, what: str, rule: str, *, whole: bool) -> float:
    try:
        value = float(text) if not whole else int(text)
    except ValueError:
        kind = "a whole number" if whole else "a number"
        raise HostLimitsSyntaxError(
            f"HOST_LIMITS rule {rule!r}: {what} must be {kind}, got {text!r} ({SYNTAX})"
        ) from None
    if not math.isfinite(value) or value <= 0:
        raise HostLimitsSyntaxError(
            f"HOST_LIMITS rule {rule!r}: {what} must be above 0, got {text!r} ({SYNTAX})"
        )
    return value


def parse_rule(rule: str) -> HostLimit:
    """One `PATTERN=N[@R/UNIT[+B]]` rule, or HostLimitsSyntaxError saying what is wrong."""
    match = _RULE.match(rule.strip().lower())
    if match is None:
        raise HostLimitsSyntaxError(f"HOST_LIMITS rule {rule.strip()!r} is not {SYNTAX}")
    pattern = match["pattern"]
    if not _PATTERN.match(pattern):
        raise HostLimitsSyntaxError(
            f"HOST_LIMITS rule {rule.strip()!r}: {pattern!r} is not a host name or a "
            f"pattern of one with '*' ({SYNTAX})"
        )
    concurrency = int(_number(match["n"], "N (requests at once)", rule.strip(), whole=True))
    if match["rate"] is None:
        return HostLimit(pattern, concurrency)
    unit = _UNITS.get(match["unit"])
    if unit is None:
        raise HostLimitsSyntaxError(
            f"HOST_LIMITS rule {rule.strip()!r}: unit {match['unit']!r} is not s, min or h"
        )
    rate = _number(match["rate"], "the rate", rule.strip(), whole=False) / unit
    if match["burst"] is not None:
        burst = int(_number(match["burst"], "the burst B", rule.strip(), whole=True))
    else:
        burst = max(1, math.ceil(rate))
    return HostLimit(pattern, concurrency, rate, burst)


def parse_host_limits(text: str) -> tuple[HostLimit, ...]:
    """Every rule of a `HOST_LIMITS` value; an empty value has none."""
    rules = [parse_rule(part) for part in text.split(",") if part.strip()]
    seen: set[str] = set()
    for rule in rules:
        if rule.pattern in seen:
            raise HostLimitsSyntaxError(f"HOST_LIMITS names {rule.pattern!r} twice")
        seen.add(rule.pattern)
    return tuple(rules)


def _specificity(pattern: str) -> tuple[int, int]:
    return (0 if "*" in pattern else 1, len(pattern.replace("*", "")))


class HostLimits:
    """The rule table: provider defaults, overridden per pattern by the configured rules."""

    def __init__(self, rules: tuple[HostLimit, ...], default_concurrency: int) -> None:
        table = {r.pattern: r for r in (HostLimit("*", default_concurrency), *PROVIDER_DEFAULTS)}
        table.update({r.pattern: r for r in rules})
        self.rules = tuple(sorted(table.values(), key=lambda r: _specificity(r.pattern)))[::-1]
        self._cache: dict[str, HostLimit] = {}

    def for_host(self, host: str) -> HostLimit:
        """The budget that applies to `host` (lower-cased; `consumet:<provider>` for the API)."""
        key = host.lower()
        found = self._cache.get(key)
        if found is None:
            found = next(r for r in self.rules if fnmatchcase(key, r.pattern))
            if len(self._cache) < 4096:
                self._cache[key] = found
        return found

"""HOST_LIMITS syntax, provider defaults and host matching; bad syntax fails settings validation."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from manhwa.config import Settings
from manhwa.hostlimits_rules import (
    HostLimit,
    HostLimits,
    HostLimitsSyntaxError,
    parse_host_limits,
)


def test_the_issues_example_parses() -> None:
    rules = parse_host_limits("*.mangadex.network=6@5/s, uploads.mangadex.org=4@3/s, *=8")
    assert rules == (
        HostLimit("*.mangadex.network", 6, 5.0, 5),
        HostLimit("uploads.mangadex.org", 4, 3.0, 3),
        HostLimit("*", 8),
    )


def test_units_burst_spaces_and_case() -> None:
    (minute, hour, spaced) = parse_host_limits(
        "consumet:mangadex=4@40/min+10, A.Example.ORG=2@360/h, b.example.org = 3 @ 0.5 / s + 2"
    )
    assert minute == HostLimit("consumet:mangadex", 4, 40 / 60, 10)
    assert hour == HostLimit("a.example.org", 2, 0.1, 1)
    assert spaced == HostLimit("b.example.org", 3, 0.5, 2)
    assert parse_host_limits("") == parse_host_limits(" , ") == ()


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("mangadex", "is not PATTERN=N"),
        ("a.org=six", "N (requests at once) must be a whole number"),
        ("a.org=0", "must be above 0"),
        ("a.org=2@5/day", "unit 'day' is not s, min or h"),
        ("a.org=2@fast/s", "the rate must be a number"),
        ("a.org=2@5/s+x", "the burst B must be a whole number"),
        ("a.org=2@nan/s", "must be above 0"),
        ("a/b=2", "not a host name"),
        ("a.org=2, a.org=3", "names 'a.org' twice"),
    ],
)
def test_bad_rules_say_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(HostLimitsSyntaxError, match=says.replace("(", r"\(").replace(")", r"\)")):
        parse_host_limits(text)


def test_bad_syntax_fails_settings_validation_naming_the_rule() -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(host_limits="*.mangadex.network=6@5/s, uploads=lots")
    assert "HOST_LIMITS rule 'uploads=lots'" in str(caught.value)


def test_most_specific_rule_wins_and_configured_rules_replace_defaults() -> None:
    table = HostLimits(parse_host_limits("*.mangadex.network=2@1/s, x.example.org=1"), 8)
    assert table.for_host("abc.xyz.mangadex.network") == HostLimit("*.mangadex.network", 2, 1, 1)
    assert table.for_host("uploads.mangadex.org").pattern == "uploads.mangadex.org"  # default
    assert table.for_host("X.Example.org") == HostLimit("x.example.org", 1)
    assert table.for_host("unknown.example") == HostLimit("*", 8)  # MAX_PER_HOST
    assert table.for_host("consumet:mangadex").rate == pytest.approx(40 / 60)
    assert table.for_host("consumet:mangahere") == HostLimit("consumet:*", 8)
    assert HostLimits(parse_host_limits("*=3"), 8).for_host("127.0.0.1") == HostLimit("*", 3)

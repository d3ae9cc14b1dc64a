"""Image URLs as data: what a source hands out is parsed and judged before anything is fetched.

A hostile or broken source can list any string as a page. Each one either becomes an `httpx.URL`
we are willing to request, or a typed error with a short reason (that page fails, the job goes
on). Spellings whose meaning depends on the parser (`0177.0.0.1` is 127.0.0.1 to libc and an
error to httpx, `0x7f.1`, `2130706433`, `[::ffff:127.0.0.1]`) are refused outright rather than
resolved: the address guard (`guard.py`) then only ever sees plain names and canonical literals.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

import httpx

from .errors import BadImageURL, TargetRefused

MAX_URL_LENGTH = 4096
MAX_HOST_LENGTH = 253  # DNS: 253 characters, 63 per label
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,63}$")
_NUMERIC_LABEL = re.compile(r"^(?:0x[0-9a-f]*|[0-9]+)$", re.IGNORECASE)


def check_image_url(url: object) -> httpx.URL:
    """The parsed URL, or BadImageURL (unusable) / TargetRefused (never fetched on principle).

    An `httpx.URL` (ours, or one httpx parsed from a redirect's Location) is judged as parsed:
    its parts are what the connection will use, and parsing it again would only cost CPU."""
    if isinstance(url, httpx.URL):
        _check_length(str(url))
        try:
            return _judge(url, url.raw_host.decode("ascii"), url.port)
        except UnicodeError:
            raise BadImageURL("bad image URL: host is not ASCII") from None
    if not isinstance(url, str):
        raise BadImageURL("bad image URL: empty")
    _check_length(url)
    try:
        parsed = httpx.URL(url)
        raw_host = parsed.raw_host.decode("ascii")
        port = parsed.port
    except (httpx.InvalidURL, ValueError, UnicodeError) as exc:  # idna's are UnicodeErrors
        _refuse_if_numeric(url)  # httpx rejects `0177.0.0.1`; libc would read it as 127.0.0.1
        raise BadImageURL(f"bad image URL: {_short(str(exc) or type(exc).__name__)}") from None
    return _judge(parsed, raw_host, port)


def _check_length(url: str) -> None:
    if not url:
        raise BadImageURL("bad image URL: empty")
    if len(url) > MAX_URL_LENGTH:
        raise BadImageURL(f"bad image URL: longer than {MAX_URL_LENGTH} characters")


def _judge(parsed: httpx.URL, raw_host: str, port: int | None) -> httpx.URL:
    if parsed.scheme not in ("http", "https"):
        raise TargetRefused(f"refused URL scheme {_short(parsed.scheme)!r}")
    if not raw_host:
        raise BadImageURL("bad image URL: no host")
    if port is not None and not 0 < port < 65536:
        raise BadImageURL(f"bad image URL: port {port} out of range")
    if ":" in raw_host:
        _check_ipv6(raw_host)
    else:
        _check_name(raw_host)
    return parsed


def _refuse_if_numeric(url: str) -> None:
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return
    if host and _is_numeric(host):
        _check_ipv4(host)


def _is_numeric(host: str) -> bool:
    labels = host.split(".")
    return all(_NUMERIC_LABEL.match(label) for label in [*labels[:-1], labels[-1] or "0"])


def _check_ipv6(host: str) -> None:
    try:
        address = ipaddress.IPv6Address(host)
    except ValueError:
        raise BadImageURL(f"bad image URL: invalid IPv6 host {_short(host)!r}") from None
    if address.scope_id is not None:
        raise TargetRefused("refused an IPv6 address with a zone")
    if address.is_unspecified:
        raise TargetRefused("refused the unspecified address '::'")
    embedded = address.ipv4_mapped or address.sixtofour
    if (
        embedded is None and int(address) >> 32 == 0 and int(address) > 1
    ):  # deprecated IPv4-compatible ::a.b.c.d
        embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if embedded is not None:
        raise TargetRefused(f"refused an IPv6 spelling of the IPv4 address {embedded}")


def _check_name(host: str) -> None:
    if len(host) > MAX_HOST_LENGTH:
        raise BadImageURL(f"bad image URL: host name longer than {MAX_HOST_LENGTH} characters")
    if _is_numeric(host):
        _check_ipv4(host)
        return
    labels = host.split(".")
    if not all(_NAME.match(label) for label in [*labels[:-1], labels[-1] or "x"]):
        raise BadImageURL(f"bad image URL: invalid host {_short(host)!r}")


def _check_ipv4(host: str) -> None:
    """Only the canonical dotted quad: octal, hex, short and single-number forms are refused."""
    try:
        address = ipaddress.IPv4Address(host)
    except ValueError:
        raise TargetRefused(f"refused an ambiguous numeric host {_short(host)!r}") from None
    if str(address) != host:
        raise TargetRefused(f"refused an ambiguous numeric host {_short(host)!r}")
    if address.is_unspecified:
        raise TargetRefused("refused the unspecified address 0.0.0.0")


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"

"""Same-origin proof for writes: a page on another site must not be able to queue downloads.

A browser sends a cross-site form POST (or a POST with only a query string, or a `text/plain`
body) without a CORS preflight, with the user's cookies. Every browser in use marks such a request
with `Origin` and `Sec-Fetch-Site`; a non-browser client (curl, scripts) sends neither, and a
browser cannot send a JSON body, a custom header or `DELETE` cross-site without a preflight, which
this app never grants (unless CORS_ORIGINS names the origin). So a write is refused when:

- `Origin` is present and is neither the app's own origin nor a configured one;
- no `Origin`, and `Sec-Fetch-Site` says `cross-site` or `same-site` (another port, a sibling);
- neither header, and the request is a POST a browser could send cross-site (a form, text or empty
  body) without a header a page cannot add: `X-Requested-With` (jQuery sends it on same-origin
  requests) or `Authorization`. (`DELETE` and `PUT` always need a preflight, so curl's bare
  `DELETE` passes.)
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Content types a cross-site page can POST without a preflight (the "CORS-safelisted" ones).
SIMPLE_TYPES = frozenset(
    {"", "application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}
)


def _netloc(origin: str) -> str:
    scheme, _, rest = origin.partition("://")
    host = rest.split("/", 1)[0].lower()
    default = {"http": ":80", "https": ":443"}.get(scheme.lower())
    return host.removesuffix(default) if default else host


def write_refusal(
    method: str, headers: Mapping[str, str], host: str, allowed_origins: Collection[str]
) -> str | None:
    """Why this request may not change anything, or None when it proves it is same-origin.

    `headers` has lower-case names; `host` is the (already trusted) `Host` header;
    `allowed_origins` are PUBLIC_URL's origin and CORS_ORIGINS.
    """
    if method.upper() in SAFE_METHODS:
        return None
    origin = headers.get("origin")
    site = headers.get("sec-fetch-site")
    if origin is not None:
        if origin.rstrip("/").lower() in allowed_origins or _netloc(origin) == host.lower():
            return None
        return f"cross-site request refused (Origin {origin[:100]})"
    if site is not None:
        if site in ("same-origin", "none"):
            return None
        return f"cross-site request refused (Sec-Fetch-Site {site[:30]})"
    content_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if method.upper() != "POST" or content_type not in SIMPLE_TYPES:
        return None  # JSON and the like: a browser would have asked (preflight) and been refused
    if "x-requested-with" in headers or "authorization" in headers:
        return None
    return (
        "a form or empty-body write needs a same-origin proof: send an Origin header naming "
        "this app, or X-Requested-With: XMLHttpRequest"
    )

"""Fastify's path matching, where Starlette's differs.

Starlette routes on the decoded path, so `/manga/mangadex/Fate%2FZero` looks like two segments.
Fastify (find-my-way) matches on the raw path, keeps `%2F` inside a `:param` and decodes it
afterwards: a search for "Fate/Zero" reaches the `:query` route. Search routes are therefore
declared as `{query:path}` and check here that the raw path really had one segment there.
"""

from __future__ import annotations

from starlette.requests import Request


def is_one_raw_segment(request: Request, prefix: str) -> bool:
    """Whether the raw path after `prefix` is one segment (a literal `/` makes it two)."""
    raw = request.scope.get("raw_path", b"").decode("latin-1")
    return raw.startswith(prefix) and "/" not in raw[len(prefix) :]

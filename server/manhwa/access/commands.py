"""`manhwa set-password` and `manhwa token create|list|revoke`: the owner's side of the login.

They talk to Redis directly (like `manhwa status`), so they work with the API stopped and from
`docker compose exec api …`.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
import time
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis

from ..config import get_settings
from .api_tokens import TokenStore
from .passwords import PasswordStore, WeakPassword
from .sessions import SessionStore


async def _with_redis(action: Callable[[Redis], Awaitable[int]]) -> int:
    settings = get_settings()
    redis = Redis.from_url(settings.store_url, decode_responses=True)
    try:
        return await action(redis)
    finally:
        await redis.aclose()


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("New password: ")
    if getpass.getpass("Again: ") != first:
        raise WeakPassword("the two passwords differ")
    return first


def _set_password(args: argparse.Namespace) -> int:
    try:
        password = _read_password(args.stdin)
    except WeakPassword as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1

    async def store(redis: Redis) -> int:
        try:
            await PasswordStore(redis).set(password)
        except WeakPassword as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        # A new password ends every session: whoever knew the old one is logged out.
        ended = await SessionStore(redis, get_settings().session_seconds).end_all()
        print(f"password set; {ended} session(s) ended")
        if get_settings().auth_mode != "password":
            print("note: AUTH_MODE is not `password`, so the login is not in use yet")
        return 0

    return asyncio.run(_with_redis(store))


def _token_create(args: argparse.Namespace) -> int:
    async def create(redis: Redis) -> int:
        info, secret = await TokenStore(redis).create(args.name)
        print(f"token {info.id} ({info.name}) created; it is shown only now:\n{secret}")
        return 0

    return asyncio.run(_with_redis(create))


def _when(stamp: int | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(stamp)) if stamp else "never"


def _token_list(args: argparse.Namespace) -> int:
    async def show(redis: Redis) -> int:
        tokens = await TokenStore(redis).list()
        if not tokens:
            print("no tokens")
        for info in tokens:
            print(
                f"{info.id}  {info.name:<24}  created {_when(info.created)}  "
                f"last used {_when(info.last_used)}"
            )
        return 0

    return asyncio.run(_with_redis(show))


def _token_revoke(args: argparse.Namespace) -> int:
    async def revoke(redis: Redis) -> int:
        if await TokenStore(redis).revoke(args.id):
            print(f"token {args.id} revoked")
            return 0
        print(f"error: no token {args.id} (see `manhwa token list`)", file=sys.stderr)
        return 1

    return asyncio.run(_with_redis(revoke))


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds the commands to `manhwa`'s parser (cli.build_parser)."""
    setpw = sub.add_parser("set-password", help="set the admin password (AUTH_MODE=password)")
    setpw.add_argument("--stdin", action="store_true", help="read it from stdin, no prompt")
    setpw.set_defaults(func=_set_password)

    token = sub.add_parser("token", help="API tokens for scripts and OPDS readers")
    actions = token.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="make a token (shown once)")
    create.add_argument("name", help="what it is for, e.g. 'komga-script' or 'phone opds'")
    create.set_defaults(func=_token_create)
    listing = actions.add_parser("list", help="tokens with when they were last used")
    listing.set_defaults(func=_token_list)
    revoke = actions.add_parser("revoke", help="stop a token working, at once")
    revoke.add_argument("id", help="the token's id from `manhwa token list`")
    revoke.set_defaults(func=_token_revoke)

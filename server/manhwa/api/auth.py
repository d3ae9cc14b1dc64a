"""Login, logout and "who am I" (AUTH_MODE=password): the only `/api` routes the access guard
lets through without a principal, so the login page can use them."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from ..access.guard import access_of, principal_of
from ..access.identity import client_address, session_cookie
from ..access.sessions import COOKIE
from ..errors import Conflict, TooManyRequests, Unauthorized

router = APIRouter(prefix="/api/auth", tags=["auth"])
OWNER = "owner"


class SessionInfo(BaseModel):
    mode: Literal["none", "password", "proxy"]
    authenticated: bool
    user: str | None
    password_set: bool | None = Field(
        default=None, description="AUTH_MODE=password only: whether `manhwa set-password` ran"
    )


class Login(BaseModel):
    password: str = Field(min_length=1, max_length=1000)


@router.get("/session")
async def session(request: Request) -> SessionInfo:
    access = access_of(request)
    principal = principal_of(request)
    mode = access.settings.auth_mode
    return SessionInfo(
        mode=mode,
        authenticated=principal is not None,
        user=principal.name if principal else None,
        password_set=await access.passwords.is_set() if mode == "password" else None,
    )


@router.post("/login", status_code=204, responses={401: {}, 409: {}, 429: {}})
async def login(body: Login, request: Request, response: Response) -> None:
    """Checks the password; slowed per client address and overall (access/throttle.py)."""
    access = access_of(request)
    settings = access.settings
    if settings.auth_mode != "password":
        raise Conflict(f"login is off: AUTH_MODE is {settings.auth_mode}")
    if not await access.passwords.is_set():
        raise Conflict("no password is set yet: run `manhwa set-password` on the server")
    peer = request.client.host if request.client else ""
    address = client_address(peer, request.headers, settings.trusted_proxies)
    waiting = await access.throttle.state(address)
    if waiting.retry_after > 0:
        raise TooManyRequests(
            f"too many failed logins: try again in {waiting.retry_after:.0f} s",
            waiting.retry_after,
        )
    if not await access.passwords.check(body.password):
        await access.throttle.failed(address)
        raise Unauthorized("wrong password")
    await access.throttle.succeeded(address)
    session_id = await access.sessions.create(OWNER)
    secure = request.url.scheme == "https" or (settings.public_url or "").startswith("https:")
    response.set_cookie(
        COOKIE,
        session_id,
        max_age=settings.session_seconds,
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )


@router.post("/logout", status_code=204)
async def logout(request: Request, response: Response) -> None:
    access = access_of(request)
    session_id = session_cookie(request.headers)
    if session_id and access.settings.auth_mode == "password":
        await access.sessions.end(session_id)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")

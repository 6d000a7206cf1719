"""Signing in and out of the dashboard.

The login form carries a CSRF token that is also set as a short-lived cookie (double submit: a
site that cannot read the cookie cannot forge the form). Attempts are limited per client address;
each success and failure is written to the audit log (``login`` / ``login_failed``, no password).
Signing out voids the user's sessions in the store (``users.sessions_ended_at``), not only the
cookie (audited as ``logout``).
"""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import urlparse

from anyio.to_thread import run_sync
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Engine

from crmind.access.credentials import verify_password
from crmind.errors import NotFoundError
from crmind.services.access import UserInfo, end_sessions, user_password_hash
from crmind.services.audit import AuditRecord
from crmind.web.auth import (
    LOGIN_ATTEMPTS_PER_MINUTE,
    FormUser,
    api_state,
    optional_user,
    web_state,
)
from crmind.web.nav import UI_PREFIX
from crmind.web.render import render
from crmind.web.session import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    SESSION_MAX_AGE_SECONDS,
    encode_session,
    new_session,
    same_token,
)

router = APIRouter(prefix=UI_PREFIX, include_in_schema=False)

# a stored hash to check against when the user does not exist, so that a wrong name takes as
# long as a wrong password (no user enumeration by timing)
_DUMMY_HASH = (
    "scrypt$16384$8$1$00000000000000000000000000000000$"
    "0000000000000000000000000000000000000000000000000000000000000000"
)


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path of the dashboard, never another site."""
    if not value:
        return f"{UI_PREFIX}/"
    parsed = urlparse(value)
    if parsed.scheme or parsed.netloc or not value.startswith(f"{UI_PREFIX}/"):
        return f"{UI_PREFIX}/"
    return value


def _login_page(
    request: Request, message: str | None, next_path: str, status_code: int = 200
) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    response = render(
        request,
        "login.html",
        {"message": message, "login_csrf": token, "next": next_path},
        status_code=status_code,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, max_age=3600, httponly=True, samesite="strict", path=UI_PREFIX
    )
    return response


@router.get("/login")
async def login_form(request: Request, next: str | None = None) -> Response:
    if await optional_user(request) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    message = "login.signed_out" if request.query_params.get("out") else None
    return _login_page(request, message, safe_next(next))


def _check_password(engine: Engine, username: str, password: str) -> UserInfo | None:
    try:
        info, stored = user_password_hash(engine, username)
    except NotFoundError:
        info, stored = None, None
    matches = verify_password(password, stored or _DUMMY_HASH)
    if info is None or info.disabled or stored is None or not matches:
        return None
    return info


def _audit(request: Request, action: str, username: str, role: str | None) -> None:
    request.scope.setdefault("crmind.audit", []).append(
        AuditRecord(
            actor=f"user:{username[:100]}",
            role=role,
            action=action,
            resource="dashboard",
            remote_addr=request.client.host if request.client else None,
        )
    )


@router.post("/login")
async def login(
    request: Request,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    next_path = safe_next(next)
    if not same_token(csrf, request.cookies.get(LOGIN_CSRF_COOKIE, "")):
        return _login_page(request, "login.expired", next_path, status_code=403)
    client = request.client.host if request.client else "?"
    if web_state(request).login_limiter.allow(("login", client), LOGIN_ATTEMPTS_PER_MINUTE) > 0:
        return _login_page(request, "login.throttled", next_path, status_code=429)
    info = await run_sync(_check_password, api_state(request).engine, username.strip(), password)
    if info is None:
        _audit(request, "login_failed", username.strip(), None)
        return _login_page(request, "login.failed", next_path, status_code=401)
    _audit(request, "login", info.username, info.role)
    session = new_session(info.id, info.username)
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        encode_session(session, web_state(request).session_key),
        max_age=SESSION_MAX_AGE_SECONDS,
        httponly=True,
        samesite="lax",
        secure=api_state(request).settings.environment == "production",
        path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path=UI_PREFIX)
    return response


@router.post("/logout")
async def logout(request: Request, user: FormUser) -> Response:
    """Sign out: the cookie is deleted, and every session of the user issued until now is
    voided in the store, so a copy of the cookie opens nothing either."""
    await run_sync(end_sessions, api_state(request).engine, user.id)
    web_state(request).forget_user(user.username)
    _audit(request, "logout", user.username, user.role)
    response = RedirectResponse(f"{UI_PREFIX}/login?out=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response

"""Who is looking at the dashboard: the session cookie, the user behind it, page permissions and
CSRF checks of forms.

Pages name the permission they need with :func:`page_permission` (kept on the dependency as
``.permission``, like the API's ``require``), so a test can walk every page against every role.
The signed-in user becomes the request's :class:`~crmind.services.access.Principal`
(``user:<name>``), so the API's audit middleware records the dashboard's reads and changes
exactly as it records the API's.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC
from typing import Annotated

from anyio.to_thread import run_sync
from fastapi import Depends, Request
from sqlalchemy import Engine

from crmind.access.roles import Permission, allows
from crmind.api.deps import ApiState
from crmind.api.ratelimit import RateLimiter
from crmind.errors import CrmindError, NotFoundError
from crmind.privacy.keys import derived_key, secret_key
from crmind.services.access import Principal, UserInfo, find_user
from crmind.web.session import (
    SESSION_COOKIE,
    SESSION_PURPOSE,
    Session,
    decode_session,
    same_token,
)

USER_CACHE_SECONDS = 5.0
LOGIN_ATTEMPTS_PER_MINUTE = 10


class PageError(CrmindError):
    """A page cannot be shown; the dashboard renders it as an HTML error page."""

    status_code = 400

    def __init__(self, message: str, key: str = "error.title", **params: object) -> None:
        super().__init__(message)
        self.key = key  # translation key of what the page says
        self.params = params


class LoginRequiredError(PageError):
    """No valid session: the dashboard sends the browser to the login page."""

    status_code = 401


class PageDeniedError(PageError):
    """The user's role may not see the page (403)."""

    status_code = 403


class PageNotFoundError(PageError):
    status_code = 404


class CsrfError(PageError):
    """A form came without the session's CSRF token (403)."""

    status_code = 403


@dataclass
class WebState:
    """What the dashboard keeps between requests (on ``app.state.crmind_web``)."""

    session_key: bytes
    users: dict[str, tuple[float, UserInfo | None]] = field(default_factory=dict)
    login_limiter: RateLimiter = field(default_factory=RateLimiter)
    views: dict[str, tuple[object, object]] = field(default_factory=dict)  # see view_cache
    lock: threading.Lock = field(default_factory=threading.Lock)

    def forget_users(self) -> None:
        with self.lock:
            self.users.clear()

    def forget_user(self, username: str) -> None:
        with self.lock:
            self.users.pop(username, None)


@dataclass(frozen=True)
class WebUser:
    """The signed-in user of a request."""

    id: int
    username: str
    display_name: str | None
    role: str
    csrf: str

    @property
    def principal(self) -> Principal:
        return Principal(actor=f"user:{self.username}", role=self.role, user_id=self.id)

    def can(self, permission: Permission | tuple[Permission, ...] | None) -> bool:
        """Whether the role has ``permission`` (one of them, for a tuple; None: yes)."""
        if permission is None:
            return True
        wanted = permission if isinstance(permission, tuple) else (permission,)
        return any(allows(self.role, p) for p in wanted)


def api_state(request: Request) -> ApiState:
    state = request.app.state.crmind
    assert isinstance(state, ApiState)
    return state


def web_state(request: Request) -> WebState:
    """The dashboard's state, made on first use from the app's settings."""
    found = getattr(request.app.state, "crmind_web", None)
    if isinstance(found, WebState):
        return found
    key = derived_key(secret_key(api_state(request).settings), SESSION_PURPOSE)
    made = WebState(session_key=key)
    request.app.state.crmind_web = made
    return made


def _lookup(engine: Engine, username: str) -> UserInfo | None:
    try:
        return find_user(engine, username)
    except NotFoundError:
        return None


async def _user_info(request: Request, username: str) -> UserInfo | None:
    web = web_state(request)
    now = time.monotonic()
    with web.lock:
        cached = web.users.get(username)
    if cached is not None and now - cached[0] < USER_CACHE_SECONDS:
        return cached[1]
    engine = api_state(request).engine
    if engine.dialect.name == "sqlite":
        info = _lookup(engine, username)
    else:
        info = await run_sync(_lookup, engine, username)
    with web.lock:
        if len(web.users) > 10_000:
            web.users.clear()
        web.users[username] = (now, info)
    return info


def session_of(request: Request) -> Session | None:
    """The request's valid session, if any."""
    return decode_session(request.cookies.get(SESSION_COOKIE), web_state(request).session_key)


def _ended(session: Session, info: UserInfo) -> bool:
    """Whether the session was issued before the user's sessions were ended (signed out)."""
    ended = info.sessions_ended_at
    return ended is not None and session.issued_at <= ended.replace(tzinfo=UTC).timestamp()


async def optional_user(request: Request) -> WebUser | None:
    """The signed-in, enabled user, or None; sets the request's principal for the audit log."""
    session = session_of(request)
    if session is None:
        return None
    info = await _user_info(request, session.username)
    if info is None or info.disabled or info.id != session.user_id or _ended(session, info):
        return None
    user = WebUser(
        id=info.id,
        username=info.username,
        display_name=info.display_name,
        role=info.role,
        csrf=session.csrf,
    )
    request.state.principal = user.principal
    request.state.web_user = user
    return user


async def current_user(request: Request) -> WebUser:
    """The signed-in user; LoginRequiredError (a redirect to the login page) otherwise."""
    user = await optional_user(request)
    if user is None:
        raise LoginRequiredError("sign in to see the dashboard", "login.title")
    return user


CurrentUser = Annotated[WebUser, Depends(current_user)]


def page_permission(
    permission: Permission | tuple[Permission, ...] | None,
) -> Callable[..., Awaitable[WebUser]]:
    """A dependency letting a page through only for roles with ``permission`` (any of them,
    for a tuple; None: every signed-in user); PageDeniedError (403) otherwise."""

    async def dependency(request: Request, user: CurrentUser) -> WebUser:
        request.state.permission = permission
        if not user.can(permission):
            raise PageDeniedError(
                f"the role {user.role!r} may not see this page", "error.403", role=user.role
            )
        return user

    dependency.permission = permission  # type: ignore[attr-defined]
    return dependency


async def checked_form(request: Request, user: CurrentUser) -> WebUser:
    """For POST handlers: the user, once the form's ``csrf`` field (or the ``X-CSRF-Token``
    header, which htmx sends) matches the session's token; CsrfError otherwise."""
    presented = request.headers.get("x-csrf-token")
    if presented is None:
        form = await request.form()
        value = form.get("csrf")
        presented = value if isinstance(value, str) else None
    if not same_token(presented, user.csrf):
        raise CsrfError("the form's CSRF token is missing or wrong", "error.csrf")
    return user


FormUser = Annotated[WebUser, Depends(checked_form)]

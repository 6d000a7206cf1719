"""The dashboard's session: a signed cookie, and the CSRF token that travels inside it.

A session cookie reads ``<payload>.<signature>``: the payload is URL-safe base64 of a small JSON
object (user id, username, CSRF token, issue time), the signature HMAC-SHA256 of the payload
under a key derived from the installation's secret (``derived_key(secret, "web-session")``). The
cookie is HttpOnly and SameSite=Lax; it names the user only — the role is read from the store on
each request (remembered a few seconds), so a disabled user or a changed role takes effect at
once. Pure functions of bytes and strings: no request, no store.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

SESSION_COOKIE = "crmind_session"
LOGIN_CSRF_COOKIE = "crmind_login_csrf"
SESSION_PURPOSE = "web-session"
SESSION_MAX_AGE_SECONDS = 12 * 3600


@dataclass(frozen=True)
class Session:
    """Who is logged in on this browser, and the token their forms must send back."""

    user_id: int
    username: str
    csrf: str
    issued_at: float


def new_session(user_id: int, username: str, now: float | None = None) -> Session:
    """A fresh session with a random CSRF token."""
    return Session(
        user_id=user_id,
        username=username,
        csrf=secrets.token_urlsafe(24),
        issued_at=time.time() if now is None else now,
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(key: bytes, payload: str) -> str:
    return _b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())


def encode_session(session: Session, key: bytes) -> str:
    """The cookie value of ``session``, signed with ``key``."""
    body = {"u": session.user_id, "n": session.username, "c": session.csrf, "t": session.issued_at}
    payload = _b64(json.dumps(body, separators=(",", ":")).encode())
    return f"{payload}.{_signature(key, payload)}"


def decode_session(
    value: str | None,
    key: bytes,
    now: float | None = None,
    max_age: float = SESSION_MAX_AGE_SECONDS,
) -> Session | None:
    """The session in a cookie value, or None when it is missing, forged, malformed or older
    than ``max_age`` seconds."""
    if not value or len(value) > 4096:
        return None
    payload, _, signature = value.partition(".")
    if not hmac.compare_digest(signature.encode(), _signature(key, payload).encode()):
        return None
    try:
        body = json.loads(_unb64(payload))
        session = Session(
            user_id=int(body["u"]),
            username=str(body["n"]),
            csrf=str(body["c"]),
            issued_at=float(body["t"]),
        )
    except (ValueError, KeyError, TypeError):
        return None
    moment = time.time() if now is None else now
    if not 0 <= moment - session.issued_at <= max_age:
        return None
    return session


def same_token(presented: str | None, expected: str) -> bool:
    """Whether a form's CSRF token is the session's (constant-time)."""
    return bool(presented) and hmac.compare_digest(str(presented).encode(), expected.encode())

"""Typed dependencies of the routes: the store's engine, the calling principal, permissions.

A caller presents an API key as ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``.
Authenticated keys are remembered for a few seconds (a revocation through the API takes effect
at once; one made by the CLI in another process within ``KEY_CACHE_SECONDS``).
"""

from __future__ import annotations

import functools
import math
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, ParamSpec, TypeVar

from anyio import CapacityLimiter
from anyio.to_thread import run_sync
from fastapi import Depends, HTTPException, Request
from sqlalchemy import Engine

from crmind.access.roles import Permission, allows
from crmind.api.ratelimit import RateLimiter
from crmind.config import Settings
from crmind.services.access import Principal, authenticate_key, mark_keys_used
from crmind.services.audit import AuditRecord, AuditWriter

_P = ParamSpec("_P")
_T = TypeVar("_T")

KEY_CACHE_SECONDS = 10.0
CONCURRENT_READS = 4
LAST_USED_FLUSH_SECONDS = 60.0


@dataclass
class ApiState:
    """What the app keeps between requests (on ``app.state.crmind``)."""

    settings: Settings
    engine: Engine
    audit: AuditWriter
    limiter: RateLimiter = field(default_factory=RateLimiter)
    key_cache: dict[str, tuple[float, Principal | None]] = field(default_factory=dict)
    used_keys: set[int] = field(default_factory=set)
    last_flush: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock)
    reads: CapacityLimiter | None = None  # made on first use, inside the event loop

    def forget_keys(self) -> None:
        """Drop remembered keys (after a revocation)."""
        with self.lock:
            self.key_cache.clear()


def _state_of(request: Request) -> ApiState:
    state = request.app.state.crmind
    assert isinstance(state, ApiState)
    return state


# Dependencies that do no I/O are ``async``: FastAPI would run a plain ``def`` one in the
# thread pool, a hop that costs more than the work at hundreds of requests a second.
async def api_state(request: Request) -> ApiState:
    return _state_of(request)


async def get_engine(request: Request) -> Engine:
    return _state_of(request).engine


async def get_settings_dep(request: Request) -> Settings:
    return _state_of(request).settings


EngineDep = Annotated[Engine, Depends(get_engine)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
StateDep = Annotated[ApiState, Depends(api_state)]


def _presented_key(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    return request.headers.get("x-api-key") or None


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


async def _principal_of(state: ApiState, presented: str) -> Principal | None:
    now = time.monotonic()
    with state.lock:
        cached = state.key_cache.get(presented)
    if cached is not None and now - cached[0] < KEY_CACHE_SECONDS:
        return cached[1]
    principal = await run_sync(authenticate_key, state.engine, presented)
    with state.lock:
        if len(state.key_cache) > 10_000:
            state.key_cache.clear()
        state.key_cache[presented] = (now, principal)
    return principal


async def _note_use(state: ApiState, principal: Principal) -> None:
    if principal.key_id is None:
        return
    now = time.monotonic()
    with state.lock:
        state.used_keys.add(principal.key_id)
        if now - state.last_flush < LAST_USED_FLUSH_SECONDS:
            return
        used, state.used_keys, state.last_flush = state.used_keys, set(), now
    await run_sync(mark_keys_used, state.engine, used)


async def current_principal(request: Request) -> Principal:
    """The caller; 401 without a valid key, 429 over the key's rate limit."""
    state = _state_of(request)
    presented = _presented_key(request)
    if presented is None:
        raise _unauthorized("an API key is required (Authorization: Bearer <key>)")
    principal = await _principal_of(state, presented)
    if principal is None:
        raise _unauthorized("the API key is not valid (unknown, revoked or expired)")
    limit = principal.rate_limit_per_minute or state.settings.api_rate_limit_per_minute
    wait = state.limiter.allow(principal.key_id or principal.actor, limit)
    if wait > 0:
        raise HTTPException(
            429,
            f"rate limit of {limit} requests per minute exceeded; retry in {wait:.1f} s",
            headers={"Retry-After": str(max(1, math.ceil(wait)))},
        )
    await _note_use(state, principal)
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


async def run_read(
    state: ApiState, read: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs
) -> _T:
    """Run a short read of the store from an ``async`` route.

    On SQLite the read is a local file read of a fraction of a millisecond, cheaper than the
    hop to the thread pool (and the wait for the GIL on the way back): it runs on the event
    loop. Elsewhere it waits on the network, so it runs in the thread pool, at most
    ``CONCURRENT_READS`` at a time: the loop serves other requests meanwhile, and more threads
    than that on two cores only fight over the GIL and the database's CPU.
    """
    if state.engine.dialect.name == "sqlite":
        return read(*args, **kwargs)
    if state.reads is None:
        state.reads = CapacityLimiter(CONCURRENT_READS)
    return await run_sync(functools.partial(read, *args, **kwargs), limiter=state.reads)


def require(permission: Permission) -> Callable[..., Awaitable[Principal]]:
    """A dependency that lets the call through only for roles with ``permission`` (else 403).

    The permission is kept on the dependency (``.permission``) so tests and the OpenAPI
    description can list what every route needs."""

    async def dependency(request: Request, principal: CurrentPrincipal) -> Principal:
        request.state.permission = permission
        if not allows(principal.role, permission):
            raise HTTPException(403, f"the role {principal.role!r} may not do {permission.value!r}")
        return principal

    dependency.permission = permission  # type: ignore[attr-defined]
    return dependency


def audit_read(request: Request, resource: str, resource_id: Any, customer_id: int | None) -> None:
    """Note a read of personal data; the audit middleware writes it after the response."""
    principal: Principal | None = getattr(request.state, "principal", None)
    pending: list[AuditRecord] = request.scope.setdefault("crmind.audit", [])
    pending.append(
        AuditRecord(
            actor=principal.actor if principal else "anonymous",
            role=principal.role if principal else None,
            action="read",
            resource=resource,
            resource_id=None if resource_id is None else str(resource_id),
            customer_id=customer_id,
            remote_addr=request.client.host if request.client else None,
        )
    )

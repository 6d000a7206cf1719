"""Users and API keys (admins only). A new key's secret is in the creation answer only."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Depends, Request

from crmind.access.roles import Permission
from crmind.api.deps import EngineDep, StateDep, require
from crmind.api.schemas.access import (
    KeyCreate,
    KeyCreated,
    KeyPublic,
    KeysPublic,
    UserCreate,
    UserPublic,
    UsersPublic,
)
from crmind.services.access import add_user, create_key, list_keys, list_users, revoke_key

router = APIRouter(tags=["access"], dependencies=[Depends(require(Permission.ACCESS_ADMIN))])


@router.get("/users")
def get_users(engine: EngineDep) -> UsersPublic:
    """Every user. Example: `GET /users`"""
    users = list_users(engine)
    return UsersPublic(data=[UserPublic(**asdict(u)) for u in users], count=len(users))


@router.post("/users", status_code=201)
def post_user(engine: EngineDep, body: UserCreate) -> UserPublic:
    """Add a user. Example: `POST /users {"username": "ana", "role": "agent"}`"""
    user = add_user(engine, body.username, body.role, body.display_name, body.password)
    return UserPublic(**asdict(user))


@router.get("/keys")
def get_keys(engine: EngineDep) -> KeysPublic:
    """Every API key, by prefix; never a secret. Example: `GET /keys`"""
    keys = list_keys(engine)
    return KeysPublic(data=[KeyPublic(**asdict(k)) for k in keys], count=len(keys))


@router.post("/keys", status_code=201)
def post_key(request: Request, engine: EngineDep, body: KeyCreate) -> KeyCreated:
    """Create a key; the answer holds its secret, shown this once.
    Example: `POST /keys {"name": "shop events", "role": "admin"}`"""
    created = create_key(
        engine,
        body.name,
        role=body.role,
        username=body.username,
        rate_limit_per_minute=body.rate_limit_per_minute,
        expires_in_days=body.expires_in_days,
    )
    request.scope["crmind.audit_detail"] = {"key_prefix": created.info.prefix}
    return KeyCreated(**asdict(created.info), secret=created.secret)


@router.delete("/keys/{prefix}")
def delete_key(state: StateDep, prefix: str) -> KeyPublic:
    """Revoke a key at once. Example: `DELETE /keys/1a2b3c4d`"""
    key = revoke_key(state.engine, prefix)
    state.forget_keys()
    return KeyPublic(**asdict(key))

"""Use cases of access: users, API keys, and who a presented key belongs to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError

from crmind.access.credentials import generate_key, hash_key, hash_password, looks_like_key
from crmind.access.roles import check_role
from crmind.errors import CrmindError, NotFoundError
from crmind.store.db import unit_of_work
from crmind.store.schema import ApiKey, User


class AccessError(CrmindError):
    """A user or key cannot be created or changed as asked (e.g. the name is taken)."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: the actor's name for the audit log, the role, and the key's limits."""

    actor: str
    role: str
    key_id: int | None = None
    user_id: int | None = None
    rate_limit_per_minute: int | None = None


@dataclass(frozen=True)
class UserInfo:
    id: int
    username: str
    display_name: str | None
    role: str
    created_at: datetime
    disabled: bool
    sessions_ended_at: datetime | None = None
    """Dashboard sessions issued before this moment (naive UTC) are void."""


@dataclass(frozen=True)
class KeyInfo:
    """A key as lists show it: never its secret or hash."""

    id: int
    name: str
    prefix: str
    role: str
    username: str | None
    rate_limit_per_minute: int | None
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked: bool


@dataclass(frozen=True)
class CreatedKey:
    """A new key: ``secret`` is shown to its owner once and is not stored anywhere."""

    info: KeyInfo
    secret: str


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def add_user(
    engine: Engine,
    username: str,
    role: str,
    display_name: str | None = None,
    password: str | None = None,
) -> UserInfo:
    """Create a user; AccessError when the name is taken, UnknownRoleError for a bad role."""
    check_role(role)
    username = username.strip()
    if not username:
        raise AccessError("a user needs a non-empty username")
    try:
        with unit_of_work(engine) as session:
            user = User(
                username=username,
                role=role,
                display_name=display_name,
                password_hash=hash_password(password) if password else None,
            )
            session.add(user)
            session.flush()
            session.refresh(user)
            return _user_info(user)
    except IntegrityError as exc:
        raise AccessError(f"a user named {username!r} exists already") from exc


def list_users(engine: Engine) -> list[UserInfo]:
    with unit_of_work(engine) as session:
        return [_user_info(u) for u in session.scalars(select(User).order_by(User.id))]


def find_user(engine: Engine, username: str) -> UserInfo:
    """The user named ``username``; NotFoundError otherwise."""
    with unit_of_work(engine) as session:
        user = session.scalars(select(User).where(User.username == username)).first()
        if user is None:
            raise NotFoundError(f"no user named {username!r}")
        return _user_info(user)


def user_password_hash(engine: Engine, username: str) -> tuple[UserInfo, str | None]:
    """The user and their stored password hash (for a login check)."""
    with unit_of_work(engine) as session:
        user = session.scalars(select(User).where(User.username == username)).first()
        if user is None:
            raise NotFoundError(f"no user named {username!r}")
        return _user_info(user), user.password_hash


def end_sessions(engine: Engine, user_id: int) -> None:
    """Void every dashboard session of the user issued until now (signing out does this: a
    copied cookie no longer opens the dashboard, in this browser or any other)."""
    with unit_of_work(engine) as session:
        session.execute(update(User).where(User.id == user_id).values(sessions_ended_at=_utcnow()))


def create_key(
    engine: Engine,
    name: str,
    role: str | None = None,
    username: str | None = None,
    rate_limit_per_minute: int | None = None,
    expires_in_days: int | None = None,
) -> CreatedKey:
    """A new API key for a user (with the user's role unless ``role`` narrows it) or, without
    a user, a service key of ``role``. The secret is returned once and stored only as a hash."""
    if rate_limit_per_minute is not None and rate_limit_per_minute <= 0:
        raise AccessError(f"a rate limit must be positive, got {rate_limit_per_minute}")
    with unit_of_work(engine) as session:
        user = None
        if username is not None:
            user = session.scalars(select(User).where(User.username == username)).first()
            if user is None:
                raise NotFoundError(f"no user named {username!r}")
        key_role = check_role(role) if role else (user.role if user else None)
        if key_role is None:
            raise AccessError("a key without a user needs a role (--role)")
        generated = generate_key()
        key = ApiKey(
            user_id=user.id if user else None,
            name=name,
            role=key_role,
            prefix=generated.prefix,
            key_hash=generated.key_hash,
            rate_limit_per_minute=rate_limit_per_minute,
            expires_at=_utcnow() + timedelta(days=expires_in_days) if expires_in_days else None,
        )
        session.add(key)
        session.flush()
        session.refresh(key)
        return CreatedKey(info=_key_info(key, username), secret=generated.secret)


def list_keys(engine: Engine) -> list[KeyInfo]:
    with unit_of_work(engine) as session:
        rows = session.execute(
            select(ApiKey, User.username)
            .outerjoin(User, User.id == ApiKey.user_id)
            .order_by(ApiKey.id)
        )
        return [_key_info(key, username) for key, username in rows]


def revoke_key(engine: Engine, prefix: str) -> KeyInfo:
    """Revoke the key whose prefix is ``prefix``; NotFoundError when there is none."""
    with unit_of_work(engine) as session:
        key = session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).first()
        if key is None:
            raise NotFoundError(f"no API key with prefix {prefix!r}")
        if key.revoked_at is None:
            key.revoked_at = _utcnow()
        user = session.get(User, key.user_id) if key.user_id else None
        return _key_info(key, user.username if user else None)


def authenticate_key(engine: Engine, presented: str) -> Principal | None:
    """The principal of a presented key, or None when it is unknown, revoked, expired or its
    user is disabled."""
    if not looks_like_key(presented):
        return None
    with unit_of_work(engine) as session:
        row = session.execute(
            select(ApiKey, User)
            .outerjoin(User, User.id == ApiKey.user_id)
            .where(ApiKey.key_hash == hash_key(presented))
        ).first()
        if row is None:
            return None
        key, user = row
        now = _utcnow()
        if key.revoked_at is not None or (key.expires_at is not None and key.expires_at <= now):
            return None
        if user is not None and user.disabled_at is not None:
            return None
        return Principal(
            actor=f"user:{user.username}" if user else f"key:{key.prefix}",
            role=key.role,
            key_id=key.id,
            user_id=user.id if user else None,
            rate_limit_per_minute=key.rate_limit_per_minute,
        )


def mark_keys_used(engine: Engine, key_ids: set[int]) -> None:
    """Record that these keys were used now (called in batches, not on every request)."""
    if key_ids:
        with unit_of_work(engine) as session:
            session.execute(
                update(ApiKey).where(ApiKey.id.in_(key_ids)).values(last_used_at=_utcnow())
            )


def _user_info(user: User) -> UserInfo:
    return UserInfo(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        created_at=user.created_at,
        disabled=user.disabled_at is not None,
        sessions_ended_at=user.sessions_ended_at,
    )


def _key_info(key: ApiKey, username: str | None) -> KeyInfo:
    return KeyInfo(
        id=key.id,
        name=key.name,
        prefix=key.prefix,
        role=key.role,
        username=username,
        rate_limit_per_minute=key.rate_limit_per_minute,
        created_at=key.created_at,
        expires_at=key.expires_at,
        last_used_at=key.last_used_at,
        revoked=key.revoked_at is not None,
    )

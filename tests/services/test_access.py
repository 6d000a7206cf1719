from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text, update

from crmind.access.roles import UnknownRoleError
from crmind.errors import NotFoundError
from crmind.services.access import (
    AccessError,
    add_user,
    authenticate_key,
    create_key,
    list_keys,
    revoke_key,
)
from crmind.store.schema import ApiKey, User


def test_a_user_name_is_unique(sqlite_engine: Engine) -> None:
    add_user(sqlite_engine, "ana", "agent")
    with pytest.raises(AccessError, match="'ana' exists already"):
        add_user(sqlite_engine, "ana", "viewer")


def test_a_user_with_an_unknown_role_is_refused(sqlite_engine: Engine) -> None:
    with pytest.raises(UnknownRoleError):
        add_user(sqlite_engine, "bob", "root")


def test_a_key_is_stored_as_a_hash_and_its_secret_nowhere(sqlite_engine: Engine) -> None:
    created = create_key(sqlite_engine, "desk", role="agent")
    with sqlite_engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM api_keys")).all()
    assert len(rows) == 1
    assert all(created.secret not in str(value) for value in rows[0])
    listed = list_keys(sqlite_engine)[0]
    assert created.secret not in repr(listed)


def test_a_user_key_acts_as_the_user_with_the_user_role(sqlite_engine: Engine) -> None:
    add_user(sqlite_engine, "ana", "marketer")
    created = create_key(sqlite_engine, "laptop", username="ana")
    principal = authenticate_key(sqlite_engine, created.secret)
    assert principal is not None
    assert (principal.actor, principal.role) == ("user:ana", "marketer")


def test_a_service_key_needs_a_role(sqlite_engine: Engine) -> None:
    with pytest.raises(AccessError, match="needs a role"):
        create_key(sqlite_engine, "shop")
    with pytest.raises(NotFoundError, match="no user named 'nobody'"):
        create_key(sqlite_engine, "shop", username="nobody")


def test_unknown_revoked_and_expired_keys_do_not_authenticate(sqlite_engine: Engine) -> None:
    live = create_key(sqlite_engine, "live", role="viewer")
    revoked = create_key(sqlite_engine, "old", role="viewer")
    expired = create_key(sqlite_engine, "temp", role="viewer", expires_in_days=1)
    revoke_key(sqlite_engine, revoked.info.prefix)
    past = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=1)
    with sqlite_engine.begin() as conn:
        conn.execute(update(ApiKey).where(ApiKey.id == expired.info.id).values(expires_at=past))
    assert authenticate_key(sqlite_engine, live.secret) is not None
    assert authenticate_key(sqlite_engine, revoked.secret) is None
    assert authenticate_key(sqlite_engine, expired.secret) is None
    assert authenticate_key(sqlite_engine, live.secret[:-1] + "x") is None


def test_a_disabled_user_keys_stop_working(sqlite_engine: Engine) -> None:
    add_user(sqlite_engine, "ana", "agent")
    created = create_key(sqlite_engine, "laptop", username="ana")
    with sqlite_engine.begin() as conn:
        conn.execute(update(User).values(disabled_at=datetime(2026, 1, 1)))
    assert authenticate_key(sqlite_engine, created.secret) is None


def test_revoking_an_unknown_prefix_names_it(sqlite_engine: Engine) -> None:
    with pytest.raises(NotFoundError, match="'deadbeef'"):
        revoke_key(sqlite_engine, "deadbeef")

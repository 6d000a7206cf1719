"""Advisory locks of event batches written side by side: keys, and what a transaction holds."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection, Engine

from crmind.store.locks import (
    LIVE_STATE,
    MOST_KEYS,
    WHOLE,
    id_key,
    lock_all,
    lock_live_states,
    lock_new_identities,
    text_key,
)


def test_keys_are_signed_32_bit_and_stable() -> None:
    assert text_key("email\x1f\x1fabc") == text_key("email\x1f\x1fabc")
    assert text_key("a") != text_key("b")
    for value in (0, 1, 2**31 - 1, 2**31, 2**63 - 1, 123_456_789_012):
        assert -(2**31) <= id_key(value) < 2**31
    assert id_key(5) != id_key(6)


def test_nothing_is_locked_on_sqlite(sqlite_engine: Engine) -> None:
    with sqlite_engine.begin() as conn:
        lock_live_states(conn, range(10))  # no error, no statement SQLite would refuse
        lock_new_identities(conn, [("email", "", "h1")])


def _held(conn: Connection) -> list[tuple[int, int, str]]:
    rows = conn.exec_driver_sql(
        "SELECT classid::bigint, objid::bigint, mode FROM pg_locks "
        "WHERE locktype = 'advisory' AND pid = pg_backend_pid() ORDER BY 1, 2"
    )
    return [(int(c), int(o), str(m)) for c, o, m in rows]


@pytest.mark.postgres
def test_a_few_keys_are_locked_one_by_one_beside_the_shared_whole(
    postgres_engine: Engine,
) -> None:
    with postgres_engine.begin() as conn:
        lock_live_states(conn, [3, 1, 2, 2])
        held = _held(conn)
    assert (WHOLE, LIVE_STATE, "ShareLock") in held
    assert sum(1 for classid, _, mode in held if classid == LIVE_STATE) == 3
    assert all(mode == "ExclusiveLock" for classid, _, mode in held if classid == LIVE_STATE)


@pytest.mark.postgres
def test_many_keys_take_the_whole_lock_instead(postgres_engine: Engine) -> None:
    with postgres_engine.begin() as conn:
        lock_all(conn, LIVE_STATE, range(MOST_KEYS + 1))
        held = _held(conn)
    assert held == [(WHOLE, LIVE_STATE, "ExclusiveLock")]


@pytest.mark.postgres
def test_locks_end_with_the_transaction(postgres_engine: Engine) -> None:
    with postgres_engine.begin() as conn:
        lock_new_identities(conn, [("email", "", "h1"), ("source_key", "shop", "C1")])
        assert len(_held(conn)) == 3
    with postgres_engine.begin() as conn:
        assert _held(conn) == []

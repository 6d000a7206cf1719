"""Identity resolution as side-by-side writers use it: the keys handed to ``lock_new``."""

from __future__ import annotations

from collections.abc import Callable

import polars as pl
from sqlalchemy import Connection, Engine, func, select

from crmind.ingest.identity import CUSTOMER_KEY, RESOLVED, resolve_customers
from crmind.privacy.binding import cipher_of
from crmind.store.schema import Customer


def _people(*rows: tuple[str | None, str | None]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "_row": list(range(len(rows))),
            CUSTOMER_KEY: [key for key, _ in rows],
            "email": [email for _, email in rows],
            "phone": [None] * len(rows),
        },
        schema={"_row": pl.Int64, CUSTOMER_KEY: pl.String, "email": pl.String, "phone": pl.String},
    )


LockNew = Callable[[Connection, list[tuple[str, str, str]]], None]


def _resolve(
    conn: Connection, people: pl.DataFrame, lock_new: LockNew | None = None
) -> list[int | None]:
    resolution = resolve_customers(
        conn, "shop", people, None, ("email", "phone"), cipher=cipher_of(conn), lock_new=lock_new
    )
    return resolution.rows.sort("_row")[RESOLVED].to_list()


def test_lock_new_is_handed_only_the_keys_the_store_lacks(sqlite_engine: Engine) -> None:
    handed: list[list[tuple[str, str, str]]] = []
    with sqlite_engine.begin() as conn:
        _resolve(conn, _people(("C1", None)))
        _resolve(
            conn,
            _people(("C1", None), ("C2", "new@example.com")),
            lambda _conn, keys: handed.append(sorted(keys)),
        )
    assert len(handed) == 1
    kinds = [(kind, source) for kind, source, _ in handed[0]]
    assert kinds == [("email", ""), ("source_key", "shop")]
    assert handed[0][1][2] == "C2"  # C1 was known: not handed
    assert handed[0][0][2] != "new@example.com"  # e-mails by their keyed hash only


def test_keys_recorded_while_waiting_for_the_lock_are_used(sqlite_engine: Engine) -> None:
    """A writer that held the lock and recorded the key first: its customer is found, not
    created again."""
    with sqlite_engine.begin() as conn:

        def other_writer_first(conn: Connection, _keys: list[tuple[str, str, str]]) -> None:
            _resolve(conn, _people(("C9", None)))

        before = conn.execute(select(func.count()).select_from(Customer)).scalar_one()
        found = _resolve(conn, _people(("C9", None)), other_writer_first)
        after = conn.execute(select(func.count()).select_from(Customer)).scalar_one()
    assert after == before + 1
    assert found[0] is not None


def test_no_lock_is_asked_for_when_every_key_is_known(sqlite_engine: Engine) -> None:
    asked: list[list[tuple[str, str, str]]] = []
    with sqlite_engine.begin() as conn:
        first = _resolve(conn, _people(("C1", "a@example.com")))
        again = _resolve(
            conn, _people(("C1", "a@example.com")), lambda _conn, keys: asked.append(keys)
        )
    assert asked == []
    assert again == first

"""PostgreSQL advisory locks that let event batches write side by side.

SQLite has one writer at a time, so event batches there are serialised as a whole. PostgreSQL
takes many writers; a batch takes only the locks its writes need, for the rest of its
transaction (``pg_advisory_xact_lock``, released at commit or rollback):

- :data:`NEW_IDENTITY`, one per identity key (kind, source, value) the store does not know yet,
  before the customer of that key is created: two batches naming the same new e-mail make one
  customer, and batches naming only known customers never wait for each other here;
- :data:`LIVE_STATE`, one per customer whose live state the batch reads and rewrites, so two
  batches' counters add up instead of one overwriting the other.

A batch with more than :data:`MOST_KEYS` keys of a kind takes instead the kind's whole lock
(:data:`WHOLE`) exclusively; a smaller one takes it shared, then its keys. So a transaction holds
at most ``MOST_KEYS`` + 1 locks of a kind: PostgreSQL's lock table is shared and small
(``max_locks_per_transaction`` × connections), where a lock per customer of a batch of 1,000
would fill it.

Keys are taken in ascending order, and kinds always in the order above (identity locks before
the batch's inserts, live-state locks after them), so two batches cannot wait for each other in
a cycle. Keys are 32-bit, in the two-key form of the functions, whose key space does not
overlap the one-key form's. Two values sharing a key only wait for each other.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Final

from sqlalchemy import Connection

WHOLE: Final = 0x63726D30  # "crm0"
"""Namespace of the whole-kind locks (the kind's namespace is the second key)."""
NEW_IDENTITY: Final = 0x63726D31  # "crm1"
"""Namespace of the locks on identity keys not yet in the store."""
LIVE_STATE: Final = 0x63726D32  # "crm2"
"""Namespace of the locks on customers' live state."""
MOST_KEYS: Final = 64
"""The most keys of a kind one transaction locks one by one."""
_INT4: Final = 2**31


def text_key(text: str) -> int:
    """A 32-bit signed lock key of ``text`` (stable across processes, unlike ``hash``)."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=4).digest(), signed=True)


def id_key(value: int) -> int:
    """A 32-bit signed lock key of a 64-bit id."""
    return (value % (2 * _INT4)) - _INT4


def lock_all(conn: Connection, namespace: int, keys: Iterable[int]) -> None:
    """Take the transaction-scoped advisory locks ``(namespace, key)`` of ``keys`` in ascending
    order (or the namespace's whole lock, see the module docstring), waiting for a transaction
    that holds one; nothing on a database other than PostgreSQL (whose writers are serialised
    by other means)."""
    wanted = sorted(set(keys))
    if not wanted or conn.dialect.name != "postgresql":
        return
    whole = {"whole": WHOLE, "namespace": namespace}
    if len(wanted) > MOST_KEYS:
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(%(whole)s, %(namespace)s)", whole)
        return
    conn.exec_driver_sql("SELECT pg_advisory_xact_lock_shared(%(whole)s, %(namespace)s)", whole)
    conn.exec_driver_sql(
        "SELECT count(pg_advisory_xact_lock(%(namespace)s, k)) "
        "FROM (SELECT unnest(%(keys)s::int4[]) AS k ORDER BY 1) AS wanted",
        {"namespace": namespace, "keys": "{" + ",".join(map(str, wanted)) + "}"},
    )


def lock_new_identities(conn: Connection, tokens: Iterable[tuple[str, str, str]]) -> None:
    """Lock the identity keys (kind, source, value) a batch is about to record."""
    lock_all(conn, NEW_IDENTITY, (text_key("\x1f".join(token)) for token in tokens))


def lock_live_states(conn: Connection, customer_ids: Iterable[int]) -> None:
    """Lock the live state of ``customer_ids`` for a read and rewrite."""
    lock_all(conn, LIVE_STATE, (id_key(int(i)) for i in customer_ids))

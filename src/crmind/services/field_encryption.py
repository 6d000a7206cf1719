"""Use case: encrypt personal fields a store holds in plain text (written before encryption).

Migration 0007 adds the hash columns and the search tokens, but a migration has no key, so the
values already stored stay as they were. :func:`encrypt_existing` (run by ``init_store``, so by
``crmind init`` and every command that writes) finds them and rewrites them as they would be
written today: customers' personal fields encrypted with their search hashes and name tokens,
and ``email`` / ``phone`` identities holding the hash instead of the address (the address
itself encrypted beside it); the raw records of rejected import rows are encrypted too. It is
one transaction, and a no-op on a store with nothing left in plain text.

Plain identities are told apart from hashes by their form: hashes are hex digits, an e-mail
address has an ``@`` and a stored phone number (E.164) starts with ``+``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine, and_, bindparam, delete, not_, or_, select, update

from crmind.privacy.binding import cipher_of
from crmind.privacy.crypto import PREFIX, FieldCipher, is_encrypted
from crmind.privacy.customer_fields import (
    ENCRYPTED_FIELDS,
    protect,
    replace_search_tokens,
    search_tokens,
)
from crmind.services.privacy import ERASED_TEXT
from crmind.store.schema import Customer, CustomerIdentity, ImportReject, table_of

logger = logging.getLogger(__name__)

CHUNK = 5_000


@dataclass(frozen=True)
class EncryptionReport:
    """How many customers, identities and rejected import rows were rewritten."""

    customers: int
    identities: int
    rejects: int = 0


def encrypt_existing(engine: Engine) -> EncryptionReport:
    """Encrypt every customer field and hash every identity still stored in plain text."""
    cipher = cipher_of(engine)
    with engine.begin() as conn:
        customers = _encrypt_customers(conn, cipher)
        identities = _hash_identities(conn, cipher)
        rejects = _encrypt_rejects(conn, cipher)
    if customers or identities or rejects:
        logger.info(
            "encrypted the personal fields of %s customers and %s rejected rows, and hashed %s "
            "identities",
            customers,
            rejects,
            identities,
        )
    return EncryptionReport(customers, identities, rejects)


def _encrypt_rejects(conn: Connection, cipher: FieldCipher) -> int:
    """Encrypt the raw records of rejected import rows stored in plain text (the erasure's
    ``[erased]`` marker holds nothing personal and stays as it is)."""
    table = table_of(ImportReject)
    plain = and_(not_(table.c.raw.startswith(PREFIX)), table.c.raw != ERASED_TEXT)
    ids = [int(i) for i in conn.execute(select(table.c.id).where(plain)).scalars()]
    statement = update(table).where(table.c.id == bindparam("_id")).values(raw=bindparam("raw"))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        rows = conn.execute(select(table.c.id, table.c.raw).where(table.c.id.in_(chunk))).all()
        encrypted = cipher.encrypt_series(pl.Series([row[1] for row in rows], dtype=pl.String))
        conn.execute(
            statement,
            [{"_id": row[0], "raw": raw} for row, raw in zip(rows, encrypted, strict=True)],
        )
    return len(ids)


def _encrypt_customers(conn: Connection, cipher: FieldCipher) -> int:
    table = table_of(Customer)
    plain = or_(
        *(
            and_(table.c[name].is_not(None), not_(table.c[name].startswith(PREFIX)))
            for name in ENCRYPTED_FIELDS
        )
    )
    ids = [int(i) for i in conn.execute(select(table.c.id).where(plain)).scalars()]
    columns = [table.c.id.label("customer_id"), *(table.c[n] for n in ENCRYPTED_FIELDS)]
    statement = (
        update(table)
        .where(table.c.id == bindparam("_id"))
        .values({n: bindparam(n) for n in (*ENCRYPTED_FIELDS, "email_hash", "phone_hash")})
    )
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        rows = conn.execute(select(*columns).where(table.c.id.in_(chunk))).all()
        values = pl.DataFrame(
            [[_plain(v, cipher) for v in row[1:]] for row in rows],
            schema=dict.fromkeys(ENCRYPTED_FIELDS, pl.String),
            orient="row",
        ).with_columns(pl.Series("customer_id", [row[0] for row in rows], dtype=pl.Int64))
        stored = protect(values, cipher).rename({"customer_id": "_id"})
        conn.execute(
            statement,
            stored.select("_id", *ENCRYPTED_FIELDS, "email_hash", "phone_hash").to_dicts(),
        )
        replace_search_tokens(conn, search_tokens(values, cipher), chunk)
    return len(ids)


def _plain(value: Any, cipher: FieldCipher) -> str | None:
    """A stored value in plain text, whether it was encrypted already or not."""
    if value is None:
        return None
    return cipher.decrypt(value) if is_encrypted(value) else str(value)


def _hash_identities(conn: Connection, cipher: FieldCipher) -> int:
    table = table_of(CustomerIdentity)
    rows = conn.execute(
        select(table.c.id, table.c.kind, table.c.source, table.c.value).where(
            table.c.kind.in_(("email", "phone")),
            or_(table.c.value.contains("@"), table.c.value.startswith("+")),
        )
    ).all()
    hashed = [(int(i), k, s, cipher.search_hash(v), v) for i, k, s, v in rows]
    taken: set[tuple[str, str, str]] = set()
    for start in range(0, len(hashed), CHUNK):
        values = {h for _, _, _, h, _ in hashed[start : start + CHUNK]}
        found = conn.execute(
            select(table.c.kind, table.c.source, table.c.value).where(
                table.c.kind.in_(("email", "phone")), table.c.value.in_(values)
            )
        )
        taken.update((str(k), str(s), str(v)) for k, s, v in found)
    # an address recorded again since encryption began has its hashed row already: drop the
    # plain one; the others take their hash
    dropped = [i for i, kind, source, h, _ in hashed if (kind, source, h) in taken]
    moved = [
        {"_id": i, "hash": h, "sealed": cipher.encrypt(plain)}
        for i, kind, source, h, plain in hashed
        if (kind, source, h) not in taken
    ]
    for start in range(0, len(dropped), CHUNK):
        conn.execute(delete(table).where(table.c.id.in_(dropped[start : start + CHUNK])))
    if moved:
        conn.execute(
            update(table)
            .where(table.c.id == bindparam("_id"))
            .values(value=bindparam("hash"), encrypted_value=bindparam("sealed")),
            moved,
        )
    return len(rows)

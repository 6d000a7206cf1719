"""Deterministic identity resolution: rows that share a key are the same customer.

A row names a customer by up to three keys: the source system's own id (``customer_key``), a
normalised e-mail and an E.164 phone number. Keys seen on one row belong together, and so do
rows that share any key (the rule is transitive within a file). A group whose keys the store
already knows lands on that customer; otherwise a new customer is created. Every key not yet
known is recorded in ``customer_identities``. When a group's keys point at more than one stored
customer, the lowest id wins and the conflict is logged (merging is identity resolution's job).

E-mails and phone numbers are matched and recorded by their keyed search hash
(:mod:`crmind.privacy.customer_fields`), never stored in plain text: a new customer's personal
fields are written encrypted, with the search tokens of its names.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import polars as pl
from sqlalchemy import Connection

from crmind.privacy.crypto import FieldCipher
from crmind.privacy.customer_fields import protect, replace_search_tokens, search_tokens
from crmind.store.bulk import fetch_ids, insert_ignore, insert_returning_ids
from crmind.store.schema import Customer, CustomerIdentity, table_of

logger = logging.getLogger(__name__)

CUSTOMER_KEY = "customer_key"
"""The source system's own id of a customer (the ``customer_id`` field of an import)."""
RESOLVED = "customer_id"
"""The store's id of the resolved customer."""

KINDS = {CUSTOMER_KEY: "source_key", "email_hash": "email", "phone_hash": "phone"}
"""Key columns of a row (e-mail and phone by their keyed hash) and the identity kind of each."""
PLAIN_OF = {"email_hash": "email", "phone_hash": "phone"}
"""The plain column of each hashed key column (kept encrypted beside the hash)."""


@dataclass(frozen=True)
class Resolution:
    """Which customer each row is, and how many customers were created."""

    rows: pl.DataFrame  # _row, customer_id (store id; null for rows with no key)
    created_ids: frozenset[int]


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[tuple[str, str], tuple[str, str]] = {}

    def find(self, item: tuple[str, str]) -> tuple[str, str]:
        parent = self.parent.setdefault(item, item)
        if parent != item:
            root = self.find(parent)
            self.parent[item] = root
            return root
        return item

    def union(self, a: tuple[str, str], b: tuple[str, str]) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def resolve_customers(
    conn: Connection,
    source: str,
    people: pl.DataFrame,
    import_run_id: int | None,
    profile_columns: tuple[str, ...] = (),
    *,
    cipher: FieldCipher,
    lock_new: Callable[[Connection, list[tuple[str, str, str]]], None] | None = None,
) -> Resolution:
    """Find or create the customer of every row of ``people``.

    ``import_run_id`` names the import that writes them (None for events sent to the API).
    ``people`` has ``_row``, ``customer_key``, ``email``, ``phone`` (plain, normalised) and the
    ``profile_columns`` (customers' table columns, plain) used to fill a newly created customer
    from its first row; ``cipher`` encrypts and hashes them.

    ``lock_new``, for writers that run side by side, is handed the keys (kind, source, value)
    the store does not know and returns once no other writer can record them; the keys are then
    read again, as a writer that held them may have recorded them meanwhile.
    """
    people = people.with_columns(
        cipher.search_hash_series(people.get_column("email")).alias("email_hash"),
        cipher.search_hash_series(people.get_column("phone")).alias("phone_hash"),
    )
    keyed = people.filter(pl.any_horizontal(pl.col(k).is_not_null() for k in KINDS))
    if keyed.height == 0:
        return Resolution(
            people.select("_row", pl.lit(None, pl.Int64).alias(RESOLVED)), frozenset()
        )
    known = _known_tokens(conn, source, keyed)
    if lock_new is not None:
        unknown = _unknown_tokens(source, keyed, known)
        if unknown:
            lock_new(conn, unknown)
            known = _known_tokens(conn, source, keyed)
    groups = _group_rows(keyed)
    component_customer: dict[tuple[str, str], int] = {}
    for token, customer in known.items():
        root = groups.find(token)
        previous = component_customer.get(root)
        if previous is not None and previous != customer:
            logger.warning(
                "keys of one customer belong to stored customers %s and %s; using %s",
                previous,
                customer,
                min(previous, customer),
            )
        component_customer[root] = min(customer, previous or customer)
    combos = keyed.select(*KINDS).unique()
    roots = [groups.find(_tokens(row)[0]) for row in combos.iter_rows()]
    combos = combos.with_columns(pl.Series("_root", [f"{k}\x1f{v}" for k, v in roots]))
    keyed = keyed.join(combos, on=list(KINDS), how="left", nulls_equal=True)
    firsts = keyed.sort("_row").unique("_root", keep="first", maintain_order=True)
    new_roots = [
        root for root in firsts["_root"].to_list() if _split(root) not in component_customer
    ]
    created = _create_customers(
        conn,
        firsts.filter(pl.col("_root").is_in(new_roots)),
        profile_columns,
        import_run_id,
        cipher,
    )
    for root, customer in zip(new_roots, created, strict=True):
        component_customer[_split(root)] = customer
    root_ids = pl.DataFrame(
        {
            "_root": [f"{k}\x1f{v}" for k, v in component_customer],
            RESOLVED: list(component_customer.values()),
        },
        schema={"_root": pl.String, RESOLVED: pl.Int64},
    )
    keyed = keyed.join(root_ids, on="_root", how="left")
    _record_identities(conn, source, keyed, known, import_run_id, cipher)
    rows = people.select("_row").join(keyed.select("_row", RESOLVED), on="_row", how="left")
    return Resolution(rows=rows, created_ids=frozenset(created))


def _split(root: str) -> tuple[str, str]:
    kind, _, value = root.partition("\x1f")
    return kind, value


def _tokens(values: tuple[Any, ...]) -> list[tuple[str, str]]:
    return [(kind, str(v)) for kind, v in zip(KINDS.values(), values, strict=True) if v is not None]


def _group_rows(keyed: pl.DataFrame) -> _UnionFind:
    groups = _UnionFind()
    for values in keyed.select(*KINDS).unique().iter_rows():
        tokens = _tokens(values)
        for token in tokens[1:]:
            groups.union(tokens[0], token)
        groups.find(tokens[0])
    return groups


def _known_tokens(conn: Connection, source: str, keyed: pl.DataFrame) -> dict[tuple[str, str], int]:
    frames = []
    for column, kind in KINDS.items():
        values = keyed[column].drop_nulls().unique()
        frames.append(
            pl.DataFrame(
                {
                    "kind": pl.Series([kind] * len(values), dtype=pl.String),
                    "source": pl.Series(
                        [source if kind == "source_key" else ""] * len(values), dtype=pl.String
                    ),
                    "value": values.cast(pl.String),
                }
            )
        )
    keys = pl.concat(frames)
    found = fetch_ids(conn, table_of(CustomerIdentity), keys, id_column="customer_id")
    return {
        (kind, value): int(customer)
        for kind, value, customer in found.select("kind", "value", "customer_id").iter_rows()
    }


def _unknown_tokens(
    source: str, keyed: pl.DataFrame, known: dict[tuple[str, str], int]
) -> list[tuple[str, str, str]]:
    """The identity keys (kind, source, value) of ``keyed`` that ``known`` lacks."""
    unknown = []
    for column, kind in KINDS.items():
        key_source = source if kind == "source_key" else ""
        for value in keyed[column].drop_nulls().unique().cast(pl.String).to_list():
            if (kind, value) not in known:
                unknown.append((kind, key_source, value))
    return unknown


def _create_customers(
    conn: Connection,
    firsts: pl.DataFrame,
    profile_columns: tuple[str, ...],
    import_run_id: int | None,
    cipher: FieldCipher,
) -> list[int]:
    if firsts.height == 0:
        return []
    table = table_of(Customer)
    hashes = [
        h for p, h in (("email", "email_hash"), ("phone", "phone_hash")) if p in profile_columns
    ]
    profile = (
        firsts.select("_row", *profile_columns, *hashes)
        .with_columns(pl.lit(import_run_id, pl.Int64).alias("import_run_id"))
        .drop("_row")  # kept until now: a frame of no columns would have no rows
    )
    created = insert_returning_ids(conn, table, protect(profile, cipher))
    named = profile.with_columns(pl.Series("customer_id", created, dtype=pl.Int64))
    replace_search_tokens(conn, search_tokens(named, cipher))
    return created


def _record_identities(
    conn: Connection,
    source: str,
    keyed: pl.DataFrame,
    known: dict[tuple[str, str], int],
    import_run_id: int | None,
    cipher: FieldCipher,
) -> None:
    frames = []
    for column, kind in KINDS.items():
        plain = PLAIN_OF.get(column)
        part = (
            keyed.filter(pl.col(column).is_not_null())
            .select(
                pl.col(column).cast(pl.String).alias("value"),
                (pl.col(plain) if plain else pl.lit(None, pl.String)).alias("encrypted_value"),
                RESOLVED,
            )
            .unique("value", keep="first", maintain_order=True)
            .filter(~pl.col("value").is_in([v for k, v in known if k == kind]))
        )
        frames.append(
            part.select(
                pl.col(RESOLVED).alias("customer_id"),
                pl.lit(kind).alias("kind"),
                pl.lit(source if kind == "source_key" else "").alias("source"),
                "value",
                cipher.encrypt_series(part.get_column("encrypted_value")),
                pl.lit(import_run_id, pl.Int64).alias("import_run_id"),
            )
        )
    insert_ignore(conn, table_of(CustomerIdentity), pl.concat(frames))

"""Merge duplicate customers in the store, undo merges, and record pairs that are not the same.

A merge moves every source row of the merged customer to the survivor — its orders, events,
feedback, service conversations and identities, and the ``merged_into`` of customers merged
into it earlier, so ``merged_into`` always names a live customer — then sets the merged
customer's ``merged_into`` and writes an ``identity_merges`` row listing the ids of exactly the
rows that moved. That row is the audit record, and :func:`unmerge` moves back exactly those
rows. Moving identities changes only their ``customer_id``, so their unique key (kind, source,
value) cannot collide.

Derived tables (``customer_profiles``, ``segment_members``, ``customer_scores``,
``recommendations``, ``feedback_analyses``) belong to model runs and are left alone: the next
analysis recomputes them from the moved rows.

Every public function is one transaction: a refused or failed merge changes nothing. Rows move
set-based (one ``UPDATE ... RETURNING id`` per table), so a customer with thousands of orders
costs a handful of statements, not an object per row. On SQLite the transaction takes the write
lock first (``BEGIN IMMEDIATE``); on PostgreSQL the customers involved are locked
(``SELECT ... FOR UPDATE``), so the checks and the writes see the same store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, Connection, Engine, Table, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from crmind.errors import NotFoundError, StoreError
from crmind.store.order_status import is_sale
from crmind.store.schema import (
    Consent,
    Conversation,
    Customer,
    CustomerIdentity,
    Event,
    Feedback,
    IdentityExclusion,
    IdentityMerge,
    Order,
    table_of,
)

REPOINTED: tuple[tuple[Table, str], ...] = (
    (table_of(Order), "customer_id"),
    (table_of(Event), "customer_id"),
    (table_of(Feedback), "customer_id"),
    (table_of(Conversation), "customer_id"),
    (table_of(CustomerIdentity), "customer_id"),
    (table_of(Consent), "customer_id"),
    (table_of(Customer), "merged_into"),
)
"""(table, column) pairs that follow a customer into a merge; ``moved`` is keyed by table name."""

UNDO_CHUNK = 5_000
"""Row ids per ``UPDATE ... WHERE id IN (...)`` when undoing (SQLite allows 32,766 parameters)."""


@dataclass(frozen=True)
class MergeRecord:
    """One row of ``identity_merges``, for review."""

    id: int
    survivor_id: int
    merged_id: int
    probability: float | None
    reason: str | None
    moved: dict[str, list[int]]
    previous_merged_into: int | None
    created_at: datetime
    undone_at: datetime | None

    @property
    def undone(self) -> bool:
        return self.undone_at is not None

    @property
    def moved_counts(self) -> dict[str, int]:
        """How many rows of each table moved."""
        return {name: len(ids) for name, ids in self.moved.items()}


@dataclass(frozen=True)
class ClusterMerged:
    """A cluster that was merged: its survivor, the others and their ``identity_merges`` ids."""

    survivor_id: int
    merged_ids: tuple[int, ...]
    merge_ids: tuple[int, ...]


@dataclass(frozen=True)
class ClusterRefused:
    """A cluster that was left as it was, and why."""

    customer_ids: tuple[int, ...]
    reason: str


@dataclass(frozen=True)
class ClusterMergeResult:
    """What :func:`merge_clusters` did with each cluster."""

    merged: list[ClusterMerged] = field(default_factory=list)
    refused: list[ClusterRefused] = field(default_factory=list)

    @property
    def merge_ids(self) -> list[int]:
        """The ids of every ``identity_merges`` row written."""
        return [merge_id for cluster in self.merged for merge_id in cluster.merge_ids]


def merge_customers(
    engine: Engine,
    survivor_id: int,
    merged_ids: Iterable[int],
    *,
    probability: float | None = None,
    reason: str | None = None,
) -> list[int]:
    """Merge each of ``merged_ids`` into ``survivor_id``; returns the ``identity_merges`` ids.

    All or nothing: NotFoundError when a customer does not exist, StoreError when one is the
    survivor, is already merged, or when two customers that would end up as one (including those
    merged into them earlier) are recorded as not the same. ``reason`` defaults to
    "probabilistic match P" when a probability is given.
    """
    with _transaction(engine) as conn:
        return _merge(
            conn, survivor_id, list(dict.fromkeys(merged_ids)), lambda _: probability, reason
        )


def merge_clusters(
    engine: Engine,
    clusters: Sequence[Sequence[int]],
    probabilities: dict[frozenset[int], float] | None = None,
    reason: str | None = None,
) -> ClusterMergeResult:
    """Merge each cluster into its survivor (see :func:`choose_survivor`), one transaction each.

    A refused cluster (missing or already merged customer, a recorded exclusion, fewer than two
    customers) is listed with the reason and does not stop the others; a database failure
    propagates, leaving the clusters before it merged. A merged customer's probability is that of
    its pair with the survivor, else its best pair within the cluster.
    """
    result = ClusterMergeResult()
    for cluster in clusters:
        ids = tuple(dict.fromkeys(cluster))
        if len(ids) < 2:
            result.refused.append(ClusterRefused(ids, "a cluster needs at least two customers"))
            continue
        try:
            with _transaction(engine) as conn:
                survivor = _choose_survivor(conn, ids)
                others = [cid for cid in ids if cid != survivor]
                best = _pair_probability(probabilities or {}, survivor, ids)
                merge_ids = _merge(conn, survivor, others, best, reason)
        except (NotFoundError, StoreError) as exc:
            result.refused.append(ClusterRefused(ids, str(exc)))
            continue
        result.merged.append(ClusterMerged(survivor, tuple(others), tuple(merge_ids)))
    return result


def choose_survivor(engine: Engine, customer_ids: Sequence[int]) -> int:
    """The customer the others of a cluster are merged into.

    The one with the most purchases (orders that are not returns): it holds the most history.
    Ties go to the oldest ``created_at``, then the lowest id. NotFoundError when none exists.
    """
    with engine.connect() as conn:
        return _choose_survivor(conn, customer_ids)


def unmerge(engine: Engine, merge_id: int) -> None:
    """Undo merge ``merge_id`` exactly: move back the rows it moved, restore ``merged_into``.

    The merge's row stays, with ``undone_at`` set. StoreError when it was already undone, when
    its survivor has since been merged into another customer (that merge is named: undo it
    first), or when rows it moved are no longer with the survivor.
    """
    with _transaction(engine) as conn:
        record = conn.execute(
            select(IdentityMerge).where(IdentityMerge.id == merge_id).with_for_update()
        ).one_or_none()
        if record is None:
            raise NotFoundError(f"no merge with id {merge_id}")
        survivor, merged = int(record.survivor_id), int(record.merged_id)
        what = f"merge {merge_id} (customer {merged} into {survivor})"
        if record.undone_at is not None:
            raise StoreError(f"{what} was already undone at {record.undone_at:%Y-%m-%d %H:%M:%S}")
        state = _lock_customers(conn, [survivor, merged])
        if state[survivor] is not None:
            later = _active_merge_of(conn, survivor)
            raise StoreError(
                f"cannot undo {what}: customer {survivor} has since been merged into customer "
                f"{state[survivor]} by merge {later}; undo merge {later} first"
            )
        if state[merged] != survivor:
            raise StoreError(
                f"cannot undo {what}: customer {merged} now points at {state[merged]}, "
                f"not at {survivor}"
            )
        moved: dict[str, list[int]] = record.moved or {}
        for table, column in REPOINTED:
            ids = [int(i) for i in moved.get(table.name, [])]
            back = _move_back(conn, table, column, ids, survivor, merged)
            if back != len(ids):
                raise StoreError(
                    f"cannot undo {what} exactly: {len(ids) - back} of the {len(ids)} "
                    f"{table.name} rows it moved are no longer with customer {survivor}"
                )
        conn.execute(
            update(Customer)
            .where(Customer.id == merged)
            .values(merged_into=record.previous_merged_into)
        )
        conn.execute(
            update(IdentityMerge).where(IdentityMerge.id == merge_id).values(undone_at=_utcnow())
        )


def exclude_pair(engine: Engine, a: int, b: int, reason: str | None = None) -> bool:
    """Record that customers ``a`` and ``b`` are not the same person, so they are never merged.

    Idempotent: returns False when the pair was already recorded (its first reason is kept).
    NotFoundError when a customer does not exist; StoreError when ``a == b`` or when the two are
    currently merged (undo that merge first).
    """
    if a == b:
        raise StoreError(f"customer {a} cannot be excluded from itself")
    low, high = sorted((a, b))
    with _transaction(engine) as conn:
        state = _lock_customers(conn, [low, high])
        missing = [cid for cid in (low, high) if cid not in state]
        if missing:
            raise NotFoundError(f"cannot record an exclusion: no customer with id {missing[0]}")
        root_low, root_high = _root(conn, low, state[low]), _root(conn, high, state[high])
        if root_low == root_high:
            raise StoreError(
                f"customers {low} and {high} are merged (both are customer {root_low} now); "
                "undo the merge before recording that they are not the same"
            )
        values = {"customer_a": low, "customer_b": high, "reason": reason}
        dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        statement = (
            dialect_insert(IdentityExclusion)
            .values(values)
            .on_conflict_do_nothing()
            .returning(IdentityExclusion.id)
        )
        return conn.execute(statement).scalar_one_or_none() is not None


def excluded_pairs(engine: Engine) -> set[frozenset[int]]:
    """Every pair recorded as not the same."""
    with engine.connect() as conn:
        rows = conn.execute(select(IdentityExclusion.customer_a, IdentityExclusion.customer_b))
        return {frozenset((int(a), int(b))) for a, b in rows}


def merge_history(engine: Engine, customer_id: int | None = None) -> list[MergeRecord]:
    """Every merge, oldest first (undone ones included); with ``customer_id``, its merges only."""
    query = select(IdentityMerge).order_by(IdentityMerge.id)
    if customer_id is not None:
        query = query.where(
            or_(IdentityMerge.survivor_id == customer_id, IdentityMerge.merged_id == customer_id)
        )
    with engine.connect() as conn:
        return [
            MergeRecord(
                id=int(row.id),
                survivor_id=int(row.survivor_id),
                merged_id=int(row.merged_id),
                probability=row.probability,
                reason=row.reason,
                moved={name: [int(i) for i in ids] for name, ids in (row.moved or {}).items()},
                previous_merged_into=row.previous_merged_into,
                created_at=row.created_at,
                undone_at=row.undone_at,
            )
            for row in conn.execute(query)
        ]


# --- internals ------------------------------------------------------------------------------


@contextmanager
def _transaction(engine: Engine) -> Iterator[Connection]:
    """A write transaction; on SQLite it holds the write lock from its first statement."""
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        yield conn


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _merge(
    conn: Connection,
    survivor: int,
    merged: list[int],
    probability_of: Callable[[int], float | None],
    reason: str | None,
) -> list[int]:
    """Check the whole cluster, then merge each customer of ``merged`` into ``survivor``."""
    previous = _check_mergeable(conn, survivor, merged)
    merge_ids = []
    for customer in merged:
        probability = probability_of(customer)
        if reason is None and probability is not None:
            why: str | None = f"probabilistic match {probability:.2f}"
        else:
            why = reason
        merge_ids.append(_merge_one(conn, survivor, customer, probability, why, previous[customer]))
    return merge_ids


def _check_mergeable(conn: Connection, survivor: int, merged: list[int]) -> dict[int, int | None]:
    """Raise unless every customer exists, none is merged, and no excluded pair would join.

    Returns each merged customer's ``merged_into`` (for the audit record).
    """
    state = _lock_customers(conn, [survivor, *merged])
    missing = [cid for cid in [survivor, *merged] if cid not in state]
    if missing:
        listed = ", ".join(str(cid) for cid in missing)
        raise NotFoundError(f"cannot merge into customer {survivor}: no customer with id {listed}")
    if survivor in merged:
        raise StoreError(f"cannot merge customer {survivor} into itself")
    if state[survivor] is not None:
        raise StoreError(
            f"cannot merge into customer {survivor}: it was merged into customer "
            f"{state[survivor]} (merge {_active_merge_of(conn, survivor)}); merge into "
            f"{state[survivor]} instead"
        )
    for customer in merged:
        if state[customer] is not None:
            raise StoreError(
                f"cannot merge customer {customer} into {survivor}: it is already merged into "
                f"customer {state[customer]} (merge {_active_merge_of(conn, customer)})"
            )
    members = _members(conn, [survivor, *merged])
    _lock_customers(conn, list(members))
    _check_exclusions(conn, survivor, members)
    return {customer: state[customer] for customer in merged}


def _members(conn: Connection, roots: list[int]) -> dict[int, int]:
    """Each root and every customer merged into it (at any depth) -> the root it belongs to."""
    members = {root: root for root in roots}
    frontier = set(roots)
    while frontier:
        rows = conn.execute(
            select(Customer.id, Customer.merged_into).where(Customer.merged_into.in_(frontier))
        ).all()
        frontier = set()
        for customer, parent in rows:
            if parent is not None and customer not in members:
                members[int(customer)] = members[int(parent)]
                frontier.add(int(customer))
    return members


def _check_exclusions(conn: Connection, survivor: int, members: dict[int, int]) -> None:
    """Raise when two customers from different roots of the merge are recorded as not the same."""
    ids = list(members)
    rows = conn.execute(
        select(IdentityExclusion.customer_a, IdentityExclusion.customer_b, IdentityExclusion.reason)
        .where(IdentityExclusion.customer_a.in_(ids), IdentityExclusion.customer_b.in_(ids))
        .order_by(IdentityExclusion.customer_a, IdentityExclusion.customer_b)
    ).all()
    for a, b, reason in rows:
        if members[a] != members[b]:
            because = f" ({reason})" if reason else ""
            raise StoreError(
                f"cannot merge into customer {survivor}: {_named(a, members)} and "
                f"{_named(b, members)} are recorded as not the same{because}"
            )


def _named(customer: int, members: dict[int, int]) -> str:
    root = members[customer]
    return f"customer {customer}" + ("" if root == customer else f" (merged into {root})")


def _merge_one(
    conn: Connection,
    survivor: int,
    merged: int,
    probability: float | None,
    reason: str | None,
    previous: int | None,
) -> int:
    """Move ``merged``'s rows to ``survivor``, mark it merged and write the audit record."""
    conn.execute(update(Customer).where(Customer.id == merged).values(merged_into=survivor))
    moved = {
        table.name: _repoint(conn, table, column, merged, survivor) for table, column in REPOINTED
    }
    return _write_merge_record(conn, survivor, merged, probability, reason, moved, previous)


def _write_merge_record(
    conn: Connection,
    survivor: int,
    merged: int,
    probability: float | None,
    reason: str | None,
    moved: dict[str, list[int]],
    previous: int | None,
) -> int:
    result = conn.execute(
        insert(IdentityMerge).returning(IdentityMerge.id),
        {
            "survivor_id": survivor,
            "merged_id": merged,
            "probability": probability,
            "reason": reason,
            "moved": moved,
            "previous_merged_into": previous,
        },
    )
    return int(result.scalar_one())


def _repoint(conn: Connection, table: Table, column: str, old: int, new: int) -> list[int]:
    """Point every row of ``table`` from customer ``old`` at ``new``; returns the moved ids."""
    target: Column[Any] = table.c[column]
    result = conn.execute(
        update(table).where(target == old).values({column: new}).returning(table.c.id)
    )
    return sorted(int(row_id) for row_id in result.scalars())


def _move_back(
    conn: Connection, table: Table, column: str, ids: list[int], current: int, original: int
) -> int:
    """Point the rows ``ids`` of ``table`` from ``current`` back at ``original``; returns how
    many still pointed at ``current``."""
    target: Column[Any] = table.c[column]
    back = 0
    for start in range(0, len(ids), UNDO_CHUNK):
        chunk = ids[start : start + UNDO_CHUNK]
        result = conn.execute(
            update(table).where(table.c.id.in_(chunk), target == current).values({column: original})
        )
        back += int(result.rowcount)
    return back


def _lock_customers(conn: Connection, ids: list[int]) -> dict[int, int | None]:
    """``id -> merged_into`` of the customers that exist, locked until the transaction ends."""
    rows = conn.execute(
        select(Customer.id, Customer.merged_into)
        .where(Customer.id.in_(ids))
        .order_by(Customer.id)
        .with_for_update()
    )
    return {int(cid): (None if into is None else int(into)) for cid, into in rows}


def _root(conn: Connection, customer: int, merged_into: int | None) -> int:
    """The live customer ``customer`` belongs to (itself unless merged)."""
    seen = {customer}
    while merged_into is not None and merged_into not in seen:
        customer = merged_into
        seen.add(customer)
        merged_into = conn.execute(
            select(Customer.merged_into).where(Customer.id == customer)
        ).scalar_one()
    return customer


def _active_merge_of(conn: Connection, merged: int) -> int | None:
    """The id of the merge (not undone) that merged customer ``merged`` away."""
    return conn.execute(
        select(func.max(IdentityMerge.id)).where(
            IdentityMerge.merged_id == merged, IdentityMerge.undone_at.is_(None)
        )
    ).scalar_one()


def _choose_survivor(conn: Connection, customer_ids: Sequence[int]) -> int:
    purchases = (
        select(Order.customer_id, func.count().label("purchases"))
        .where(
            Order.customer_id.in_(customer_ids),
            Order.is_return.is_(False),
            is_sale(Order.status),
        )
        .group_by(Order.customer_id)
        .subquery()
    )
    survivor = conn.execute(
        select(Customer.id)
        .outerjoin(purchases, purchases.c.customer_id == Customer.id)
        .where(Customer.id.in_(customer_ids))
        .order_by(func.coalesce(purchases.c.purchases, 0).desc(), Customer.created_at, Customer.id)
        .limit(1)
    ).scalar_one_or_none()
    if survivor is None:
        listed = ", ".join(str(cid) for cid in customer_ids)
        raise NotFoundError(f"none of the customers {listed} exists")
    return int(survivor)


def _pair_probability(
    probabilities: dict[frozenset[int], float], survivor: int, cluster: Sequence[int]
) -> Callable[[int], float | None]:
    """A merged customer's probability: its pair with the survivor, else its best in the cluster."""

    def probability_of(customer: int) -> float | None:
        direct = probabilities.get(frozenset((survivor, customer)))
        if direct is not None:
            return direct
        pairs = (probabilities.get(frozenset((customer, other))) for other in cluster)
        return max((p for p in pairs if p is not None), default=None)

    return probability_of

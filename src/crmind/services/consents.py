"""Use cases of consent: record a decision, show what is in force, and respect it.

Respecting a withdrawal of ``profiling`` consent means two things: the person's derived profiling
data (profiles, segment memberships, scores, recommendations) is deleted when the withdrawal is
recorded, and every pipeline that stores such data leaves the person out from then on — the
writers call :func:`profiling_excluded` in the transaction that stores their results. Erased
customers are left out too: their orders stay for accounting, but no profile is made of them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine, Select, delete, func, insert, select, update

from crmind import columns as c
from crmind.errors import NotFoundError
from crmind.privacy.consent import (
    PROFILING,
    ConsentRecord,
    check_purpose,
    granted_of,
    in_force,
)
from crmind.services.audit import AuditRecord, record
from crmind.store.bulk import one_of
from crmind.store.schema import Base, Consent, Customer, Erasure, Segment, SegmentMember

PROFILING_TABLES = (
    "customer_scores",
    "recommendations",
    "segment_members",
    "customer_profiles",
    "customer_live_state",
)
"""The tables of derived profiling data, deleted for a person who withdraws profiling consent
(those a schema version lacks are skipped)."""


@dataclass(frozen=True)
class ConsentChange:
    """A recorded decision, and the derived rows it deleted (table -> rows)."""

    customer_id: int
    consent: ConsentRecord
    deleted: dict[str, int] = field(default_factory=dict)


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def record_consent(
    engine: Engine,
    customer_id: int,
    purpose: str,
    decision: str,
    *,
    source: str,
    actor: str,
    role: str | None = None,
    recorded_at: datetime | None = None,
) -> ConsentChange:
    """Record that ``customer_id`` grants or withdraws (``decision``) consent for ``purpose``.

    The decision is kept for the customer's survivor when the customer was merged. Withdrawing
    ``profiling`` deletes the person's derived profiling data in the same transaction. The
    change is audited under ``actor``. Raises UnknownPurposeError, UnknownDecisionError, or
    NotFoundError for an unknown customer.
    """
    check_purpose(purpose)
    granted = granted_of(decision)
    when = recorded_at or _utcnow()
    with engine.begin() as conn:
        person = survivor_of(conn, customer_id)
        consent_id = conn.execute(
            insert(Consent).returning(Consent.id),
            {
                "customer_id": person,
                "purpose": purpose,
                "granted": granted,
                "source": source,
                "recorded_by": actor,
                "recorded_at": when,
            },
        ).scalar_one()
        deleted: dict[str, int] = {}
        if purpose == PROFILING and not granted:
            deleted = delete_profiling_data(conn, people_of(conn, person))
    consent = ConsentRecord(
        purpose=purpose,
        granted=granted,
        source=source,
        recorded_by=actor,
        recorded_at=when,
        id=int(consent_id),
    )
    record(
        engine,
        AuditRecord(
            actor=actor,
            role=role,
            action="consent",
            resource="consents",
            resource_id=str(consent_id),
            customer_id=person,
            detail={"purpose": purpose, "decision": decision, "source": source, **deleted},
        ),
    )
    return ConsentChange(customer_id=person, consent=consent, deleted=deleted)


def survivor_of(conn: Connection, customer_id: int) -> int:
    """The customer ``customer_id`` was (transitively) merged into, or itself.

    Raises NotFoundError when there is no such customer."""
    current = customer_id
    seen: set[int] = set()
    while True:
        row = conn.execute(select(Customer.merged_into).where(Customer.id == current)).first()
        if row is None:
            raise NotFoundError(f"no customer with id {customer_id}")
        if row.merged_into is None or current in seen:
            return current
        seen.add(current)
        current = int(row.merged_into)


def people_of(conn: Connection, customer_id: int) -> list[int]:
    """``customer_id`` and every customer merged into it, at any depth."""
    found = [customer_id]
    frontier = [customer_id]
    while frontier:
        merged = [
            int(i)
            for i in conn.execute(
                select(Customer.id).where(Customer.merged_into.in_(frontier))
            ).scalars()
            if int(i) not in found
        ]
        found.extend(merged)
        frontier = merged
    return found


def consent_history(engine: Engine, customer_id: int) -> list[ConsentRecord]:
    """Every decision of the customer (of its survivor when merged), oldest first."""
    with engine.connect() as conn:
        person = survivor_of(conn, customer_id)
        rows = conn.execute(
            select(Consent)
            .where(Consent.customer_id == person)
            .order_by(Consent.recorded_at, Consent.id)
        ).all()
    return [
        ConsentRecord(
            purpose=row.purpose,
            granted=bool(row.granted),
            source=row.source,
            recorded_by=row.recorded_by,
            recorded_at=row.recorded_at,
            id=int(row.id),
        )
        for row in rows
    ]


def current_consents(engine: Engine, customer_id: int) -> dict[str, ConsentRecord]:
    """The decision in force per purpose (purposes never decided are absent)."""
    return in_force(consent_history(engine, customer_id))


def withdrawn(
    bind: Engine | Connection, purpose: str, among: Collection[int] | None = None
) -> set[int]:
    """Customers (of ``among``, when given) whose decision in force for ``purpose`` is a
    withdrawal."""
    return _in_force_as(bind, purpose, False, among)


def granted(
    bind: Engine | Connection, purpose: str, among: Collection[int] | None = None
) -> set[int]:
    """Customers (of ``among``, when given) whose decision in force for ``purpose`` is a grant
    (what an opt-in purpose, such as marketing e-mail, needs)."""
    return _in_force_as(bind, purpose, True, among)


def _in_force_as(
    bind: Engine | Connection, purpose: str, decision: bool, among: Collection[int] | None
) -> set[int]:
    check_purpose(purpose)
    conditions = [Consent.purpose == purpose]
    if among is not None:
        conditions.append(one_of(bind.dialect, Consent.customer_id, among))
    newest = (
        select(
            Consent.customer_id,
            Consent.granted,
            func.row_number()
            .over(
                partition_by=Consent.customer_id,
                order_by=(Consent.recorded_at.desc(), Consent.id.desc()),
            )
            .label("position"),
        )
        .where(*conditions)
        .subquery()
    )
    query = select(newest.c.customer_id).where(
        newest.c.position == 1, newest.c.granted.is_(decision)
    )
    return _ids(bind, query)


def erased_customers(bind: Engine | Connection, among: Collection[int] | None = None) -> set[int]:
    """Customers (of ``among``, when given) whose personal data was erased."""
    query = select(Erasure.customer_id).distinct()
    if among is not None:
        query = query.where(one_of(bind.dialect, Erasure.customer_id, among))
    return _ids(bind, query)


def profiling_excluded(bind: Engine | Connection, among: Collection[int] | None = None) -> set[int]:
    """Customers (of ``among``, when given) of whom no profile, segment membership, score,
    recommendation or live state is stored: those who withdrew profiling consent, and those
    erased."""
    return withdrawn(bind, PROFILING, among) | erased_customers(bind, among)


def without_excluded(
    frame: pl.DataFrame, excluded: Iterable[int], column: str = c.CUSTOMER_ID
) -> pl.DataFrame:
    """``frame`` without the rows of the ``excluded`` customers."""
    ids = pl.Series(sorted(excluded), dtype=pl.Int64)
    if ids.is_empty():
        return frame
    return frame.filter(~pl.col(column).cast(pl.Int64).is_in(ids.implode()))


def delete_profiling_data(conn: Connection, customer_ids: list[int]) -> dict[str, int]:
    """Delete the derived profiling rows of ``customer_ids``; returns rows deleted per table.

    Segment sizes are lowered by the members removed, so stored segment sizes stay true."""
    shrink = conn.execute(
        select(SegmentMember.segment_id, func.count())
        .where(SegmentMember.customer_id.in_(customer_ids))
        .group_by(SegmentMember.segment_id)
    ).all()
    for segment_id, removed in shrink:
        conn.execute(
            update(Segment).where(Segment.id == segment_id).values(size=Segment.size - removed)
        )
    return delete_rows_of(conn, PROFILING_TABLES, customer_ids)


def delete_rows_of(
    conn: Connection, tables: Iterable[str], customer_ids: list[int]
) -> dict[str, int]:
    """Delete the rows of ``customer_ids`` (by their ``customer_id``) from each of ``tables``
    the schema has; returns rows deleted per table."""
    counts: dict[str, int] = {}
    for name in tables:
        table = Base.metadata.tables.get(name)
        if table is None:  # a table of a later schema version
            continue
        result = conn.execute(delete(table).where(table.c.customer_id.in_(customer_ids)))
        counts[name] = int(result.rowcount or 0)
    return counts


def _ids(bind: Engine | Connection, query: Select[Any]) -> set[int]:
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            return {int(i) for i in conn.execute(query).scalars()}
    return {int(i) for i in bind.execute(query).scalars()}

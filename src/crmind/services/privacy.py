"""Use case: a person's request to have their data erased (``crmind privacy erase CUSTOMER``),
and what the subject requests share (the person's rows, their contact as they gave it).

A person is a customer together with every customer merged into it (the same person known under
several keys); a request about a merged customer is a request about its survivor. The export is
:mod:`crmind.services.subject_export`.

:func:`erase_customer` removes the personal data from every table in one transaction: the
customer rows keep their ids as empty shells (so orders stay for the accounts) with every
contact, hash and attribute column nulled; keys and search tokens are deleted; free texts
(feedback, messages) become ``[erased]``, conversation subjects and summaries and merge reasons
are nulled, event properties are cleared; derived data (profiles, segment memberships, scores,
recommendations, live state, feedback analyses and topic memberships) is deleted; campaign
messages lose what they said (those not yet sent are held back for good); rejected
import rows whose raw content holds the person's e-mail, phone or full name are blanked; every
completed model run is flagged for retraining; and an ``erasures`` row records how many rows
changed per table and nothing personal. Consents and audit entries stay: they name the person by
id only and are the proof of what was done. Erasing again changes nothing and records a request
with zero counts. On SQLite the file zeroes deleted content (``secure_delete``) and the WAL is
checkpointed afterwards, so the old values are gone from the files too; on PostgreSQL old row
versions stay in the table files until VACUUM lets later writes reuse their space.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, Connection, Engine, null, or_, select, text, update
from sqlalchemy.sql.elements import ColumnElement

from crmind.privacy.binding import cipher_of
from crmind.privacy.crypto import is_encrypted
from crmind.services.audit import AuditRecord, record
from crmind.services.consents import (
    delete_profiling_data,
    delete_rows_of,
    people_of,
    survivor_of,
)
from crmind.store.schema import (
    Conversation,
    Customer,
    CustomerIdentity,
    Erasure,
    Event,
    Feedback,
    FeedbackAnalysis,
    FeedbackTopicMember,
    IdentityExclusion,
    IdentityMerge,
    ImportReject,
    Message,
    ModelRun,
    Order,
    table_of,
)
from crmind.store.schema_campaigns import CampaignMessage

logger = logging.getLogger(__name__)

ERASED_TEXT = "[erased]"
"""What an erased free text (feedback, message, rejected import row) reads afterwards."""
REJECTS_BATCH = 5_000
"""Rejected import rows read (and blanked) at a time when erasure looks for a person in them."""

KEPT_CUSTOMER_COLUMNS = frozenset(
    {"id", "merged_into", "import_run_id", "created_at", "updated_at"}
)
"""Columns of ``customers`` an erasure keeps; every other nullable column is nulled (contact
fields, attributes, and any hash or encrypted column a later schema adds)."""

KEY_TABLES = ("customer_identities", "customer_search_tokens")
"""Tables of the keys a person is found by, deleted by an erasure (absent ones skipped)."""

_CUSTOMERS = table_of(Customer)


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _erasable_columns() -> list[Column[Any]]:
    return [
        column
        for column in _CUSTOMERS.columns
        if column.name not in KEPT_CUSTOMER_COLUMNS and column.nullable
    ]


def read_contact(row: Mapping[Any, Any], bind: Engine | Connection) -> dict[str, Any]:
    """A customer row's personal fields as the person gave them: encrypted values decrypted
    with the store's cipher, keyed search hashes left out (they mean nothing to the person)."""
    contact: dict[str, Any] = {}
    for column in _erasable_columns():
        if column.name.endswith("_hash"):
            continue
        value = row[column.name]
        if is_encrypted(value):
            value = cipher_of(bind).decrypt(value, column.name)
        contact[column.name] = value
    return contact


def rows_of(conn: Connection, query: Any) -> list[dict[str, Any]]:
    """The rows of ``query`` as dicts."""
    return [dict(row._mapping) for row in conn.execute(query)]


def feedback_of(ids: list[int]) -> ColumnElement[bool]:
    """The person's feedback: theirs by customer, or about one of their orders."""
    orders = select(Order.id).where(Order.customer_id.in_(ids))
    return or_(Feedback.customer_id.in_(ids), Feedback.order_id.in_(orders))


def conversations_of(ids: list[int]) -> ColumnElement[bool]:
    feedback = select(Feedback.id).where(feedback_of(ids))
    return or_(Conversation.customer_id.in_(ids), Conversation.feedback_id.in_(feedback))


# ---------------------------------------------------------------------------------- erase


@dataclass(frozen=True)
class ErasureResult:
    """What an erasure did: the record's id, the person's customers, rows changed per table,
    and whether SQLite's write-ahead log was emptied afterwards (None on PostgreSQL)."""

    erasure_id: int
    customer_id: int
    customers: list[int]
    rows: dict[str, int]
    wal_checkpointed: bool | None

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def erase_customer(
    engine: Engine,
    customer_id: int,
    *,
    actor: str,
    role: str | None = None,
    reason: str | None = None,
) -> ErasureResult:
    """Erase the personal data of the person ``customer_id`` belongs to; see the module
    docstring. ``reason`` (e.g. a ticket number) is kept in the erasure record: it must not
    hold personal data. NotFoundError for an unknown id."""
    with engine.begin() as conn:
        person = survivor_of(conn, customer_id)
        ids = people_of(conn, person)
        rows = _erase(conn, ids)
        erasure_id = int(
            conn.execute(
                table_of(Erasure).insert().returning(Erasure.id),
                {"customer_id": person, "requested_by": actor, "reason": reason, "rows": rows},
            ).scalar_one()
        )
        rows["model_runs"] = _flag_models(conn, erasure_id)
        conn.execute(
            update(Erasure).where(Erasure.id == erasure_id).values(rows=rows),
        )
    record(
        engine,
        AuditRecord(
            actor=actor,
            role=role,
            action="erase",
            resource="customers",
            resource_id=str(person),
            customer_id=person,
            detail={"erasure_id": erasure_id, "rows": rows},
        ),
    )
    checkpointed = _checkpoint(engine)
    logger.info("erased customer %d (%d rows changed)", person, sum(rows.values()))
    return ErasureResult(erasure_id, person, ids, rows, checkpointed)


def _erase(conn: Connection, ids: list[int]) -> dict[str, int]:
    rows: dict[str, int] = {}
    contact_rows = rows_of(conn, select(_CUSTOMERS).where(_CUSTOMERS.c.id.in_(ids)))
    traces = traces_of(conn, ids, [read_contact(row, conn) for row in contact_rows])
    rows["import_rejects"] = _blank_rejects(conn, traces)
    columns = _erasable_columns()
    rows["customers"] = _changed(
        conn,
        update(_CUSTOMERS)
        .where(_CUSTOMERS.c.id.in_(ids), or_(*(col.is_not(None) for col in columns)))
        .values({col.name: null() for col in columns} | {"updated_at": _utcnow()}),
    )
    rows.update(delete_rows_of(conn, KEY_TABLES, ids))
    rows["events"] = _changed(
        conn,
        update(Event)
        .where(Event.customer_id.in_(ids), Event.properties.is_not(None))
        .values(properties=null()),
    )
    feedback_ids = [
        int(i) for i in conn.execute(select(Feedback.id).where(feedback_of(ids))).scalars()
    ]
    rows["feedback_analyses"] = _changed(
        conn,
        table_of(FeedbackAnalysis).delete().where(FeedbackAnalysis.feedback_id.in_(feedback_ids)),
    )
    rows["feedback_topic_members"] = _changed(
        conn,
        table_of(FeedbackTopicMember)
        .delete()
        .where(FeedbackTopicMember.feedback_id.in_(feedback_ids)),
    )
    rows["feedback"] = _changed(
        conn,
        update(Feedback)
        .where(Feedback.id.in_(feedback_ids), Feedback.text != ERASED_TEXT)
        .values(text=ERASED_TEXT),
    )
    conversation_ids = select(Conversation.id).where(conversations_of(ids))
    rows["messages"] = _changed(
        conn,
        update(Message)
        .where(Message.conversation_id.in_(conversation_ids), Message.text != ERASED_TEXT)
        .values(text=ERASED_TEXT),
    )
    rows["conversations"] = _changed(
        conn,
        update(Conversation)
        .where(
            Conversation.id.in_(conversation_ids),
            or_(Conversation.subject.is_not(None), Conversation.summary.is_not(None)),
        )
        .values(subject=null(), summary=null()),
    )
    rows["identity_merges"] = _changed(
        conn,
        update(IdentityMerge)
        .where(
            or_(IdentityMerge.survivor_id.in_(ids), IdentityMerge.merged_id.in_(ids)),
            IdentityMerge.reason.is_not(None),
        )
        .values(reason=null()),
    )
    rows["identity_exclusions"] = _changed(
        conn,
        update(IdentityExclusion)
        .where(
            or_(IdentityExclusion.customer_a.in_(ids), IdentityExclusion.customer_b.in_(ids)),
            IdentityExclusion.reason.is_not(None),
        )
        .values(reason=null()),
    )
    rows.update(delete_profiling_data(conn, ids))
    rows["campaign_messages"] = _erase_campaign_messages(conn, ids)
    return rows


def _erase_campaign_messages(conn: Connection, ids: list[int]) -> int:
    """Campaign messages keep their status and times (what was sent, by id only) but lose what
    they said; those not yet sent never will be."""
    held = _changed(
        conn,
        update(CampaignMessage)
        .where(CampaignMessage.customer_id.in_(ids), CampaignMessage.status == "pending")
        .values(status="skipped", reason="customer erased"),
    )
    blanked = _changed(
        conn,
        update(CampaignMessage)
        .where(CampaignMessage.customer_id.in_(ids), CampaignMessage.content.is_not(None))
        .values(content=null()),
    )
    return max(held, blanked)


def traces_of(conn: Connection, ids: list[int], contacts: list[dict[str, Any]]) -> set[str]:
    """Values that identify the person in free text: e-mails, phone numbers, full names."""
    values: set[str] = set()
    for contact in contacts:
        for field in ("email", "phone"):
            if contact.get(field):
                values.add(str(contact[field]))
        name = contact.get("name")
        if name and " " in str(name).strip():
            values.add(str(name).strip())
    identities = conn.execute(
        select(CustomerIdentity.kind, CustomerIdentity.encrypted_value).where(
            CustomerIdentity.customer_id.in_(ids),
            CustomerIdentity.kind.in_(("email", "phone")),
            CustomerIdentity.encrypted_value.is_not(None),
        )
    )
    cipher = cipher_of(conn)
    for kind, encrypted in identities:  # e-mails and phones seen only on orders
        plain = cipher.decrypt(encrypted, f"customer_identities.{kind}")
        if plain:
            values.add(plain)
    return {value.lower() for value in values if len(value) >= 5}


def rejects_naming(conn: Connection, traces: set[str]) -> list[int]:
    """Ids of the rejected import rows whose raw record contains one of ``traces`` (lower case,
    :func:`traces_of`). The raw records are encrypted, so each is read in plain here, a batch
    at a time."""
    if not traces:
        return []
    cipher = cipher_of(conn)
    found: list[int] = []
    rows = conn.execute(
        select(ImportReject.id, ImportReject.raw).where(ImportReject.raw != ERASED_TEXT)
    )
    for batch in rows.partitions(REJECTS_BATCH):
        for reject_id, raw in batch:
            plain = (cipher.reveal(raw, "import_rejects.raw") or "").lower()
            if any(trace in plain for trace in traces):
                found.append(int(reject_id))
    return found


def _blank_rejects(conn: Connection, traces: set[str]) -> int:
    """Blank the raw content of rejected import rows that name the person."""
    found = rejects_naming(conn, traces)
    for start in range(0, len(found), REJECTS_BATCH):
        chosen = found[start : start + REJECTS_BATCH]
        conn.execute(
            update(ImportReject).where(ImportReject.id.in_(chosen)).values(raw=ERASED_TEXT)
        )
    return len(found)


def _flag_models(conn: Connection, erasure_id: int) -> int:
    """Flag every completed model run not flagged yet: its model learned from erased data."""
    return _changed(
        conn,
        update(ModelRun)
        .where(ModelRun.status == "completed", ModelRun.retrain_reason.is_(None))
        .values(retrain_reason=f"erasure {erasure_id}", retrain_requested_at=_utcnow()),
    )


def _changed(conn: Connection, statement: Any) -> int:
    return int(conn.execute(statement).rowcount or 0)


def _checkpoint(engine: Engine) -> bool | None:
    """On SQLite, move the WAL into the database file and truncate it, so that old page images
    holding erased values leave the disk; False when a reader kept it from completing."""
    if engine.dialect.name != "sqlite":
        return None
    with engine.connect() as conn:
        busy = conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)")).first()
    return busy is not None and int(busy[0]) == 0


def erasures_of(engine: Engine, customer_id: int) -> list[dict[str, Any]]:
    """The erasure records of a customer, oldest first."""
    with engine.connect() as conn:
        return rows_of(
            conn,
            select(table_of(Erasure))
            .where(Erasure.customer_id == customer_id)
            .order_by(Erasure.id),
        )

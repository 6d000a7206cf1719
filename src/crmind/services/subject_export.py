"""Use case: a person's request to see their data (``crmind privacy export CUSTOMER``).

:func:`export_customer` gathers everything held about the person (a customer with every customer
merged into it), machine-readable: contact (decrypted), identities, orders with their lines,
events, feedback with what text analysis read in it, conversations with their messages, profiles,
segment memberships, scores, recommendations, consents, merges, erasures, the rejected import
rows that name the person (found as erasure finds them) and the audit entries about them. Other
customers' data is never included.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, or_, select

from crmind.privacy.binding import cipher_of
from crmind.privacy.crypto import is_encrypted
from crmind.services.audit import AuditRecord, record
from crmind.services.consents import people_of, survivor_of
from crmind.services.privacy import (
    conversations_of,
    feedback_of,
    read_contact,
    rejects_naming,
    rows_of,
    traces_of,
)
from crmind.store.schema import (
    AuditEntry,
    Consent,
    Conversation,
    Customer,
    CustomerIdentity,
    CustomerProfile,
    CustomerScore,
    Erasure,
    Event,
    Feedback,
    FeedbackAnalysis,
    IdentityMerge,
    ImportReject,
    Message,
    Order,
    OrderLine,
    Product,
    Recommendation,
    Segment,
    SegmentMember,
    table_of,
)
from crmind.store.schema_campaigns import Campaign, CampaignMessage

EXPORT_FORMAT = "crmind-subject-export/1"

_CUSTOMERS = table_of(Customer)


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def export_customer(
    engine: Engine, customer_id: int, *, actor: str, role: str | None = None
) -> dict[str, Any]:
    """Everything held about the person ``customer_id`` belongs to, as JSON-ready values.

    The export is audited (action ``export``) under ``actor``. NotFoundError for an unknown id.
    """
    with engine.connect() as conn:
        person = survivor_of(conn, customer_id)
        ids = people_of(conn, person)
        document: dict[str, Any] = _revealed(_gather(conn, person, ids), conn)
    record(
        engine,
        AuditRecord(
            actor=actor,
            role=role,
            action="export",
            resource="customers",
            resource_id=str(person),
            customer_id=person,
            detail={"customers": ids},
        ),
    )
    return document


def _revealed(value: Any, conn: Connection) -> Any:
    """``value`` with every encrypted text in it decrypted (contact fields, identity values,
    and whatever a later schema encrypts): the person gets their data, not ciphertext."""
    if isinstance(value, dict):
        return {key: _revealed(item, conn) for key, item in value.items()}
    if isinstance(value, list):
        return [_revealed(item, conn) for item in value]
    if isinstance(value, str) and is_encrypted(value):
        return cipher_of(conn).decrypt(value)
    return value


def export_json(document: Mapping[str, Any]) -> str:
    """The export as JSON text (dates in ISO 8601)."""
    return json.dumps(document, default=_json_value, ensure_ascii=False, indent=2)


def _json_value(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _gather(conn: Connection, person: int, ids: list[int]) -> dict[str, Any]:
    customers = [
        {
            "id": row["id"],
            "merged_into": row["merged_into"],
            "created_at": row["created_at"],
            "contact": read_contact(row, conn),
        }
        for row in rows_of(conn, select(_CUSTOMERS).where(_CUSTOMERS.c.id.in_(ids)))
    ]
    orders = rows_of(conn, select(table_of(Order)).where(Order.customer_id.in_(ids)))
    lines = rows_of(
        conn,
        select(table_of(OrderLine), Product.sku, Product.name.label("product_name"))
        .outerjoin(Product, Product.id == OrderLine.product_id)
        .where(OrderLine.order_id.in_([o["id"] for o in orders]))
        .order_by(OrderLine.order_id, OrderLine.line_number),
    )
    rejected = rejects_naming(conn, traces_of(conn, ids, [c["contact"] for c in customers]))
    for order in orders:
        order["lines"] = [line for line in lines if line["order_id"] == order["id"]]
    feedback = rows_of(conn, select(table_of(Feedback)).where(feedback_of(ids)))
    analyses = rows_of(
        conn,
        select(table_of(FeedbackAnalysis)).where(
            FeedbackAnalysis.feedback_id.in_([f["id"] for f in feedback])
        ),
    )
    for item in feedback:
        item["analyses"] = [a for a in analyses if a["feedback_id"] == item["id"]]
    conversations = rows_of(conn, select(table_of(Conversation)).where(conversations_of(ids)))
    messages = rows_of(
        conn,
        select(table_of(Message))
        .where(Message.conversation_id.in_([v["id"] for v in conversations]))
        .order_by(Message.created_at, Message.id),
    )
    for conversation in conversations:
        conversation["messages"] = [
            m for m in messages if m["conversation_id"] == conversation["id"]
        ]
    return {
        "format": EXPORT_FORMAT,
        "exported_at": _utcnow(),
        "customer_id": person,
        "customers": customers,
        "identities": rows_of(
            conn, select(table_of(CustomerIdentity)).where(CustomerIdentity.customer_id.in_(ids))
        ),
        "orders": orders,
        "events": rows_of(
            conn, select(table_of(Event)).where(Event.customer_id.in_(ids)).order_by(Event.id)
        ),
        "feedback": feedback,
        "conversations": conversations,
        "profiles": rows_of(
            conn, select(table_of(CustomerProfile)).where(CustomerProfile.customer_id.in_(ids))
        ),
        "segments": rows_of(
            conn,
            select(
                SegmentMember.customer_id,
                Segment.model_run_id,
                Segment.kind,
                Segment.key,
                Segment.name,
                Segment.description,
            )
            .join(Segment, Segment.id == SegmentMember.segment_id)
            .where(SegmentMember.customer_id.in_(ids)),
        ),
        "scores": rows_of(
            conn, select(table_of(CustomerScore)).where(CustomerScore.customer_id.in_(ids))
        ),
        "recommendations": rows_of(
            conn,
            select(table_of(Recommendation), Product.sku, Product.name.label("product_name"))
            .join(Product, Product.id == Recommendation.product_id)
            .where(Recommendation.customer_id.in_(ids))
            .order_by(Recommendation.model_run_id, Recommendation.rank),
        ),
        "import_rejects": rows_of(  # rejected rows that name the person (raw decrypted)
            conn,
            select(
                ImportReject.import_run_id,
                ImportReject.row,
                ImportReject.field,
                ImportReject.reason,
                ImportReject.raw,
            )
            .where(ImportReject.id.in_(rejected))
            .order_by(ImportReject.id),
        ),
        "consents": rows_of(
            conn,
            select(table_of(Consent))
            .where(Consent.customer_id.in_(ids))
            .order_by(Consent.recorded_at, Consent.id),
        ),
        "identity_merges": rows_of(
            conn,
            select(table_of(IdentityMerge)).where(
                or_(IdentityMerge.survivor_id.in_(ids), IdentityMerge.merged_id.in_(ids))
            ),
        ),
        "campaign_messages": rows_of(
            conn,
            select(table_of(CampaignMessage), Campaign.name.label("campaign"))
            .join(Campaign, Campaign.id == CampaignMessage.campaign_id)
            .where(CampaignMessage.customer_id.in_(ids))
            .order_by(CampaignMessage.id),
        ),
        "erasures": rows_of(conn, select(table_of(Erasure)).where(Erasure.customer_id.in_(ids))),
        "audit": rows_of(
            conn,
            select(table_of(AuditEntry))
            .where(AuditEntry.customer_id.in_(ids))
            .order_by(AuditEntry.occurred_at, AuditEntry.id),
        ),
    }

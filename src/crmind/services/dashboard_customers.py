"""Use cases of the dashboard's customer pages: a filtered customer list with each customer's
segments and scores, the filter choices, and the parts of the 360° timeline the API's view
leaves out (behaviour events and service conversations).

Filters read the newest completed analysis run (segments of kind rfm / learned, lifecycle,
value_tier) and the newest churn model (risk band = the churn score's label). The text search is
:func:`crmind.services.customer_directory.search_customers` (hashed contact fields).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import Connection, Engine, and_, func, select

from crmind.privacy.binding import cipher_of
from crmind.privacy.customer_fields import ENCRYPTED_FIELDS
from crmind.services.customer_directory import CustomerQuery, search_customers
from crmind.store.schema import (
    Conversation,
    Customer,
    CustomerScore,
    Event,
    Message,
    ModelRun,
    Segment,
    SegmentMember,
)

CustomerSort = Literal["id", "-clv", "-risk"]
TEXT_MATCHES = 1000
FILTER_KINDS = ("segment", "lifecycle", "value")
_KIND_OF = {"lifecycle": "lifecycle", "value": "value_tier"}


@dataclass(frozen=True)
class CustomerFilter:
    text: str | None = None  # id, e-mail, phone or whole words of a name
    segment: str | None = None  # key of an rfm or learned segment ("rfm:Champions" or "learned:0")
    lifecycle: str | None = None  # lifecycle segment key (active, at_risk, ...)
    value: str | None = None  # value tier key (high, medium, low)
    risk: str | None = None  # churn band (high, medium, low)
    sort: CustomerSort = "id"
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True)
class CustomerRow:
    id: int
    name: str | None
    email: str | None
    city: str | None
    segments: dict[str, str]  # kind -> segment name
    clv: float | None
    churn: float | None
    risk: str | None


@dataclass(frozen=True)
class CustomerPage:
    rows: list[CustomerRow]
    count: int
    analysis_run: int | None
    churn_run: int | None


@dataclass(frozen=True)
class FilterChoices:
    """What each filter offers: (value, label) pairs."""

    segment: list[tuple[str, str]] = field(default_factory=list)
    lifecycle: list[tuple[str, str]] = field(default_factory=list)
    value: list[tuple[str, str]] = field(default_factory=list)
    risk: list[tuple[str, str]] = field(default_factory=list)


def _newest(conn: Connection, kind: str) -> int | None:
    found = conn.execute(
        select(func.max(ModelRun.id)).where(ModelRun.kind == kind, ModelRun.status == "completed")
    ).scalar()
    return int(found) if found is not None else None


def filter_choices(engine: Engine) -> FilterChoices:
    """The segments, stages, tiers and risk bands of the newest runs."""
    with engine.connect() as conn:
        run = _newest(conn, "analysis")
        if run is None:
            return FilterChoices()
        rows = conn.execute(
            select(Segment.kind, Segment.key, Segment.name)
            .where(Segment.model_run_id == run)
            .order_by(Segment.kind, Segment.size.desc())
        ).all()
        churn = _newest(conn, "churn_model")
        bands = set(
            conn.execute(
                select(CustomerScore.label)
                .where(CustomerScore.model_run_id == churn, CustomerScore.kind == "churn")
                .distinct()
            ).scalars()
            if churn
            else []
        )
    ordered = [b for b in ("high", "medium", "low") if b in bands]
    return FilterChoices(
        segment=[(f"{k}:{key}", f"{name}") for k, key, name in rows if k in ("rfm", "learned")],
        lifecycle=[(key, name) for k, key, name in rows if k == "lifecycle"],
        value=[(key, name) for k, key, name in rows if k == "value_tier"],
        risk=[(b, b) for b in ordered],
    )


def _members(run: int, kind: str, key: str) -> Any:
    return (
        select(SegmentMember.customer_id)
        .join(Segment, Segment.id == SegmentMember.segment_id)
        .where(Segment.model_run_id == run, Segment.kind == kind, Segment.key == key)
    )


def find_customers(engine: Engine, wanted: CustomerFilter) -> CustomerPage:
    """A page of customers matching every filter given, with their segments and scores."""
    text = (wanted.text or "").strip()
    with engine.connect() as conn:
        run = _newest(conn, "analysis")
        churn_run = _newest(conn, "churn_model")
    conditions: list[Any] = [Customer.merged_into.is_(None)]
    if text:
        found, _ = search_customers(engine, CustomerQuery(text=text, limit=TEXT_MATCHES))
        conditions.append(Customer.id.in_([row["id"] for row in found]))
    for name in ("lifecycle", "value"):
        key = getattr(wanted, name)
        if key:
            conditions.append(Customer.id.in_(_members(run or -1, _KIND_OF[name], key)))
    if wanted.segment:
        kind, _, key = wanted.segment.partition(":")
        conditions.append(Customer.id.in_(_members(run or -1, kind, key)))
    clv = (
        select(CustomerScore.customer_id, CustomerScore.value)
        .where(CustomerScore.model_run_id == (run or -1), CustomerScore.kind == "clv")
        .subquery()
    )
    risk = (
        select(CustomerScore.customer_id, CustomerScore.value, CustomerScore.label)
        .where(CustomerScore.model_run_id == (churn_run or -1), CustomerScore.kind == "churn")
        .subquery()
    )
    if wanted.risk:
        conditions.append(risk.c.label == wanted.risk)
    order: list[Any] = {  # type: ignore[assignment]
        "id": [Customer.id],
        "-clv": [clv.c.value.desc().nulls_last(), Customer.id],
        "-risk": [risk.c.value.desc().nulls_last(), Customer.id],
    }[wanted.sort]
    base = (
        select(Customer, clv.c.value.label("clv"), risk.c.value.label("churn"), risk.c.label)
        .outerjoin(clv, clv.c.customer_id == Customer.id)
        .outerjoin(risk, risk.c.customer_id == Customer.id)
        .where(*conditions)
    )
    cipher = cipher_of(engine)
    with engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(base.subquery())).scalar_one()
        found_rows = conn.execute(
            base.order_by(*order).limit(wanted.limit).offset(wanted.offset)
        ).all()
        ids = [int(r.id) for r in found_rows]
        segments: dict[int, dict[str, str]] = {i: {} for i in ids}
        if ids and run is not None:
            for customer, kind, seg in conn.execute(
                select(SegmentMember.customer_id, Segment.kind, Segment.name)
                .join(Segment, Segment.id == SegmentMember.segment_id)
                .where(Segment.model_run_id == run, SegmentMember.customer_id.in_(ids))
            ):
                segments[int(customer)][str(kind)] = str(seg)

    def plain(row: Any, name: str) -> str | None:
        value = getattr(row, name)
        if name in ENCRYPTED_FIELDS and value is not None:
            value = cipher.decrypt(value, f"customers.{name}")
        return None if value is None else str(value)

    rows = [
        CustomerRow(
            id=int(r.id),
            name=plain(r, "name"),
            email=plain(r, "email"),
            city=plain(r, "city"),
            segments=segments[int(r.id)],
            clv=r.clv,
            churn=r.churn,
            risk=r.label,
        )
        for r in found_rows
    ]
    return CustomerPage(rows, int(count), run, churn_run)


def customer_activity(engine: Engine, customer_id: int, limit: int = 20) -> dict[str, Any]:
    """A customer's latest behaviour events and service conversations (with their messages'
    count and summary): the parts of the timeline the 360° view does not hold."""
    with engine.connect() as conn:
        events = conn.execute(
            select(Event.event_type, Event.occurred_at, Event.channel)
            .where(Event.customer_id == customer_id)
            .order_by(Event.occurred_at.desc())
            .limit(limit)
        ).all()
        counts = (
            select(Message.conversation_id, func.count().label("n"))
            .group_by(Message.conversation_id)
            .subquery()
        )
        conversations = conn.execute(
            select(
                Conversation.id,
                Conversation.status,
                Conversation.subject,
                Conversation.summary,
                Conversation.created_at,
                counts.c.n,
            )
            .outerjoin(counts, and_(counts.c.conversation_id == Conversation.id))
            .where(Conversation.customer_id == customer_id)
            .order_by(Conversation.created_at.desc())
            .limit(limit)
        ).all()
    return {
        "events": [
            {"type": e.event_type, "occurred_at": e.occurred_at, "channel": e.channel}
            for e in events
        ],
        "conversations": [
            {
                "id": int(c.id),
                "status": c.status,
                "subject": c.subject,
                "summary": c.summary,
                "opened_at": c.created_at,
                "messages": int(c.n or 0),
            }
            for c in conversations
        ],
    }

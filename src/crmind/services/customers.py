"""Use case: one customer's 360° view (``crmind customer ID``).

Personal fields and e-mail / phone identities are stored encrypted; the view decrypts them with
the engine's cipher (:mod:`crmind.privacy.binding`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from crmind.errors import NotFoundError
from crmind.privacy.binding import cipher_of
from crmind.privacy.crypto import FieldCipher
from crmind.privacy.customer_fields import ENCRYPTED_FIELDS
from crmind.services.analysis_store import latest_run
from crmind.services.feedback_text import customer_feedback
from crmind.services.live_state import live_state
from crmind.services.recommendation import stored_recommendations
from crmind.store.schema import (
    Customer,
    CustomerIdentity,
    CustomerProfile,
    CustomerScore,
    Order,
    OrderLine,
    Segment,
    SegmentMember,
)

PREDICTION_RUNS = ("churn_model", "purchase_model", "spend_model")
"""Kinds of model run whose newest completed scores join the analysis scores in the view."""

CONTACT_FIELDS = (
    "name",
    "first_name",
    "last_name",
    "email",
    "phone",
    "country",
    "city",
    "postcode",
    "birth_date",
    "signed_up_at",
)


@dataclass(frozen=True)
class OrderLineView:
    order_number: str
    occurred_at: datetime
    is_return: bool
    lines: int
    amount: float


@dataclass(frozen=True)
class CustomerView:
    """Everything crmind knows about one customer, newest analysis first."""

    id: int
    contact: dict[str, Any]
    identities: list[tuple[str, str, str]]  # kind, source, value
    merged_into: int | None
    orders: list[OrderLineView]
    order_count: int
    analysis_run: int | None
    profile: dict[str, Any] | None
    segments: dict[str, str]  # kind -> segment name
    scores: dict[str, dict[str, Any]]  # kind -> value, low, high, label
    recommendations: list[dict[str, Any]]  # rank, product_id, product, score, reason
    feedback: list[dict[str, Any]]  # text, occurred_at, rating, label, score, drivers, alert
    live: dict[str, Any] | None = None  # what events changed since the analysis run


def customer_view(engine: Engine, customer_id: int, recent_orders: int = 10) -> CustomerView:
    """The 360° view of ``customer_id``; NotFoundError when there is no such customer.

    FieldDecryptionError when the store's personal fields were encrypted with another key.
    """
    cipher = cipher_of(engine)
    with Session(engine) as session:
        customer = session.get(Customer, customer_id)
        if customer is None:
            raise NotFoundError(f"no customer with id {customer_id}")
        identities = [
            (
                i.kind,
                i.source,
                i.value
                if i.encrypted_value is None
                else cipher.decrypt(i.encrypted_value, f"customer_identities.{i.kind}") or "",
            )
            for i in session.scalars(
                select(CustomerIdentity).where(CustomerIdentity.customer_id == customer_id)
            )
        ]
        order_rows = session.execute(
            select(
                Order.order_number,
                Order.occurred_at,
                Order.is_return,
                func.count(OrderLine.id),
                func.sum(OrderLine.amount),
            )
            .join(OrderLine, OrderLine.order_id == Order.id)
            .where(Order.customer_id == customer_id)
            .group_by(Order.id)
            .order_by(Order.occurred_at.desc())
        ).all()
        run = latest_run(engine)
        profile: dict[str, Any] | None = None
        segments: dict[str, str] = {}
        scores: dict[str, dict[str, Any]] = {}
        if run is not None:
            profile, segments, scores = _analysis_of(session, run.id, customer_id)
        for kind in PREDICTION_RUNS:
            prediction = latest_run(engine, kind)
            if prediction is not None:
                scores.update(_scores_of(session, prediction.id, customer_id))
    return CustomerView(
        id=customer.id,
        contact=_contact(customer, cipher),
        identities=identities,
        merged_into=customer.merged_into,
        orders=[OrderLineView(*row) for row in order_rows[:recent_orders]],
        order_count=len(order_rows),
        analysis_run=run.id if run else None,
        profile=profile,
        segments=segments,
        scores=scores,
        recommendations=stored_recommendations(engine, customer_id).to_dicts(),
        feedback=customer_feedback(engine, customer_id),
        live=live_state(engine, customer_id),
    )


def _contact(customer: Customer, cipher: FieldCipher) -> dict[str, Any]:
    """The contact fields the customer has, decrypted."""
    contact = {}
    for name in CONTACT_FIELDS:
        value = getattr(customer, name)
        if name in ENCRYPTED_FIELDS:
            value = cipher.decrypt(value, f"customers.{name}")
        if value:
            contact[name] = value
    return contact


def _analysis_of(
    session: Session, run_id: int, customer_id: int
) -> tuple[dict[str, Any] | None, dict[str, str], dict[str, dict[str, Any]]]:
    row = session.scalars(
        select(CustomerProfile).where(
            CustomerProfile.model_run_id == run_id, CustomerProfile.customer_id == customer_id
        )
    ).first()
    profile = (
        {
            col: getattr(row, col)
            for col in CustomerProfile.__table__.columns.keys()  # noqa: SIM118
            if col not in ("id", "model_run_id", "customer_id")
        }
        if row
        else None
    )
    memberships = session.execute(
        select(Segment.kind, Segment.name)
        .join(SegmentMember, SegmentMember.segment_id == Segment.id)
        .where(Segment.model_run_id == run_id, SegmentMember.customer_id == customer_id)
    )
    segments = {str(kind): str(name) for kind, name in memberships}
    return profile, segments, _scores_of(session, run_id, customer_id)


def _scores_of(session: Session, run_id: int, customer_id: int) -> dict[str, dict[str, Any]]:
    return {
        score.kind: {
            "value": score.value,
            "low": score.low,
            "high": score.high,
            "label": score.label,
            "explanation": score.explanation,
        }
        for score in session.scalars(
            select(CustomerScore).where(
                CustomerScore.model_run_id == run_id, CustomerScore.customer_id == customer_id
            )
        )
    }

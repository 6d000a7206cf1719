"""Use case: one customer's 360° view (``crmind customer ID``).

Personal fields and e-mail / phone identities are stored encrypted; the view decrypts them with
the engine's cipher (:mod:`crmind.privacy.binding`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, RowMapping

from crmind.errors import NotFoundError
from crmind.privacy.binding import cipher_of
from crmind.privacy.crypto import FieldCipher
from crmind.privacy.customer_fields import ENCRYPTED_FIELDS
from crmind.services import customer_queries as q
from crmind.services.customer_queries import (
    FEEDBACK_SHOWN,
    PREDICTION_RUNS,
    RECOMMENDATION_RUN,
)

__all__ = ["PREDICTION_RUNS", "CustomerView", "OrderLineView", "customer_view"]

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
    Read on one connection with statements built once (:mod:`crmind.services.customer_queries`):
    the API serves this view at hundreds of requests a second.
    """
    cipher = cipher_of(engine)
    with engine.connect() as conn:
        customer = conn.execute(q.CUSTOMER, {"customer_id": customer_id}).mappings().first()
        if customer is None:
            raise NotFoundError(f"no customer with id {customer_id}")
        runs = {str(kind): int(run_id) for kind, run_id in conn.execute(q.LATEST_RUNS)}
        identities = [
            (
                kind,
                source,
                value
                if encrypted is None
                else cipher.decrypt(encrypted, f"customer_identities.{kind}") or "",
            )
            for kind, source, value, encrypted in conn.execute(
                q.IDENTITIES, {"customer_id": customer_id}
            )
        ]
        order_rows = conn.execute(q.ORDERS, {"customer_id": customer_id}).all()
        analysis_run = runs.get("analysis")
        profile: dict[str, Any] | None = None
        segments: dict[str, str] = {}
        if analysis_run is not None:
            found = conn.execute(
                q.PROFILE, {"run_id": analysis_run, "customer_id": customer_id}
            ).mappings()
            row = found.first()
            profile = dict(row) if row is not None else None
            segments = {
                str(kind): str(name)
                for kind, name in conn.execute(
                    q.SEGMENTS, {"run_id": analysis_run, "customer_id": customer_id}
                )
            }
        score_runs = [runs[k] for k in ("analysis", *PREDICTION_RUNS) if k in runs]
        scores = {
            str(row.kind): {
                "value": row.value,
                "low": row.low,
                "high": row.high,
                "label": row.label,
                "explanation": row.explanation,
            }
            # oldest run first, so a newer run's score of the same kind wins
            for row in conn.execute(q.SCORES, {"run_ids": score_runs, "customer_id": customer_id})
        }
        recommendations = []
        if RECOMMENDATION_RUN in runs:
            recommendations = [
                {
                    "rank": rank,
                    "product_id": product_id,
                    "product": name or description,
                    "score": score,
                    "reason": reason,
                }
                for rank, product_id, name, description, score, reason in conn.execute(
                    q.RECOMMENDATIONS,
                    {"run_id": runs[RECOMMENDATION_RUN], "customer_id": customer_id},
                )
            ]
        feedback = [
            dict(row)
            for row in conn.execute(
                q.FEEDBACK, {"customer_id": customer_id, "limit": FEEDBACK_SHOWN}
            ).mappings()
        ]
        live = conn.execute(q.LIVE_STATE, {"customer_id": customer_id}).mappings().first()
    return CustomerView(
        id=customer["id"],
        contact=_contact(customer, cipher),
        identities=identities,
        merged_into=customer["merged_into"],
        orders=[OrderLineView(*row) for row in order_rows[:recent_orders]],
        order_count=len(order_rows),
        analysis_run=analysis_run,
        profile=profile,
        segments=segments,
        scores=scores,
        recommendations=recommendations,
        feedback=feedback,
        live=None if live is None else dict(live),
    )


def _contact(customer: RowMapping, cipher: FieldCipher) -> dict[str, Any]:
    """The contact fields the customer has, decrypted."""
    contact = {}
    for name in CONTACT_FIELDS:
        value = customer[name]
        if name in ENCRYPTED_FIELDS:
            value = cipher.decrypt(value, f"customers.{name}")
        if value:
            contact[name] = value
    return contact

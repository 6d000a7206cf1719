"""Use case: one customer's 360° view (``crmind customer ID``).

Personal fields and e-mail / phone identities are stored encrypted; the view decrypts them with
the engine's cipher (:mod:`crmind.privacy.binding`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

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
from crmind.store.prepared import Prepared

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

_CUSTOMER = Prepared(q.CUSTOMER)
_LATEST_RUNS = Prepared(q.LATEST_RUNS)
_IDENTITIES = Prepared(q.IDENTITIES)
_ORDERS = Prepared(q.ORDERS)
_PROFILE = Prepared(q.PROFILE)
_SEGMENTS = Prepared(q.SEGMENTS)
_SCORES = Prepared(q.SCORES)
_RECOMMENDATIONS = Prepared(q.RECOMMENDATIONS)
_FEEDBACK = Prepared(q.FEEDBACK)
_LIVE_STATE = Prepared(q.LIVE_STATE)


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
    Read on one connection with statements compiled once and run on the driver's cursor
    (:mod:`crmind.store.prepared`): the API serves this view at hundreds of requests a second.
    """
    cipher = cipher_of(engine)
    key = {"customer_id": customer_id}
    with engine.connect() as conn:
        found = _CUSTOMER.mappings(conn, key)
        if not found:
            raise NotFoundError(f"no customer with id {customer_id}")
        customer = found[0]
        runs = {str(kind): int(run_id) for kind, run_id in _LATEST_RUNS.rows(conn, {})}
        identities = [
            (
                kind,
                source,
                value
                if encrypted is None
                else cipher.decrypt(encrypted, f"customer_identities.{kind}") or "",
            )
            for kind, source, value, encrypted in _IDENTITIES.rows(conn, key)
        ]
        order_rows = _ORDERS.rows(conn, key)
        analysis_run = runs.get("analysis")
        profile: dict[str, Any] | None = None
        segments: dict[str, str] = {}
        if analysis_run is not None:
            of_run = {**key, "run_id": analysis_run}
            profiles = _PROFILE.mappings(conn, of_run)
            profile = profiles[0] if profiles else None
            segments = {str(kind): str(name) for kind, name in _SEGMENTS.rows(conn, of_run)}
        score_runs = {
            f"score_run_{index}": runs.get(kind, 0) for index, kind in enumerate(q.SCORE_RUN_SLOTS)
        }
        scores = {
            str(kind): {
                "value": value,
                "low": low,
                "high": high,
                "label": label,
                "explanation": why,
            }
            # oldest run first, so a newer run's score of the same kind wins
            for kind, value, low, high, label, why in _SCORES.rows(conn, {**key, **score_runs})
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
                for rank, product_id, name, description, score, reason in _RECOMMENDATIONS.rows(
                    conn, {**key, "run_id": runs[RECOMMENDATION_RUN]}
                )
            ]
        feedback = _FEEDBACK.mappings(conn, {**key, "limit": FEEDBACK_SHOWN})
        live = _LIVE_STATE.mappings(conn, key)
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
        live=live[0] if live else None,
    )


def _contact(customer: Mapping[str, Any], cipher: FieldCipher) -> dict[str, Any]:
    """The contact fields the customer has, decrypted."""
    contact = {}
    for name in CONTACT_FIELDS:
        value = customer[name]
        if name in ENCRYPTED_FIELDS:
            value = cipher.decrypt(value, f"customers.{name}")
        if value:
            contact[name] = value
    return contact

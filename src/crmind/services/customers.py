"""Use case: one customer's 360° view (``crmind customer ID``).

Personal fields and e-mail / phone identities are stored encrypted; the view decrypts them with
the engine's cipher (:mod:`crmind.privacy.binding`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine

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
from crmind.store.prepared import Prepared, run_together

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
    with _reading(engine) as conn:
        # two round trips on PostgreSQL: what needs no run id, then what does
        found, run_rows, identity_rows, order_rows, feedback_rows, live = run_together(
            conn,
            [
                (_CUSTOMER, key),
                (_LATEST_RUNS, {}),
                (_IDENTITIES, key),
                (_ORDERS, key),
                (_FEEDBACK, {**key, "limit": FEEDBACK_SHOWN}),
                (_LIVE_STATE, key),
            ],
        )
        if not found:
            raise NotFoundError(f"no customer with id {customer_id}")
        runs = {str(kind): int(run_id) for kind, run_id in run_rows}
        analysis_run = runs.get("analysis")
        score_runs = {
            f"score_run_{index}": runs.get(kind, 0) for index, kind in enumerate(q.SCORE_RUN_SLOTS)
        }
        # a kind with no completed run is asked for run 0, which no run has
        profiles, segment_rows, score_rows, recommendation_rows = run_together(
            conn,
            [
                (_PROFILE, {**key, "run_id": analysis_run or 0}),
                (_SEGMENTS, {**key, "run_id": analysis_run or 0}),
                (_SCORES, {**key, **score_runs}),
                (_RECOMMENDATIONS, {**key, "run_id": runs.get(RECOMMENDATION_RUN, 0)}),
            ],
        )
    customer = dict(zip(_CUSTOMER.keys, found[0], strict=True))
    identities = [
        (
            kind,
            source,
            value
            if encrypted is None
            else cipher.decrypt(encrypted, f"customer_identities.{kind}") or "",
        )
        for kind, source, value, encrypted in identity_rows
    ]
    scores = {
        str(kind): {"value": value, "low": low, "high": high, "label": label, "explanation": why}
        # oldest run first, so a newer run's score of the same kind wins
        for kind, value, low, high, label, why in score_rows
    }
    recommendations = [
        {
            "rank": rank,
            "product_id": product_id,
            "product": name or description,
            "score": score,
            "reason": reason,
        }
        for rank, product_id, name, description, score, reason in recommendation_rows
    ]
    profile = dict(zip(_PROFILE.keys, profiles[0], strict=True)) if profiles else None
    segments = {str(kind): str(name) for kind, name in segment_rows}
    feedback = [dict(zip(_FEEDBACK.keys, row, strict=True)) for row in feedback_rows]
    live_state = dict(zip(_LIVE_STATE.keys, live[0], strict=True)) if live else None
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
        live=live_state,
    )


@contextmanager
def _reading(engine: Engine) -> Iterator[Connection]:
    """A connection for the view's reads. On PostgreSQL in autocommit: no BEGIN and ROLLBACK
    round trips around them (each statement of a READ COMMITTED transaction sees the newest
    data anyway)."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        yield conn


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

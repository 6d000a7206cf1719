"""Which stored orders are sales: every order but the cancelled ones.

``orders.status`` is free text from the shop's export, or ``cancelled`` when the assistant
cancelled the order (:mod:`crmind.assistant.actions`). A cancelled order was never paid for or
was voided, so profiles, RFM, lifetime value, propensities, recommendations, the dashboard's
revenue, campaign triggers and measured uplift leave it out; it stays in the store and in the
customer's order history. A return is another matter: it is an order of its own with negative
amounts (``is_return``), which nets against the sales.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func, not_, or_
from sqlalchemy.orm import InstrumentedAttribute

CANCELLED_STATUSES = ("cancelled", "canceled", "void", "voided", "已取消")
"""Statuses (lower case, trimmed) that mark an order as cancelled."""


def is_sale(status: ColumnElement[Any] | InstrumentedAttribute[Any]) -> ColumnElement[bool]:
    """SQL condition: the order whose ``status`` column this is was not cancelled."""
    return or_(status.is_(None), not_(func.lower(func.trim(status)).in_(CANCELLED_STATUSES)))


def is_sale_sql(status: str) -> str:
    """The same condition as SQL text, for the raw queries of :mod:`crmind.store.frames`."""
    words = ", ".join(f"'{word}'" for word in CANCELLED_STATUSES)
    return f"({status} IS NULL OR lower(trim({status})) NOT IN ({words}))"

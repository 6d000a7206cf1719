"""The live state of a customer: what real-time events changed since the last analysis run.

``POST /events`` updates one row per affected customer in the same transaction that stores the
events (:mod:`crmind.services.events`), so the customer's view shows a purchase made a second ago
without a full re-analysis. The row holds two kinds of fields:

- **the purchase rhythm**, over every purchase the store holds (the orders table): first and last
  purchase, how many distinct days, the gap before the last purchase day. It is exact: it is
  read again from the orders whenever the customer buys or a new analysis run has finished.
- **counters since the analysis run** ``analysis_run_id``: events by type, purchases and revenue
  the run has not seen. They start again from zero on the first event after a newer run.

``lifecycle_stage`` is the stage the batch rules (:mod:`crmind.analytics.lifecycle`) give as of
``stage_as_of``: the customer's newest event, or the run's cut-off if that is later.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Double, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from crmind.store.base import Base, JsonType, now


class CustomerLiveState(Base):
    """One customer's state as real-time events left it (see the module docstring)."""

    __tablename__ = "customer_live_state"

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    analysis_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("model_runs.id", ondelete="SET NULL")
    )
    last_event_at: Mapped[datetime | None] = mapped_column(DateTime)
    first_purchase_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_purchase_at: Mapped[datetime | None] = mapped_column(DateTime)
    purchase_days: Mapped[int] = mapped_column(Integer, default=0)
    last_gap_days: Mapped[float | None] = mapped_column(Double)
    event_counts: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    purchases: Mapped[int] = mapped_column(Integer, default=0)
    revenue: Mapped[float] = mapped_column(Double, default=0.0)
    lifecycle_stage: Mapped[str | None] = mapped_column(String(20))
    stage_as_of: Mapped[datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime, server_default=now())

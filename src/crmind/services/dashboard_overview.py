"""Use case: the dashboard's overview, one read of aggregates (no personal data).

Customers, revenue, lifecycle counts, revenue by month, segment sizes and value shares, the
distributions of lifetime value and churn risk, the sentiment trend and the newest runs. The
answer depends only on the store's data, so a caller may keep it while :func:`data_version`
is unchanged (the dashboard does: the monthly revenue sum reads every order line).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from crmind.services.customer_queries import PREDICTION_RUNS
from crmind.services.model_runs import json_safe
from crmind.store.order_status import is_sale
from crmind.store.schema import (
    Customer,
    CustomerScore,
    Feedback,
    FeedbackAnalysis,
    ModelRun,
    Order,
    OrderLine,
    Segment,
)

HISTOGRAM_BINS = 12


@dataclass(frozen=True)
class Histogram:
    """Counts of values between consecutive edges (``len(edges) == len(counts) + 1``)."""

    edges: list[float]
    counts: list[int]


@dataclass(frozen=True)
class Overview:
    customers: int
    orders: int
    revenue: float  # net of returns, in the store's currency
    currency: str | None
    revenue_by_month: list[tuple[str, float]]  # ("2011-03", amount)
    lifecycle: dict[str, int]  # stage key -> customers (newest analysis)
    segments: dict[str, list[dict[str, Any]]]  # kind -> [{key, name, size, value_share}]
    clv: Histogram | None  # of the newest analysis's lifetime values (log-spaced bins)
    churn: Histogram | None  # of the newest churn model's probabilities
    churn_bands: dict[str, int]  # label -> customers
    sentiment_by_month: list[tuple[str, dict[str, int]]]  # ("2011-03", {label: count})
    last_runs: list[dict[str, Any]] = field(default_factory=list)  # newest run of each kind


def _month(conn: Connection, column: Any) -> Any:
    if conn.dialect.name == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.strftime("%Y-%m", column)


def _latest_runs(conn: Connection) -> dict[str, Any]:
    newest = (
        select(func.max(ModelRun.id))
        .where(ModelRun.status == "completed")
        .group_by(ModelRun.kind)
        .scalar_subquery()
    )
    rows = conn.execute(select(ModelRun).where(ModelRun.id.in_(newest))).all()
    return {row.kind: row for row in rows}


def data_version(engine: Engine) -> tuple[Any, ...]:
    """Changes whenever the overview could: newest order line, customer, feedback analysis and
    run. Four index look-ups."""
    with engine.connect() as conn:
        return tuple(
            conn.execute(select(func.max(column))).scalar()
            for column in (OrderLine.id, Customer.id, FeedbackAnalysis.id, ModelRun.id)
        )


def histogram(values: list[float], bins: int = HISTOGRAM_BINS, log: bool = False) -> Histogram:
    """Equal-width bins over the values' range (of log10(value) when ``log``; values <= 0 are
    left out then)."""
    kept = [v for v in values if math.isfinite(v) and (v > 0 or not log)]
    if not kept:
        return Histogram([], [])
    points = [math.log10(v) for v in kept] if log else kept
    low, high = min(points), max(points)
    width = (high - low) / bins or 1.0
    counts = [0] * bins
    for point in points:
        counts[min(bins - 1, int((point - low) / width))] += 1
    edges = [low + i * width for i in range(bins + 1)]
    return Histogram([10**e if log else e for e in edges], counts)


def _scores(conn: Connection, run_id: int, kind: str) -> list[float]:
    found = conn.execute(
        select(CustomerScore.value).where(
            CustomerScore.model_run_id == run_id,
            CustomerScore.kind == kind,
            CustomerScore.value.is_not(None),
        )
    ).scalars()
    return [float(v) for v in found if v is not None]


def overview(engine: Engine) -> Overview:
    """The overview of the store; every part is empty (not an error) before data or runs."""
    with engine.connect() as conn:
        runs = _latest_runs(conn)
        analysis = runs.get("analysis")
        customers = conn.execute(
            select(func.count()).select_from(Customer).where(Customer.merged_into.is_(None))
        ).scalar_one()
        orders = conn.execute(
            select(func.count())
            .select_from(Order)
            .where(Order.is_return.is_(False), is_sale(Order.status))
        ).scalar_one()
        # per order first, then per month: the month of 25,000 orders, not of 500,000 lines
        per_order = (
            select(OrderLine.order_id, func.sum(OrderLine.amount).label("amount"))
            .group_by(OrderLine.order_id)
            .subquery()
        )
        month = _month(conn, Order.occurred_at)
        by_month = conn.execute(
            select(month, func.sum(per_order.c.amount))
            .join(Order, Order.id == per_order.c.order_id)
            .where(is_sale(Order.status))
            .group_by(month)
            .order_by(month)
        ).all()
        currency = conn.execute(select(Order.currency).limit(1)).scalar()
        segments: dict[str, list[dict[str, Any]]] = {}
        if analysis is not None:
            for row in conn.execute(
                select(Segment.kind, Segment.key, Segment.name, Segment.size, Segment.value_share)
                .where(Segment.model_run_id == analysis.id)
                .order_by(Segment.kind, Segment.size.desc())
            ):
                share = row.value_share
                segments.setdefault(row.kind, []).append(
                    {
                        "key": row.key,
                        "name": row.name,
                        "size": int(row.size),
                        "value_share": share
                        if share is not None and math.isfinite(share)
                        else None,
                    }
                )
        churn_run = runs.get("churn_model")
        churn_bands: dict[str, int] = {}
        if churn_run is not None:
            churn_bands = {
                str(label): int(n)
                for label, n in conn.execute(
                    select(CustomerScore.label, func.count())
                    .where(
                        CustomerScore.model_run_id == churn_run.id, CustomerScore.kind == "churn"
                    )
                    .group_by(CustomerScore.label)
                )
                if label is not None
            }
        sentiment = _sentiment(conn, runs.get("feedback_text"))
        return Overview(
            customers=int(customers),
            orders=int(orders),
            revenue=float(sum(amount or 0.0 for _, amount in by_month)),
            currency=currency,
            revenue_by_month=[(str(m), float(a or 0.0)) for m, a in by_month if m is not None],
            lifecycle={s["key"]: s["size"] for s in segments.get("lifecycle", [])},
            segments=segments,
            clv=histogram(_scores(conn, analysis.id, "clv"), log=True) if analysis else None,
            churn=histogram(_scores(conn, churn_run.id, "churn")) if churn_run else None,
            churn_bands=churn_bands,
            sentiment_by_month=sentiment,
            last_runs=[_run_line(runs[k]) for k in _RUN_ORDER if k in runs],
        )


_RUN_ORDER = ("analysis", *PREDICTION_RUNS, "recommendations", "feedback_text")


def _run_line(run: Any) -> dict[str, Any]:
    return {
        "id": run.id,
        "kind": run.kind,
        "finished_at": run.finished_at,
        "data_start": run.data_start,
        "data_end": run.data_end,
        "metrics": json_safe(run.metrics or {}),
    }


def _sentiment(conn: Connection, run: Any) -> list[tuple[str, dict[str, int]]]:
    if run is None:
        return []
    month = _month(conn, Feedback.occurred_at)
    rows = conn.execute(
        select(month, FeedbackAnalysis.label, func.count())
        .join(Feedback, Feedback.id == FeedbackAnalysis.feedback_id)
        .where(FeedbackAnalysis.model_run_id == run.id, Feedback.occurred_at.is_not(None))
        .group_by(month, FeedbackAnalysis.label)
        .order_by(month)
    ).all()
    trend: dict[str, dict[str, int]] = {}
    for m, label, n in rows:
        trend.setdefault(str(m), {})[str(label)] = int(n)
    return sorted(trend.items())


def lifecycle_counts(view: Overview) -> dict[str, int]:
    """Active (active, new, reactivated), at risk (at risk, lapsed) and churned customers."""
    stages = view.lifecycle
    active = sum(stages.get(k, 0) for k in ("active", "new", "reactivated"))
    at_risk = sum(stages.get(k, 0) for k in ("at_risk", "lapsed"))
    return {"active": active, "at_risk": at_risk, "churned": stages.get("churned", 0)}

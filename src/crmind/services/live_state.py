"""The live state of customers (``customer_live_state``): updated by each batch of events, read
by the customer's 360° view.

:func:`update_live_state` runs inside the transaction that stores the events. For the customers
the new events name, set-based (one read of their rows, one of their orders, one upsert; on
PostgreSQL after taking the customers' live-state locks, :mod:`crmind.store.locks`):

- the counters since the newest completed analysis run (events by type, purchase events and
  their revenue) grow by the batch; a row written before that run starts again from zero;
- the purchase rhythm is read again from the orders (:func:`crmind.analytics.live.purchase_rhythm`)
  for customers who bought in the batch, customers without a row and rows of an older run;
  the others keep theirs, as only a purchase or an import changes it;
- the lifecycle stage is recomputed by the batch rules (:func:`crmind.analytics.live.live_stages`)
  as of the customer's newest event, or the run's cut-off if later, with the run's population
  gap (the median of its profiles' mean gaps; the thresholds' fallback before any run).
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from typing import Any, Final

import polars as pl
from sqlalchemy import Connection, Engine, and_, select

from crmind import columns as c
from crmind.analytics.lifecycle import LIFECYCLE_STAGE, LifecycleThresholds
from crmind.analytics.live import (
    FIRST_PURCHASE_AT,
    LAST_PURCHASE_AT,
    PURCHASE_DAYS,
    RHYTHM_COLUMNS,
    STAGE_AS_OF,
    live_stages,
    purchase_rhythm,
)
from crmind.analytics.profile import LAST_GAP_DAYS
from crmind.services.consents import profiling_excluded, without_excluded
from crmind.store.bulk import select_by_keys, upsert
from crmind.store.locks import lock_live_states
from crmind.store.order_status import is_sale
from crmind.store.schema import CustomerLiveState, CustomerProfile, ModelRun, Order, table_of

PURCHASE: Final = "purchase"
_compact_json = json.JSONEncoder(separators=(",", ":")).encode
LIVE_FIELDS: Final = (
    "analysis_run_id",
    "last_event_at",
    "first_purchase_at",
    "last_purchase_at",
    "purchase_days",
    "event_counts",
    "purchases",
    "revenue",
    "lifecycle_stage",
    "stage_as_of",
    "updated_at",
)
"""What the customer view shows of the live state."""

_RHYTHM_SCHEMA: Final[dict[str, pl.DataType]] = {
    c.CUSTOMER_ID: pl.Int64(),
    FIRST_PURCHASE_AT: pl.Datetime("us"),
    LAST_PURCHASE_AT: pl.Datetime("us"),
    PURCHASE_DAYS: pl.Int64(),
    LAST_GAP_DAYS: pl.Float64(),
}


def update_live_state(
    conn: Connection, events: pl.DataFrame, thresholds: LifecycleThresholds
) -> int:
    """Fold newly stored ``events`` (customer_id, event_type, occurred_at, amount) into their
    customers' live state; returns how many customers' rows were written. Customers who
    withdrew profiling consent (or were erased) get no live state: it is profiling."""
    mine = events.filter(pl.col(c.CUSTOMER_ID).is_not_null())
    if mine.height:
        excluded = profiling_excluded(conn, set(mine[c.CUSTOMER_ID].to_list()))
        mine = without_excluded(mine, excluded)
    if mine.height == 0:
        return 0
    run_id, run_end = _latest_run(conn)
    is_purchase = pl.col(c.EVENT_TYPE) == PURCHASE
    batch = mine.group_by(c.CUSTOMER_ID).agg(
        pl.col(c.OCCURRED_AT).max().alias("batch_last_event_at"),
        is_purchase.sum().cast(pl.Int64).alias("batch_purchases"),
        pl.col(c.AMOUNT).filter(is_purchase).sum().fill_null(0.0).alias("batch_revenue"),
        pl.col(c.EVENT_TYPE).alias("batch_types"),
    )
    ids = batch[c.CUSTOMER_ID].to_list()
    lock_live_states(conn, ids)  # PostgreSQL: batches writing side by side take turns per customer
    stored = _stored_rows(conn, ids)
    same_run = (
        pl.col("analysis_run_id").is_null()
        if run_id is None
        else (pl.col("analysis_run_id") == run_id).fill_null(False)
    )
    joined = batch.join(stored, on=c.CUSTOMER_ID, how="left").with_columns(
        (pl.col("stored") & same_run).fill_null(False).alias("current")
    )
    reread = joined.filter((pl.col("batch_purchases") > 0) | ~pl.col("current"))
    kept = joined.join(reread.select(c.CUSTOMER_ID), on=c.CUSTOMER_ID, how="anti")
    rhythm = pl.concat(
        [
            _rhythm_from_orders(conn, reread[c.CUSTOMER_ID].to_list()),
            kept.select(list(_RHYTHM_SCHEMA)),
        ]
    )
    current = pl.col("current")
    rows = joined.select(
        c.CUSTOMER_ID,
        pl.lit(run_id, pl.Int64).alias("analysis_run_id"),
        pl.max_horizontal("batch_last_event_at", "last_event_at").alias("last_event_at"),
        (pl.col("batch_purchases") + pl.when(current).then("purchases").otherwise(0)).alias(
            "purchases"
        ),
        (pl.col("batch_revenue") + pl.when(current).then("revenue").otherwise(0.0)).alias(
            "revenue"
        ),
        pl.Series(
            "event_counts",
            [
                _counts(types, counts if now else None)
                for types, counts, now in joined.select(
                    "batch_types", "event_counts", "current"
                ).rows()
            ],
            dtype=pl.String,
        ),
    ).join(rhythm, on=c.CUSTOMER_ID, how="left")
    staged = _stage(conn, rows, run_end, population_gap(conn, run_id), thresholds)
    now = datetime.now(UTC).replace(tzinfo=None)
    upsert(
        conn,
        table_of(CustomerLiveState),
        staged.with_columns(
            pl.col(PURCHASE_DAYS).fill_null(0), pl.lit(now, pl.Datetime("us")).alias("updated_at")
        ).sort(c.CUSTOMER_ID),
        (c.CUSTOMER_ID,),
    )
    return staged.height


def _counts(types: list[str], stored: str | dict[str, int] | None) -> str:
    """The stored counts by event type (JSON; a dict from PostgreSQL) plus the batch's."""
    counts: dict[str, int] = (
        {} if stored is None else json.loads(stored) if isinstance(stored, str) else dict(stored)
    )
    for kind in types:
        counts[kind] = counts.get(kind, 0) + 1
    return _compact_json(counts)


def _stage(
    conn: Connection,
    rows: pl.DataFrame,
    run_end: datetime | None,
    gap: float | None,
    thresholds: LifecycleThresholds,
) -> pl.DataFrame:
    """``rows`` with the lifecycle stage and its as-of time of every customer who ever bought
    (null for the others): as of the newest event, last purchase or run cut-off."""
    as_of = pl.max_horizontal("last_event_at", LAST_PURCHASE_AT, pl.lit(run_end, pl.Datetime("us")))
    with_as_of = rows.with_columns(
        pl.when(pl.col(PURCHASE_DAYS) > 0).then(as_of).alias(STAGE_AS_OF)
    )
    bought = with_as_of.filter(pl.col(PURCHASE_DAYS) > 0)
    stages = live_stages(bought, population_gap=gap, thresholds=thresholds).select(
        c.CUSTOMER_ID, LIFECYCLE_STAGE
    )
    return with_as_of.join(stages, on=c.CUSTOMER_ID, how="left")


def _latest_run(conn: Connection) -> tuple[int | None, datetime | None]:
    """The newest completed analysis run: its id and cut-off."""
    row = conn.execute(
        select(ModelRun.id, ModelRun.data_end)
        .where(ModelRun.kind == "analysis", ModelRun.status == "completed")
        .order_by(ModelRun.id.desc())
        .limit(1)
    ).first()
    return (None, None) if row is None else (int(row[0]), row[1])


_GAPS: dict[tuple[str, int], float | None] = {}
_GAPS_LOCK = threading.Lock()


def population_gap(conn: Connection, run_id: int | None) -> float | None:
    """The analysis run's population gap (the median of its customers' mean gaps); None without
    a run or repeat buyers. Remembered per store and run: a run's profiles never change."""
    if run_id is None:
        return None
    key = (conn.engine.url.render_as_string(hide_password=False), run_id)
    with _GAPS_LOCK:
        if key in _GAPS:
            return _GAPS[key]
    gaps = conn.execute(
        select(CustomerProfile.interpurchase_mean_days).where(
            CustomerProfile.model_run_id == run_id,
            CustomerProfile.interpurchase_mean_days.is_not(None),
        )
    ).scalars()
    median = pl.Series("gap", list(gaps), dtype=pl.Float64).median()
    gap = None if median is None else float(median)  # type: ignore[arg-type]
    with _GAPS_LOCK:
        if len(_GAPS) > 1000:
            _GAPS.clear()
        _GAPS[key] = gap
    return gap


def _stored_rows(conn: Connection, ids: list[int]) -> pl.DataFrame:
    """The stored rows of ``ids`` (``stored`` true)."""
    table = table_of(CustomerLiveState)
    names = (
        "customer_id",
        "analysis_run_id",
        "last_event_at",
        *RHYTHM_COLUMNS[1:],
        "purchases",
        "revenue",
        "event_counts",
    )
    rows = select_by_keys(conn, table, "customer_id", ids, names)
    schema: dict[str, pl.DataType] = {
        "customer_id": pl.Int64(),
        "analysis_run_id": pl.Int64(),
        "last_event_at": pl.Datetime("us"),
        **{k: v for k, v in _RHYTHM_SCHEMA.items() if k != c.CUSTOMER_ID},
        "purchases": pl.Int64(),
        "revenue": pl.Float64(),
        "event_counts": pl.Object(),
    }
    return pl.DataFrame(rows, schema=schema, orient="row").with_columns(
        pl.lit(True).alias("stored")
    )


def _rhythm_from_orders(conn: Connection, ids: list[int]) -> pl.DataFrame:
    if not ids:
        return pl.DataFrame(schema=_RHYTHM_SCHEMA)
    orders = table_of(Order)
    rows = select_by_keys(
        conn,
        orders,
        "customer_id",
        ids,
        ("customer_id", "occurred_at"),
        where=and_(orders.c.is_return.is_(False), is_sale(orders.c.status)),
    )
    purchases = pl.DataFrame(
        rows,
        schema={c.CUSTOMER_ID: pl.Int64, c.OCCURRED_AT: pl.Datetime("us")},
        orient="row",
    )
    return purchase_rhythm(purchases).cast(_RHYTHM_SCHEMA)  # type: ignore[arg-type]


def live_state(engine: Engine, customer_id: int) -> dict[str, Any] | None:
    """What the customer's 360° view shows of their live state; None before their first event."""
    table = table_of(CustomerLiveState)
    with engine.connect() as conn:
        row = conn.execute(select(table).where(table.c.customer_id == customer_id)).mappings()
        found = row.first()
    return None if found is None else {name: found[name] for name in LIVE_FIELDS}

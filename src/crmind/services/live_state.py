"""The live state of customers (``customer_live_state``): updated by each batch of events, read
by the customer's 360° view.

:func:`update_live_state` runs inside the transaction that stores the events. For the customers
the new events name, set-based (one read of their rows, one of their orders, one upsert):

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

import threading
from datetime import UTC, datetime
from typing import Any, Final

import polars as pl
from sqlalchemy import Connection, Engine, select
from sqlalchemy.dialects import postgresql, sqlite

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
from crmind.store.schema import CustomerLiveState, CustomerProfile, ModelRun, Order, table_of

PURCHASE: Final = "purchase"
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
    customers' live state; returns how many customers' rows were written."""
    mine = events.filter(pl.col(c.CUSTOMER_ID).is_not_null())
    if mine.height == 0:
        return 0
    run_id, run_end = _latest_run(conn)
    is_purchase = pl.col(c.EVENT_TYPE) == PURCHASE
    batch = mine.group_by(c.CUSTOMER_ID).agg(
        pl.col(c.OCCURRED_AT).max().alias("last_event_at"),
        is_purchase.sum().cast(pl.Int64).alias("purchases"),
        pl.col(c.AMOUNT).filter(is_purchase).sum().alias("revenue"),
    )
    counts: dict[int, dict[str, int]] = {}
    for customer, kind, n in mine.group_by(c.CUSTOMER_ID, c.EVENT_TYPE).len().rows():
        counts.setdefault(int(customer), {})[str(kind)] = int(n)
    ids = [int(i) for i in batch[c.CUSTOMER_ID].to_list()]
    stored = _stored_rows(conn, ids)
    bought = set(batch.filter(pl.col("purchases") > 0)[c.CUSTOMER_ID].to_list())
    current = {i for i, row in stored.items() if row["analysis_run_id"] == run_id}
    reread = [i for i in ids if i in bought or i not in current]
    rhythm = pl.concat(
        [
            _rhythm_from_orders(conn, reread),
            pl.DataFrame(
                [
                    {name: stored[i][name] for name in RHYTHM_COLUMNS}
                    for i in ids
                    if i not in reread
                ],
                schema=_RHYTHM_SCHEMA,
            ),
        ]
    )
    now = datetime.now(UTC).replace(tzinfo=None)
    records: dict[int, dict[str, Any]] = {}
    for customer, last_event, purchases, revenue in batch.rows():
        row = stored.get(customer) if customer in current else None
        earlier = stored[customer]["last_event_at"] if customer in stored else None
        merged = dict(row["event_counts"] or {}) if row else {}
        for kind, n in counts.get(customer, {}).items():
            merged[kind] = merged.get(kind, 0) + n
        records[customer] = {
            "customer_id": customer,
            "analysis_run_id": run_id,
            "last_event_at": max(d for d in (last_event, earlier) if d is not None),
            "first_purchase_at": None,
            "last_purchase_at": None,
            "purchase_days": 0,
            "last_gap_days": None,
            "event_counts": merged,
            "purchases": (row["purchases"] if row else 0) + purchases,
            "revenue": (row["revenue"] if row else 0.0) + float(revenue or 0.0),
            "lifecycle_stage": None,
            "stage_as_of": None,
            "updated_at": now,
        }
    _stage(conn, records, rhythm, run_id, run_end, thresholds)
    _upsert(conn, list(records.values()))
    return len(records)


def _stage(
    conn: Connection,
    records: dict[int, dict[str, Any]],
    rhythm: pl.DataFrame,
    run_id: int | None,
    run_end: datetime | None,
    thresholds: LifecycleThresholds,
) -> None:
    """Set the rhythm and the lifecycle stage of every record whose customer ever bought."""
    bought = rhythm.filter(pl.col(PURCHASE_DAYS) > 0)
    if bought.height == 0:
        return
    as_of = [
        max(d for d in (records[i]["last_event_at"], last, run_end) if d is not None)
        for i, last in bought.select(c.CUSTOMER_ID, LAST_PURCHASE_AT).rows()
    ]
    staged = bought.with_columns(pl.Series(STAGE_AS_OF, as_of, dtype=pl.Datetime("us")))
    stages = live_stages(
        staged, population_gap=population_gap(conn, run_id), thresholds=thresholds
    ).select(c.CUSTOMER_ID, LIFECYCLE_STAGE)
    for row in staged.join(stages, on=c.CUSTOMER_ID).iter_rows(named=True):
        record = records[row[c.CUSTOMER_ID]]
        for name in (*RHYTHM_COLUMNS[1:], STAGE_AS_OF, LIFECYCLE_STAGE):
            record[name] = row[name]


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


def _stored_rows(conn: Connection, ids: list[int]) -> dict[int, dict[str, Any]]:
    table = table_of(CustomerLiveState)
    rows = conn.execute(select(table).where(table.c.customer_id.in_(ids))).mappings()
    return {int(row["customer_id"]): dict(row) for row in rows}


def _rhythm_from_orders(conn: Connection, ids: list[int]) -> pl.DataFrame:
    if not ids:
        return pl.DataFrame(schema=_RHYTHM_SCHEMA)
    rows = conn.execute(
        select(Order.customer_id, Order.occurred_at).where(
            Order.customer_id.in_(ids), Order.is_return.is_(False)
        )
    ).all()
    purchases = pl.DataFrame(
        rows,
        schema={c.CUSTOMER_ID: pl.Int64, c.OCCURRED_AT: pl.Datetime("us")},
        orient="row",
    )
    return purchase_rhythm(purchases).cast(_RHYTHM_SCHEMA)  # type: ignore[arg-type]


def _upsert(conn: Connection, records: list[dict[str, Any]]) -> None:
    table = table_of(CustomerLiveState)
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.customer_id],
        set_={
            col.name: statement.excluded[col.name]
            for col in table.columns
            if col.name != "customer_id"
        },
    )
    conn.execute(statement, sorted(records, key=lambda r: r["customer_id"]))


def live_state(engine: Engine, customer_id: int) -> dict[str, Any] | None:
    """What the customer's 360° view shows of their live state; None before their first event."""
    table = table_of(CustomerLiveState)
    with engine.connect() as conn:
        row = conn.execute(select(table).where(table.c.customer_id == customer_id)).mappings()
        found = row.first()
    return None if found is None else {name: found[name] for name in LIVE_FIELDS}

"""Write the results of an analysis run (profiles, segments, scores) and read the latest back.

The writers leave out the customers of whom no profiling data may be stored (withdrawn profiling
consent, erased): :func:`crmind.services.consents.profiling_excluded`, read in the writer's own
transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.orm import Session

from crmind.services.consents import profiling_excluded, without_excluded
from crmind.store.bulk import insert_ignore
from crmind.store.schema import (
    CustomerProfile,
    CustomerScore,
    ModelRun,
    Segment,
    SegmentMember,
    table_of,
)

PROFILE_COLUMNS = tuple(
    col.name
    for col in table_of(CustomerProfile).columns
    if col.name not in ("id", "model_run_id", "channel_mix", "event_counts")
)
SCORE_COLUMNS = ("customer_id", "kind", "value", "low", "high", "label", "explanation")


@dataclass(frozen=True)
class SegmentResult:
    """One segment to store: what it is, and its members."""

    kind: str  # rfm | learned | value_tier | lifecycle
    key: str
    name: str
    members: pl.Series  # customer ids
    description: str | None = None
    value_share: float | None = None
    definition: dict[str, Any] = field(default_factory=dict)


def start_model_run(engine: Engine, kind: str, params: dict[str, Any]) -> int:
    """Record a run in status ``running``; returns its id."""
    with engine.begin() as conn:
        result = conn.execute(
            insert(ModelRun).returning(ModelRun.id),
            {"kind": kind, "status": "running", "params": params, "metrics": {}},
        )
        return int(result.scalar_one())


def finish_model_run(
    conn: Connection,
    run_id: int,
    status: str,
    *,
    metrics: dict[str, Any] | None = None,
    data_window: tuple[object, object] = (None, None),
    error: str | None = None,
) -> None:
    """Record how a run ended. ``data_window`` is (first, last) time of the data it saw; a
    value that is not a datetime (e.g. the minimum of an empty column) is stored as unknown."""
    start, end = (moment if isinstance(moment, datetime) else None for moment in data_window)
    values: dict[str, Any] = {
        "status": status,
        "finished_at": datetime.now(UTC).replace(tzinfo=None),
        "error": error,
        "data_start": start,
        "data_end": end,
    }
    if metrics is not None:
        values["metrics"] = metrics
    conn.execute(update(ModelRun).where(ModelRun.id == run_id).values(**values))


def write_profiles(conn: Connection, run_id: int, profiles: pl.DataFrame) -> int:
    """Store one profile row per customer; channel mix and event counts go to JSON columns."""
    profiles = without_excluded(profiles, profiling_excluded(conn))
    present = [col for col in PROFILE_COLUMNS if col in profiles.columns]
    event_cols = [col for col in profiles.columns if col.startswith("events_")]
    frame = profiles.select(
        pl.lit(run_id, pl.Int64).alias("model_run_id"),
        *present,
        _json_column(profiles, "channel_mix"),
        (
            pl.struct(event_cols).struct.json_encode() if event_cols else pl.lit(None, pl.String)
        ).alias("event_counts"),
    )
    return insert_ignore(conn, table_of(CustomerProfile), frame)


def _json_column(frame: pl.DataFrame, name: str) -> pl.Expr:
    if name not in frame.columns:
        return pl.lit(None, pl.String).alias(name)
    dtype = frame.schema[name]
    if isinstance(dtype, pl.Struct):
        return pl.col(name).struct.json_encode().alias(name)
    return pl.col(name).cast(pl.String).alias(name)


def write_segments(conn: Connection, run_id: int, segments: list[SegmentResult]) -> int:
    """Store segments and their members; returns the number of memberships."""
    members = 0
    excluded = pl.Series(sorted(profiling_excluded(conn)), dtype=pl.Int64)
    for segment in segments:
        kept = segment.members.cast(pl.Int64)
        kept = kept.filter(~kept.is_in(excluded.implode())) if excluded.len() else kept
        segment_id = conn.execute(
            insert(Segment).returning(Segment.id),
            {
                "model_run_id": run_id,
                "kind": segment.kind,
                "key": segment.key,
                "name": segment.name,
                "description": segment.description,
                "size": kept.len(),
                "value_share": segment.value_share,
                "definition": segment.definition,
            },
        ).scalar_one()
        rows = pl.DataFrame({"segment_id": segment_id, "customer_id": kept})
        members += insert_ignore(conn, table_of(SegmentMember), rows)
    return members


def write_scores(conn: Connection, run_id: int, scores: pl.DataFrame) -> int:
    """Store scores: ``customer_id, kind, value`` and optionally low, high, label, explanation."""
    scores = without_excluded(scores, profiling_excluded(conn))
    frame = scores.select(
        pl.lit(run_id, pl.Int64).alias("model_run_id"),
        pl.col("customer_id").cast(pl.Int64),
        pl.col("kind").cast(pl.String),
        *(
            (pl.col(col) if col in scores.columns else pl.lit(None)).cast(dtype).alias(col)
            for col, dtype in (
                ("value", pl.Float64),
                ("low", pl.Float64),
                ("high", pl.Float64),
                ("label", pl.String),
                ("explanation", pl.String),
            )
        ),
    )
    return insert_ignore(conn, table_of(CustomerScore), frame)


def latest_run(engine: Engine, kind: str = "analysis") -> ModelRun | None:
    """The newest completed run of ``kind``."""
    with Session(engine) as session:
        return session.scalars(
            select(ModelRun)
            .where(ModelRun.kind == kind, ModelRun.status == "completed")
            .order_by(ModelRun.id.desc())
            .limit(1)
        ).first()


def explanation_json(values: dict[str, Any]) -> str:
    """JSON text for the ``explanation`` column."""
    return json.dumps(values, default=str, sort_keys=True)

"""Use cases: list model runs (analysis, feedback text, recommenders, predictions) and read one,
with its parameters, data window, metrics and status."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from crmind.errors import NotFoundError
from crmind.store.schema import ModelRun
from crmind.store.sorting import sort_clauses

RunSort = Literal["started_at", "-started_at", "id", "-id"]


@dataclass(frozen=True)
class RunQuery:
    kind: str | None = None
    status: str | None = None
    sort: RunSort = "-id"
    limit: int = 50
    offset: int = 0


def json_safe(value: Any) -> Any:
    """``value`` with NaN and infinities turned into None, so it can be sent as JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def _fields(run: ModelRun) -> dict[str, Any]:
    return {
        "id": run.id,
        "kind": run.kind,
        "status": run.status,
        "params": json_safe(run.params or {}),
        "data_start": run.data_start,
        "data_end": run.data_end,
        "metrics": json_safe(run.metrics or {}),
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "error": run.error,
    }


def search_runs(engine: Engine, query: RunQuery) -> tuple[list[dict[str, Any]], int]:
    """Runs matching ``query``, newest first by default, and how many match."""
    conditions: list[Any] = []
    if query.kind is not None:
        conditions.append(ModelRun.kind == query.kind)
    if query.status is not None:
        conditions.append(ModelRun.status == query.status)
    order, tie = sort_clauses(
        query.sort, {"started_at": ModelRun.started_at, "id": ModelRun.id}, ModelRun.id
    )
    with Session(engine) as session:
        count = session.scalar(select(func.count()).select_from(ModelRun).where(*conditions))
        rows = session.scalars(
            select(ModelRun)
            .where(*conditions)
            .order_by(order, tie)
            .limit(query.limit)
            .offset(query.offset)
        )
        return [_fields(r) for r in rows], int(count or 0)


def get_run(engine: Engine, run_id: int, kind: str | None = None) -> dict[str, Any]:
    """One run (of ``kind`` when given); NotFoundError if there is none."""
    with Session(engine) as session:
        run = session.get(ModelRun, run_id)
        if run is None or (kind is not None and run.kind != kind):
            what = f"{kind} run" if kind else "model run"
            raise NotFoundError(f"no {what} with id {run_id}")
        return _fields(run)

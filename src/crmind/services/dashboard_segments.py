"""Use case of the dashboard's segments page: the RFM grid of the newest analysis (customers per
recency score and frequency score, with their mean lifetime value)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, func, select

from crmind.store.schema import CustomerScore, ModelRun


@dataclass(frozen=True)
class RfmGrid:
    analysis_run: int | None
    cells: dict[tuple[int, int], int]  # (recency score, frequency score) -> customers


def rfm_grid(engine: Engine) -> RfmGrid:
    """Counts of customers per (R, F) score pair, read from the ``rfm`` scores (``RFM`` as a
    three-digit number, e.g. 354) of the newest completed analysis run."""
    with engine.connect() as conn:
        run = conn.execute(
            select(func.max(ModelRun.id)).where(
                ModelRun.kind == "analysis", ModelRun.status == "completed"
            )
        ).scalar()
        if run is None:
            return RfmGrid(None, {})
        rows = conn.execute(
            select(CustomerScore.value, func.count())
            .where(CustomerScore.model_run_id == run, CustomerScore.kind == "rfm")
            .group_by(CustomerScore.value)
        ).all()
    cells: dict[tuple[int, int], int] = {}
    for value, count in rows:
        if value is None:
            continue
        code = int(value)
        key = (code // 100, (code // 10) % 10)
        cells[key] = cells.get(key, 0) + int(count)
    return RfmGrid(int(run), cells)

"""Use case: what the store holds (row counts) and what was imported lately."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, select, table
from sqlalchemy.orm import Session

from crmind.store.migrate import current_revision
from crmind.store.schema import TABLES_IN_ORDER, ImportRun


@dataclass(frozen=True)
class RunLine:
    id: int
    kind: str
    source: str
    file_name: str
    status: str
    rows_read: int
    rows_new: int
    rows_rejected: int
    started_at: datetime


@dataclass(frozen=True)
class StoreStatus:
    database: str
    revision: str | None
    counts: dict[str, int]
    recent_imports: list[RunLine]


def store_status(engine: Engine, recent: int = 5) -> StoreStatus:
    """Row counts of every table and the ``recent`` latest import runs."""
    with engine.connect() as conn:
        counts = {
            name: int(conn.execute(select(func.count()).select_from(table(name))).scalar_one())
            for name in TABLES_IN_ORDER
        }
    with Session(engine) as session:
        runs = session.scalars(select(ImportRun).order_by(ImportRun.id.desc()).limit(recent))
        lines = [
            RunLine(
                r.id,
                r.kind,
                r.source,
                r.file_name,
                r.status,
                r.rows_read,
                r.rows_new,
                r.rows_rejected,
                r.started_at,
            )
            for r in runs
        ]
    return StoreStatus(
        database=engine.url.render_as_string(hide_password=True),
        revision=current_revision(engine),
        counts=counts,
        recent_imports=lines,
    )

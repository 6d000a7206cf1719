"""Use cases: list import runs, read one, and page through its rejected rows with reasons (the
raw records are stored encrypted, like customers' personal fields, and read back in plain)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from crmind.errors import NotFoundError
from crmind.privacy.binding import cipher_of
from crmind.store.schema import ImportReject, ImportRun
from crmind.store.sorting import sort_clauses

ImportSort = Literal["id", "-id", "started_at", "-started_at"]

RUN_FIELDS = (
    "id",
    "kind",
    "source",
    "file_format",
    "file_size",
    "status",
    "rows_read",
    "rows_new",
    "rows_existing",
    "rows_rejected",
    "started_at",
    "finished_at",
    "error",
)


@dataclass(frozen=True)
class ImportQuery:
    kind: str | None = None
    status: str | None = None
    source: str | None = None
    sort: ImportSort = "-id"
    limit: int = 50
    offset: int = 0


def _fields(run: ImportRun) -> dict[str, Any]:
    values = {name: getattr(run, name) for name in RUN_FIELDS}
    values["file_name"] = run.file_name.replace("\\", "/").rsplit("/", 1)[-1]
    values["options"] = run.options or {}
    return values


def search_import_runs(engine: Engine, query: ImportQuery) -> tuple[list[dict[str, Any]], int]:
    """Import runs matching ``query`` (newest first by default) and how many match."""
    conditions: list[Any] = []
    if query.kind is not None:
        conditions.append(ImportRun.kind == query.kind)
    if query.status is not None:
        conditions.append(ImportRun.status == query.status)
    if query.source is not None:
        conditions.append(ImportRun.source == query.source)
    order, tie = sort_clauses(
        query.sort, {"id": ImportRun.id, "started_at": ImportRun.started_at}, ImportRun.id
    )
    with Session(engine) as session:
        count = session.scalar(select(func.count()).select_from(ImportRun).where(*conditions))
        rows = session.scalars(
            select(ImportRun)
            .where(*conditions)
            .order_by(order, tie)
            .limit(query.limit)
            .offset(query.offset)
        )
        return [_fields(r) for r in rows], int(count or 0)


def get_import_run(engine: Engine, run_id: int) -> dict[str, Any]:
    """One import run; NotFoundError if unknown."""
    with Session(engine) as session:
        run = session.get(ImportRun, run_id)
        if run is None:
            raise NotFoundError(f"no import run with id {run_id}")
        return _fields(run)


def import_rejects(
    engine: Engine, run_id: int, limit: int = 100, offset: int = 0
) -> tuple[list[dict[str, Any]], int]:
    """A run's rejected rows (row number, field, reason, raw record) by row, and their count."""
    get_import_run(engine, run_id)
    condition = ImportReject.import_run_id == run_id
    with Session(engine) as session:
        count = session.scalar(select(func.count()).select_from(ImportReject).where(condition))
        rows = session.scalars(
            select(ImportReject)
            .where(condition)
            .order_by(ImportReject.row)
            .limit(limit)
            .offset(offset)
        )
        cipher = cipher_of(engine)
        return [
            {
                "row": r.row,
                "field": r.field,
                "reason": r.reason,
                "raw": cipher.reveal(r.raw, "import_rejects.raw"),
            }
            for r in rows
        ], int(count or 0)

"""What the store holds, for assertions: row counts and the reasons of rejected rows."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from crmind.store.schema import Base, ImportReject


def count(engine: Engine, model: type[Base]) -> int:
    """Rows of ``model``'s table."""
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(model)).scalar_one())


def reject_reasons(engine: Engine, run_id: int | None = None) -> dict[int, str]:
    """Row number -> reason of the rejects of ``run_id`` (of every run when None)."""
    query = select(ImportReject.row, ImportReject.reason)
    if run_id is not None:
        query = query.where(ImportReject.import_run_id == run_id)
    with engine.connect() as conn:
        return {int(row): str(reason) for row, reason in conn.execute(query)}

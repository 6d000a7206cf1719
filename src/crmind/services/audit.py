"""Use cases of the audit log: record who did what, and query it."""

from __future__ import annotations

import getpass
import queue
import threading
from collections.abc import Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, insert, select

from crmind.store.db import unit_of_work
from crmind.store.schema import AuditEntry, table_of


@dataclass(frozen=True)
class AuditRecord:
    """One thing to record. ``customer_id`` is set when the record is a person's."""

    actor: str
    action: str
    resource: str
    resource_id: str | None = None
    customer_id: int | None = None
    role: str | None = None
    remote_addr: str | None = None
    status_code: int | None = None
    detail: dict[str, Any] | None = None


def cli_actor() -> str:
    """The actor name of a command run from a shell: ``cli:<login>``."""
    try:
        login = getpass.getuser()
    except (KeyError, OSError):  # no name for the uid (containers)
        login = "unknown"
    return f"cli:{login}"


def record(engine: Engine, *records: AuditRecord) -> None:
    """Append records to the audit log, in one transaction."""
    if not records:
        return
    rows = [
        {
            "actor": r.actor,
            "role": r.role,
            "action": r.action,
            "resource": r.resource,
            "resource_id": r.resource_id,
            "customer_id": r.customer_id,
            "remote_addr": r.remote_addr,
            "status_code": r.status_code,
            "detail": r.detail,
        }
        for r in records
    ]
    with engine.begin() as conn:
        conn.execute(insert(table_of(AuditEntry)), rows)


@dataclass(frozen=True)
class AuditQuery:
    actor: str | None = None
    action: str | None = None
    resource: str | None = None
    customer_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 100
    offset: int = 0


def search(engine: Engine, query: AuditQuery) -> tuple[list[dict[str, Any]], int]:
    """Entries matching ``query``, newest first, and how many match in all."""
    conditions = []
    if query.actor:
        conditions.append(AuditEntry.actor == query.actor)
    if query.action:
        conditions.append(AuditEntry.action == query.action)
    if query.resource:
        conditions.append(AuditEntry.resource == query.resource)
    if query.customer_id is not None:
        conditions.append(AuditEntry.customer_id == query.customer_id)
    if query.since is not None:
        conditions.append(AuditEntry.occurred_at >= query.since)
    if query.until is not None:
        conditions.append(AuditEntry.occurred_at < query.until)
    with unit_of_work(engine) as session:
        count = session.scalar(select(func.count()).select_from(AuditEntry).where(*conditions))
        entries = session.scalars(
            select(AuditEntry)
            .where(*conditions)
            .order_by(AuditEntry.occurred_at.desc(), AuditEntry.id.desc())
            .limit(query.limit)
            .offset(query.offset)
        )
        rows = [
            {
                column: getattr(entry, column)
                for column in AuditEntry.__table__.columns.keys()  # noqa: SIM118
            }
            for entry in entries
        ]
    return rows, int(count or 0)


class AuditWriter:
    """Writes audit records from many threads in group commits.

    Each caller waits on the future ``submit`` returns until its records are committed; records
    submitted while a write is under way are written together in the next transaction, so a
    busy server commits once for many requests instead of once each, and one writer never
    competes with itself for SQLite's write lock.
    """

    def __init__(self, engine: Engine, max_batch: int = 2_000) -> None:
        self._engine = engine
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[tuple[list[AuditRecord], Future[None]] | None] = (
            queue.SimpleQueue()
        )
        self._thread = threading.Thread(target=self._run, name="crmind-audit", daemon=True)
        self._thread.start()

    def submit(self, records: Iterable[AuditRecord]) -> Future[None]:
        """Queue ``records``; the future completes when they are committed (or fails)."""
        future: Future[None] = Future()
        self._queue.put((list(records), future))
        return future

    def close(self) -> None:
        """Write what is queued, then stop the writer thread."""
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            batch = [item]
            stopping = False
            while len(batch) < self._max_batch:
                try:
                    waiting = self._queue.get_nowait()
                except queue.Empty:
                    break
                if waiting is None:
                    stopping = True
                    break
                batch.append(waiting)
            self._write(batch)
            if stopping:
                return

    def _write(self, batch: list[tuple[list[AuditRecord], Future[None]]]) -> None:
        try:
            record(self._engine, *(r for records, _ in batch for r in records))
        except Exception as exc:
            if len(batch) == 1:  # the caller learns that its records are not stored
                batch[0][1].set_exception(exc)
                return
            for item in batch:  # one caller's bad record must not cost the others theirs
                self._write([item])
        else:
            for _, future in batch:
                future.set_result(None)

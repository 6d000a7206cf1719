"""Use cases of the dashboard's data page: import an uploaded file in the background while the
browser watches its progress, and hand out a run's rejected rows as CSV.

An upload is imported exactly as the API's ``POST /imports`` does
(:func:`crmind.services.import_uploads.import_upload`), but in a thread of the serving process
(:func:`start_import_job`), so the page can answer at once and poll. Progress is read from the
store, not guessed: until the import run's row exists the file is being read and checked
(nothing is written before the whole file is valid); then ``rows_committed`` of ``rows_read``
rows are written, batch by batch; then the job holds the run's outcome.

The job itself is a row of the store too (``import_jobs``), so whichever serving process a poll
reaches (``crmind serve --workers N``) reports on it. While the import runs its thread marks the
row every :data:`BEAT_SECONDS`; a job left unmarked for :data:`STALE_SECONDS` stopped with the
process that ran it (a restart) and is reported failed, with what to do: importing the same file
again resumes its run.
"""

from __future__ import annotations

import csv
import io
import logging
import secrets
import threading
from dataclasses import asdict, dataclass
from dataclasses import fields as dataclass_fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlalchemy.orm import Session

from crmind.config import Settings
from crmind.errors import CrmindError
from crmind.ingest.fields import ImportKind
from crmind.services.import_history import import_rejects
from crmind.services.import_uploads import UploadOptions, import_upload
from crmind.services.importing import ImportSummary
from crmind.store.schema import ImportJobRecord, ImportRun

logger = logging.getLogger(__name__)

Phase = Literal["checking", "writing", "done", "failed", "unknown"]
KEEP_FINISHED_JOBS = 200
REJECTS_PAGE = 5_000
BEAT_SECONDS = 5.0
"""A running job's thread marks its row this often..."""
STALE_SECONDS = 60.0
"""...and a job unmarked for this long is no longer running anywhere."""
STOPPED = (
    "the import stopped when the server process running it ended (a restart?); rows already "
    "written are kept: import the same file again to finish it"
)


@dataclass
class ImportJob:
    """One upload being imported in the background."""

    token: str
    kind: ImportKind
    file_name: str  # as the sender named it
    path: Path  # where the upload was saved (the run records it)
    summary: ImportSummary | None = None
    error: str | None = None
    stale: bool = False  # unfinished, and unmarked for STALE_SECONDS: its process is gone


@dataclass(frozen=True)
class Progress:
    """Where an import job stands, as far as the store and the job know."""

    phase: Phase
    kind: str | None = None
    file_name: str | None = None
    run_id: int | None = None
    rows_read: int = 0
    rows_committed: int = 0
    rows_new: int = 0
    rows_existing: int = 0
    rows_rejected: int = 0
    status: str | None = None  # the job's outcome: "completed" | "already imported"
    reasons: tuple[tuple[str, int], ...] = ()
    error: str | None = None
    stopped: bool = False  # failed because the process running it ended (``error``: STOPPED)

    @property
    def fraction(self) -> float | None:
        """Share of rows written (None while the file is read and checked)."""
        if self.phase == "done":
            return 1.0
        if self.phase != "writing" or not self.rows_read:
            return None
        return min(1.0, self.rows_committed / self.rows_read)


def start_import_job(
    engine: Engine,
    settings: Settings,
    kind: ImportKind,
    path: Path,
    options: UploadOptions,
    file_name: str,
) -> ImportJob:
    """Record the job, then import the saved upload at ``path`` in a new thread; returns the
    job at once."""
    job = ImportJob(secrets.token_urlsafe(12), kind, file_name, path)
    now = _utcnow()
    with engine.begin() as conn:
        _forget_old(conn)
        conn.execute(
            insert(ImportJobRecord).values(
                token=job.token,
                kind=str(kind),
                file_name=file_name,
                path=str(path),
                started_at=now,
                beat_at=now,
            )
        )

    def work() -> None:
        running = threading.Event()
        threading.Thread(
            target=_beat, args=(engine, job.token, running), name=f"beat-{job.token}", daemon=True
        ).start()
        try:
            job.summary = import_upload(engine, settings, kind, path, options)
        except CrmindError as exc:
            job.error = str(exc)
        except Exception as exc:  # shown to the user; the run (if any) records it too
            logger.exception("import of %s failed", path)
            job.error = f"{type(exc).__name__}: {exc}"
        finally:
            running.set()
            _record_outcome(engine, job)

    threading.Thread(target=work, name=f"import-{job.token}", daemon=True).start()
    return job


def find_import_job(engine: Engine, token: str) -> ImportJob | None:
    """The job of ``token``, started by any serving process; None when unknown."""
    with Session(engine) as session:
        row = session.get(ImportJobRecord, token)
    if row is None:
        return None
    job = ImportJob(token, ImportKind(row.kind), row.file_name, Path(row.path), error=row.error)
    if row.outcome is not None:
        job.summary = _summary_of(row.outcome)
    elif row.finished_at is None and _utcnow() - row.beat_at > timedelta(seconds=STALE_SECONDS):
        job.stale = True
    return job


def _beat(engine: Engine, token: str, running: threading.Event) -> None:
    while not running.wait(BEAT_SECONDS):
        try:
            with engine.begin() as conn:
                conn.execute(
                    update(ImportJobRecord)
                    .where(ImportJobRecord.token == token)
                    .values(beat_at=_utcnow())
                )
        except Exception:  # a missed beat is retried; a job unmarked for long reads as stopped
            logger.warning("could not mark import job %s as running", token, exc_info=True)


def _record_outcome(engine: Engine, job: ImportJob) -> None:
    try:
        with engine.begin() as conn:
            conn.execute(
                update(ImportJobRecord)
                .where(ImportJobRecord.token == job.token)
                .values(
                    finished_at=_utcnow(),
                    outcome=None if job.summary is None else asdict(job.summary),
                    error=job.error,
                )
            )
    except Exception:
        logger.exception("could not record the outcome of import job %s", job.token)


def _summary_of(outcome: dict[str, Any]) -> ImportSummary:
    fields = {k: outcome[k] for k in _OUTCOME_FIELDS}
    fields["notes"] = tuple(fields["notes"])
    fields["reject_reasons"] = tuple((str(r), int(n)) for r, n in fields["reject_reasons"])
    return ImportSummary(**fields)


_OUTCOME_FIELDS = tuple(f.name for f in dataclass_fields(ImportSummary))


def _forget_old(conn: Connection) -> None:
    """Delete finished jobs beyond the newest :data:`KEEP_FINISHED_JOBS`."""
    kept = (
        select(ImportJobRecord.token)
        .where(ImportJobRecord.finished_at.is_not(None))
        .order_by(ImportJobRecord.started_at.desc())
        .limit(KEEP_FINISHED_JOBS)
    )
    conn.execute(
        delete(ImportJobRecord).where(
            ImportJobRecord.finished_at.is_not(None), ImportJobRecord.token.not_in(kept)
        )
    )


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _run_of(engine: Engine, path: Path) -> ImportRun | None:
    with Session(engine) as session:
        return session.scalars(
            select(ImportRun).where(ImportRun.file_name == str(path)).order_by(ImportRun.id.desc())
        ).first()


def job_progress(engine: Engine, job: ImportJob) -> Progress:
    """How far ``job`` has got (see the module docstring)."""
    base: dict[str, Any] = {"kind": str(job.kind), "file_name": job.file_name}
    if job.summary is not None:
        s = job.summary
        return Progress(
            phase="done",
            run_id=s.run_id,
            rows_read=s.rows_read,
            rows_committed=s.rows_read,
            rows_new=s.rows_new,
            rows_existing=s.rows_existing,
            rows_rejected=s.rows_rejected,
            status=s.status,
            reasons=s.reject_reasons,
            **base,
        )
    run = _run_of(engine, job.path)
    if job.error is not None or job.stale:
        error = job.error or STOPPED
        return Progress(
            phase="failed",
            run_id=run.id if run else None,
            error=error,
            stopped=job.error is None,
            **base,
        )
    if run is None:
        return Progress(phase="checking", **base)
    return Progress(
        phase="writing",
        run_id=run.id,
        rows_read=int(run.rows_read),
        rows_committed=int(run.rows_committed),
        rows_new=int(run.rows_new),
        rows_existing=int(run.rows_existing),
        rows_rejected=int(run.rows_rejected),
        **base,
    )


def rejects_csv(engine: Engine, run_id: int) -> str:
    """A run's rejected rows as CSV (row, field, reason, raw record); NotFoundError for an
    unknown run."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["row", "field", "reason", "raw"])
    offset = 0
    while True:
        rows, count = import_rejects(engine, run_id, REJECTS_PAGE, offset)
        writer.writerows([r["row"], r["field"] or "", r["reason"], r["raw"]] for r in rows)
        offset += len(rows)
        if not rows or offset >= count:
            return out.getvalue()

"""Use cases of the dashboard's data page: import an uploaded file in the background while the
browser watches its progress, and hand out a run's rejected rows as CSV.

An upload is imported exactly as the API's ``POST /imports`` does
(:func:`crmind.services.import_uploads.import_upload`), but in a thread of the serving process
(:class:`ImportJobs`), so the page can answer at once and poll. Progress is read from the store,
not guessed: until the import run's row exists the file is being read and checked (nothing is
written before the whole file is valid); then ``rows_committed`` of ``rows_read`` rows are
written, batch by batch; then the job holds the run's outcome. Jobs live in one process's
memory: after a restart a page asks the store about the run instead (by the upload's path,
which every run records).
"""

from __future__ import annotations

import csv
import io
import logging
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from crmind.config import Settings
from crmind.errors import CrmindError
from crmind.ingest.fields import ImportKind
from crmind.services.import_history import import_rejects
from crmind.services.import_uploads import UploadOptions, import_upload
from crmind.services.importing import ImportSummary
from crmind.store.schema import ImportRun

logger = logging.getLogger(__name__)

Phase = Literal["checking", "writing", "done", "failed", "unknown"]
KEEP_FINISHED_JOBS = 200
REJECTS_PAGE = 5_000


@dataclass
class ImportJob:
    """One upload being imported in the background."""

    token: str
    kind: ImportKind
    file_name: str  # as the sender named it
    path: Path  # where the upload was saved (the run records it)
    started: float = field(default_factory=time.time)
    finished: float | None = None
    summary: ImportSummary | None = None
    error: str | None = None


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

    @property
    def fraction(self) -> float | None:
        """Share of rows written (None while the file is read and checked)."""
        if self.phase == "done":
            return 1.0
        if self.phase != "writing" or not self.rows_read:
            return None
        return min(1.0, self.rows_committed / self.rows_read)


class ImportJobs:
    """The import jobs of one serving process, by token."""

    def __init__(self) -> None:
        self._jobs: dict[str, ImportJob] = {}
        self._lock = threading.Lock()

    def start(
        self,
        engine: Engine,
        settings: Settings,
        kind: ImportKind,
        path: Path,
        options: UploadOptions,
        file_name: str,
    ) -> ImportJob:
        """Import the saved upload at ``path`` in a new thread; returns its job at once."""
        job = ImportJob(secrets.token_urlsafe(12), kind, file_name, path)
        with self._lock:
            self._forget_old()
            self._jobs[job.token] = job

        def work() -> None:
            try:
                job.summary = import_upload(engine, settings, kind, path, options)
            except CrmindError as exc:
                job.error = str(exc)
            except Exception as exc:  # shown to the user; the run (if any) records it too
                logger.exception("import of %s failed", path)
                job.error = f"{type(exc).__name__}: {exc}"
            finally:
                job.finished = time.time()

        threading.Thread(target=work, name=f"import-{job.token}", daemon=True).start()
        return job

    def get(self, token: str) -> ImportJob | None:
        with self._lock:
            return self._jobs.get(token)

    def _forget_old(self) -> None:
        done = [j for j in self._jobs.values() if j.finished is not None]
        for job in sorted(done, key=lambda j: j.started)[: max(0, len(done) - KEEP_FINISHED_JOBS)]:
            del self._jobs[job.token]


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
    if job.error is not None:
        return Progress(phase="failed", run_id=run.id if run else None, error=job.error, **base)
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

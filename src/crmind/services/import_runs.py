"""Records of import runs: find an earlier run, start one, finish it, write its reject report."""

from __future__ import annotations

import csv
import logging
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.orm import Session

import crmind
from crmind.privacy.binding import cipher_of
from crmind.store.schema import ImportReject, ImportRun

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FileFacts:
    """What an import run records about its file."""

    path: Path
    sha256: str
    size: int
    file_format: str
    rows_read: int


def previous_run(
    engine: Engine, kind: str, source: str, sha256: str, digest: str
) -> ImportRun | None:
    with Session(engine) as session:
        return session.scalars(
            select(ImportRun)
            .where(
                ImportRun.kind == str(kind),
                ImportRun.source == source,
                ImportRun.file_sha256 == sha256,
                ImportRun.options_digest == digest,
            )
            .order_by(ImportRun.id.desc())
            .limit(1)
        ).first()


def load_run(engine: Engine, run_id: int) -> ImportRun:
    with Session(engine) as session:
        return session.get_one(ImportRun, run_id)


def start_run(
    engine: Engine,
    kind: str,
    source: str,
    facts: FileFacts,
    run_options: dict[str, object],
    digest: str,
) -> int:
    """Record a new run in status ``running``; returns its id."""
    with engine.begin() as conn:
        result = conn.execute(
            insert(ImportRun).returning(ImportRun.id),
            {
                "kind": kind,
                "source": source,
                "file_name": str(facts.path),
                "file_sha256": facts.sha256,
                "file_size": facts.size,
                "file_format": facts.file_format,
                "options": run_options,
                "options_digest": digest,
                "status": "running",
                "rows_read": facts.rows_read,
                "rows_new": 0,
                "rows_existing": 0,
                "rows_rejected": 0,
                "rows_committed": 0,
            },
        )
        return int(result.scalar_one())


def finish_run(
    engine: Engine, run_id: int, status: str, error: str | None, report: Path | None = None
) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(ImportRun)
            .where(ImportRun.id == run_id)
            .values(
                status=status,
                error=error,
                finished_at=datetime.now(UTC).replace(tzinfo=None),
                report_path=str(report) if report else None,
            )
        )


def write_report(
    engine: Engine, run_id: int, input_path: Path, reports_dir: Path | None
) -> Path | None:
    """Write the run's rejects as CSV next to the input, or in ``reports_dir`` if that is not
    writable; returns the path, or None when nothing was rejected."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(ImportReject.row, ImportReject.field, ImportReject.reason, ImportReject.raw)
            .where(ImportReject.import_run_id == run_id)
            .order_by(ImportReject.row)
        ).all()
    if not rows:
        return None
    cipher = cipher_of(engine)
    plain = [(*row[:3], cipher.reveal(row[3], "import_rejects.raw")) for row in rows]
    target = input_path.with_name(f"{input_path.name}.rejects.csv")
    beside_input = os.access(target.parent, os.W_OK) and not inside_package(input_path)
    if not beside_input and reports_dir is not None:
        reports_dir.mkdir(parents=True, exist_ok=True)
        target = reports_dir / f"run-{run_id}-{input_path.name}.rejects.csv"
    try:
        with target.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["row", "field", "reason", "raw"])
            writer.writerows(plain)
    except OSError as exc:
        logger.warning("could not write the reject report %s: %s", target, exc)
        return None
    return target


def inside_package(path: Path) -> bool:
    """True for files shipped inside crmind (the demo data): their reports go elsewhere."""
    return Path(crmind.__file__).parent.resolve() in path.resolve().parents


def reason_family(reason: str) -> str:
    """A reason with its values blanked, to count alike reasons together.

    "unparseable date in occurred_at: '31/31/2020'" -> "unparseable date in occurred_at: '…'"
    """
    first = reason.split("; ")[0]
    first = re.sub(r"'[^']*'", "'…'", first)
    return re.sub(r"(?<![A-Za-z_])-?\d[\d.,]*", "N", first).strip()

"""Background imports kept in the store: a job's outcome is read back whole by any process, a
running job is marked while it runs and one left unmarked reads as stopped, and only the newest
finished jobs are kept."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, update

from crmind.config import Settings
from crmind.ingest.fields import ImportKind
from crmind.services import dashboard_imports
from crmind.services.dashboard_imports import (
    ImportJob,
    find_import_job,
    job_progress,
    start_import_job,
)
from crmind.services.import_uploads import UploadOptions
from crmind.store.schema import ImportJobRecord


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


PEOPLE = "customer_id,name,email\nbg-1,One,one@example.com\nbg-2,Two,not-an-email\n"


def _finished(engine: Engine, token: str) -> ImportJob:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        job = find_import_job(engine, token)
        assert job is not None
        if job.summary is not None or job.error is not None:
            return job
        time.sleep(0.05)
    raise AssertionError("the import did not finish")


def _beat_at(engine: Engine, token: str) -> datetime:
    with engine.connect() as conn:
        beat: datetime = conn.execute(
            select(ImportJobRecord.beat_at).where(ImportJobRecord.token == token)
        ).scalar_one()
    return beat


def _start(engine: Engine, settings: Settings, folder: Path, name: str, content: str) -> str:
    path = folder / name
    path.write_text(content, encoding="utf-8")
    options = UploadOptions(source="bg-test", preset=None, mapping=[])
    return start_import_job(engine, settings, ImportKind.CUSTOMERS, path, options, name).token


def test_the_outcome_is_read_back_from_the_store_whole(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    token = _start(engine, settings, tmp_path, "people.csv", PEOPLE)
    job = _finished(engine, token)
    assert job.error is None
    assert job.summary is not None
    assert (job.kind, job.file_name) == (ImportKind.CUSTOMERS, "people.csv")
    summary = job.summary
    assert (summary.rows_read, summary.rows_new, summary.rows_rejected) == (2, 1, 1)
    assert summary.reject_reasons == (("invalid e-mail address in email: '…'", 1),)
    progress = job_progress(engine, job)
    assert (progress.phase, progress.run_id, progress.fraction) == ("done", summary.run_id, 1.0)
    with engine.connect() as conn:
        finished = conn.execute(
            select(ImportJobRecord.finished_at).where(ImportJobRecord.token == token)
        ).scalar_one()
    assert finished is not None


def test_a_failed_import_keeps_its_reason(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    token = _start(engine, settings, tmp_path, "bad.csv", "nothing,useful\n1,2\n")
    job = _finished(engine, token)
    assert job.summary is None
    assert job.error
    progress = job_progress(engine, job)
    assert (progress.phase, progress.error, progress.stopped) == ("failed", job.error, False)


def test_a_running_job_is_marked_and_an_unmarked_one_reads_as_stopped(
    engine: Engine,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    release = threading.Event()

    def held_import(*_: object) -> None:
        release.wait(30)
        raise RuntimeError("stopped by the test")

    monkeypatch.setattr(dashboard_imports, "BEAT_SECONDS", 0.05)
    monkeypatch.setattr(dashboard_imports, "import_upload", held_import)
    token = _start(engine, settings, tmp_path, "slow.csv", PEOPLE)
    with engine.connect() as conn:
        started = conn.execute(
            select(ImportJobRecord.started_at).where(ImportJobRecord.token == token)
        ).scalar_one()
    deadline = time.monotonic() + 10
    while _beat_at(engine, token) <= started:  # marked while it runs (both equal at the start)
        assert time.monotonic() < deadline, "the running job was never marked"
        time.sleep(0.02)
    job = find_import_job(engine, token)
    assert job is not None
    assert not job.stale
    assert job_progress(engine, job).phase == "checking"
    release.set()
    assert _finished(engine, token).error == "RuntimeError: stopped by the test"

    # had its process died before it finished, the job would be unmarked for too long
    with engine.begin() as conn:
        conn.execute(
            update(ImportJobRecord)
            .where(ImportJobRecord.token == token)
            .values(finished_at=None, error=None, beat_at=started - timedelta(minutes=2))
        )
    job = find_import_job(engine, token)
    assert job is not None
    assert job.stale
    progress = job_progress(engine, job)
    assert (progress.phase, progress.stopped) == ("failed", True)
    assert progress.error == dashboard_imports.STOPPED


def test_only_the_newest_finished_jobs_are_kept(
    engine: Engine,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(dashboard_imports, "KEEP_FINISHED_JOBS", 2)
    tokens = []
    for i in range(4):
        content = f"customer_id,name\nkeep-{i},Keep {i}\n"
        tokens.append(_start(engine, settings, tmp_path, f"k{i}.csv", content))
        _finished(engine, tokens[-1])
    with engine.connect() as conn:
        kept = set(conn.execute(select(ImportJobRecord.token)).scalars())
        count = conn.execute(select(func.count()).select_from(ImportJobRecord)).scalar_one()
    # the fourth start dropped the first: two finished kept, then the fourth itself
    assert tokens[0] not in kept
    assert set(tokens[1:]) <= kept
    assert count == 3
    assert find_import_job(engine, tokens[0]) is None

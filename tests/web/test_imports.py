"""The data page: an upload is imported in the background and its progress polled, from any
serving process; a bad row is rejected with its row, field and reason, readable on the run's
page and as CSV; only roles with imports:write upload; the download is audited."""

from __future__ import annotations

import csv
import io
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from crmind.api import create_app
from crmind.ingest.fields import ImportKind
from crmind.services.dashboard_imports import ImportJob, job_progress
from crmind.store.db import make_engine
from crmind.store.schema import ImportJobRecord, ImportRun
from crmind.store.schema_access import AuditEntry
from tests.api.sample_store import SampleStore
from tests.web.conftest import sign_in

GOOD_AND_ONE_BAD = (
    "customer_id,name,email\n"
    "web-1,Web One,web1@example.com\n"
    "web-2,Web Two,not-an-email\n"
    "web-3,Web Three,web3@example.com\n"
)


def _upload(web: TestClient, csrf: str, content: str, name: str = "people.csv") -> str:
    """Upload ``content`` as customers; the job token the page was sent to."""
    answer = web.post(
        "/ui/data/upload",
        data={"csrf": csrf, "kind": "customers", "source": "web-test"},
        files={"file": (name, content.encode(), "text/csv")},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text[:300]
    found = re.fullmatch(r"/ui/data\?job=([\w-]+)", answer.headers["location"])
    assert found
    return found.group(1)


def _finished(web: TestClient, job: str) -> str:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        panel = web.get("/ui/data/progress", params={"job": job}, headers={"HX-Request": "true"})
        if 'data-phase="done"' in panel.text or 'data-phase="failed"' in panel.text:
            assert panel.headers.get("HX-Trigger") == "import-finished"
            return panel.text
        assert "hx-trigger=" in panel.text  # still polling itself
        time.sleep(0.1)
    raise AssertionError("the import did not finish")


def test_an_upload_with_one_bad_row_is_imported_and_the_row_rejected_with_its_reason(
    web: TestClient, web_sample: SampleStore
) -> None:
    csrf = sign_in(web, "admin")
    job = _upload(web, csrf, GOOD_AND_ONE_BAD)
    panel = _finished(web, job)
    assert 'data-phase="done"' in panel
    run = re.search(r'data-run-link="(\d+)"', panel).group(1)  # type: ignore[union-attr]
    page = web.get(f"/ui/data/runs/{run}")
    assert page.status_code == 200
    assert 'data-count="1"' in page.text
    assert 'data-reject-row="3"' in page.text  # the header is row 1
    assert "invalid e-mail address" in page.text
    assert f'data-run-id="{run}"' in web.get("/ui/data").text

    def downloads() -> int:
        with web_sample.engine.connect() as conn:
            return int(
                conn.execute(
                    select(func.count()).where(
                        AuditEntry.resource == "import_rejects", AuditEntry.resource_id == run
                    )
                ).scalar_one()
            )

    before = downloads()
    download = web.get(f"/ui/data/runs/{run}/rejects.csv")
    assert download.headers["content-disposition"].startswith("attachment")
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert [(r["row"], r["field"]) for r in rows] == [("3", "email")]
    assert "not-an-email" in rows[0]["raw"]
    assert downloads() == before + 1


def test_the_same_file_again_writes_nothing(web: TestClient) -> None:
    csrf = sign_in(web, "admin")
    content = "customer_id,name\nweb-again-1,Again One\n"
    _finished(web, _upload(web, csrf, content))
    second = _finished(web, _upload(web, csrf, content))
    assert 'data-message="data.already"' in second


def test_a_file_that_cannot_be_mapped_fails_with_its_reason(web: TestClient) -> None:
    csrf = sign_in(web, "admin")
    panel = _finished(web, _upload(web, csrf, "colour,size\nred,9\n", "odd.csv"))
    assert 'data-phase="failed"' in panel
    assert "data-import-error" in panel


def test_an_empty_upload_and_a_bad_kind_are_refused(web: TestClient) -> None:
    csrf = sign_in(web, "admin")
    empty = web.post(
        "/ui/data/upload",
        data={"csrf": csrf, "kind": "customers"},
        files={"file": ("empty.csv", b"", "text/csv")},
    )
    assert empty.status_code == 400
    odd = web.post(
        "/ui/data/upload",
        data={"csrf": csrf, "kind": "spaceships"},
        files={"file": ("x.csv", b"a\n1\n", "text/csv")},
    )
    assert odd.status_code == 400


def test_only_roles_with_imports_write_upload(web: TestClient) -> None:
    csrf = sign_in(web, "marketer")
    answer = web.post(
        "/ui/data/upload",
        data={"csrf": csrf, "kind": "customers"},
        files={"file": ("x.csv", GOOD_AND_ONE_BAD.encode(), "text/csv")},
    )
    assert answer.status_code == 403


def test_progress_reads_the_run_from_the_store_while_it_is_written(
    web_sample: SampleStore, tmp_path: Path
) -> None:
    job = ImportJob("t", ImportKind.CUSTOMERS, "x.csv", tmp_path / "never-imported.csv")
    assert job_progress(web_sample.engine, job).phase == "checking"
    with Session(web_sample.engine) as session:
        run = session.scalars(select(ImportRun).order_by(ImportRun.id).limit(1)).one()
    job.path = Path(run.file_name)
    progress = job_progress(web_sample.engine, job)
    assert progress.phase == "writing"
    assert progress.run_id == run.id
    assert progress.fraction == min(1.0, run.rows_committed / run.rows_read)
    job.error = "boom"
    assert job_progress(web_sample.engine, job).phase == "failed"


def test_an_unknown_job_says_so(web: TestClient) -> None:
    sign_in(web, "admin")
    assert 'data-phase="unknown"' in web.get("/ui/data", params={"job": "nope"}).text


def test_another_serving_process_follows_the_job(web: TestClient, web_sample: SampleStore) -> None:
    """With ``--workers N`` a poll may reach a process other than the one importing: the job is
    in the store, so that process reports it too (here a second app with its own engine)."""
    csrf = sign_in(web, "admin")
    job = _upload(web, csrf, "customer_id,name\nweb-worker-1,Worker One\n", "worker.csv")
    _finished(web, job)
    other_engine = make_engine(str(web_sample.engine.url))
    try:
        with TestClient(create_app(web_sample.settings, other_engine)) as other:
            sign_in(other, "admin")
            page = other.get("/ui/data", params={"job": job}).text
    finally:
        other_engine.dispose()
    assert 'data-phase="done"' in page
    assert 'data-kpi="new"' in page


def test_a_job_whose_process_is_gone_is_reported_stopped(
    web: TestClient, web_sample: SampleStore
) -> None:
    """A job left unfinished and unmarked for over a minute stopped with its process (a
    restart): the page says so, and what to do, instead of polling for ever."""
    long_ago = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=5)
    with web_sample.engine.begin() as conn:
        conn.execute(
            insert(ImportJobRecord).values(
                token="orphan",
                kind="customers",
                file_name="big.csv",
                path="/nowhere/big.csv",
                started_at=long_ago,
                beat_at=long_ago,
            )
        )
    sign_in(web, "admin")
    panel = web.get("/ui/data/progress", params={"job": "orphan"}, headers={"HX-Request": "true"})
    assert 'data-phase="failed"' in panel.text
    assert "hx-trigger=" not in panel.text  # no more polling
    assert 'data-message="data.stopped"' in panel.text
    assert "import the same file again" in panel.text
    chinese = web.get(
        "/ui/data/progress", params={"job": "orphan", "lang": "zh"}, headers={"HX-Request": "true"}
    )
    assert "再次导入同一文件" in chinese.text

"""Malformed files and crashed imports: the store stays consistent and a re-run finishes the job."""

from __future__ import annotations

import lzma
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, func, select

from crmind.data import ONLINE_RETAIL, ONLINE_RETAIL_ROWS
from crmind.errors import ImportFileError, MappingError
from crmind.ingest.fields import ImportKind
from crmind.services.importing import ImportRequest, import_file
from crmind.store.schema import ImportReject, ImportRun, OrderLine
from tests.store_probe import count, reject_reasons


def _request(path: Path, **kwargs: object) -> ImportRequest:
    return ImportRequest(kind=ImportKind.ORDERS, path=path, source="shop", **kwargs)  # type: ignore[arg-type]


def test_truncated_compressed_file_is_refused_whole(sqlite_engine: Engine, tmp_path: Path) -> None:
    data = lzma.compress(b"order,amount,date\n" + b"1,2,2024-01-01\n" * 5000)
    path = tmp_path / "orders.csv.xz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImportFileError, match="corrupt or truncated"):
        import_file(sqlite_engine, _request(path))
    assert count(sqlite_engine, ImportRun) == 0


def test_csv_cut_in_the_middle_of_a_record_rejects_only_that_record(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("order,amount,date\n1,2,2024-01-01\n2,3,2024-01-02\n3,4", encoding="utf-8")
    summary = import_file(sqlite_engine, _request(path))
    assert (summary.rows_read, summary.rows_new, summary.rows_rejected) == (3, 2, 1)
    assert "wrong number of fields" in reject_reasons(sqlite_engine)[4]


def test_wrong_delimiter_is_a_mapping_error_naming_the_columns_seen(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("order;amount;date\n1;2;2024-01-01\n", encoding="utf-8")
    with pytest.raises(MappingError, match=r"columns found: \['order;amount;date'\]"):
        import_file(sqlite_engine, _request(path, delimiter=","))
    assert count(sqlite_engine, ImportRun) == 0


def test_huge_field_rejects_its_row_and_keeps_the_rest(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "orders.csv"
    huge = "x" * 2_000_000
    path.write_text(
        f"order,amount,date,description\n1,2,2024-01-01,mug\n2,3,2024-01-02,{huge}\n",
        encoding="utf-8",
    )
    summary = import_file(sqlite_engine, _request(path))
    assert (summary.rows_new, summary.rows_rejected) == (1, 1)
    assert "too long" in reject_reasons(sqlite_engine)[3]


def _wait_for_first_commit(url: str, child: subprocess.Popen[bytes], limit: float = 120) -> int:
    engine = create_engine(url)
    deadline = time.monotonic() + limit
    try:
        while time.monotonic() < deadline and child.poll() is None:
            try:
                with engine.connect() as conn:
                    done = conn.execute(select(func.max(ImportRun.rows_committed))).scalar()
            except Exception:  # the table may not exist yet
                done = None
            if done:
                return int(done)
            time.sleep(0.05)
    finally:
        engine.dispose()
    raise AssertionError("the import committed no batch before it ended")


@pytest.mark.slow
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT])
def test_killed_import_leaves_whole_batches_and_a_rerun_finishes_it(
    tmp_path: Path, how: signal.Signals
) -> None:
    script = shutil.which("crmind", path=str(Path(sys.executable).parent))
    assert script is not None
    database = tmp_path / "crmind.db"
    url = f"sqlite:///{database}"
    command = [script, "--db", str(database), "import", "orders", str(ONLINE_RETAIL)]
    command += ["--preset", "online-retail", "--batch-rows", "20000"]
    env = {**os.environ, "CRMIND_DATA_DIR": str(tmp_path)}
    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    committed = _wait_for_first_commit(url, child)
    child.send_signal(how)
    child.wait(timeout=60)

    engine = create_engine(url)
    with engine.connect() as conn:
        run = conn.execute(select(ImportRun)).one()
    assert run.status in {"running", "interrupted"}
    assert 0 < run.rows_committed < ONLINE_RETAIL_ROWS + 1
    assert committed <= run.rows_committed
    # what the run says it wrote is exactly what the store holds
    assert count(engine, OrderLine) == run.rows_new
    assert count(engine, ImportReject) == run.rows_rejected

    rerun = subprocess.run([*command, "--json"], env=env, capture_output=True, check=False)
    assert rerun.returncode == 0, rerun.stderr
    with engine.connect() as conn:
        finished = conn.execute(select(ImportRun)).one()
    assert finished.status == "completed"
    assert finished.rows_new + finished.rows_rejected == ONLINE_RETAIL_ROWS
    assert count(engine, OrderLine) == finished.rows_new
    assert count(engine, ImportReject) == finished.rows_rejected
    assert count(engine, ImportRun) == 1
    engine.dispose()

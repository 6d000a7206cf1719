from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text

from crmind.errors import ConfigurationError
from crmind.store.db import make_engine, sqlite_path, unit_of_work
from crmind.store.schema import ImportRun


def test_sqlite_store_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'nested' / 'crmind.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    assert (tmp_path / "nested" / "crmind.db").exists()


def test_malformed_url_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="not valid"):
        make_engine("not a url")


def test_missing_driver_is_named() -> None:
    with pytest.raises(ConfigurationError, match="driver"):
        make_engine("mysql+nosuchdriver://u@h/db")


def test_sqlite_path_only_for_sqlite_files() -> None:
    assert sqlite_path("sqlite:////tmp/x.db") == Path("/tmp/x.db")
    assert sqlite_path("sqlite://") is None
    assert sqlite_path("postgresql+psycopg://u@h/db") is None


def _add_run_then_fail(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        session.add(
            ImportRun(
                kind="orders",
                source="s",
                file_name="f",
                file_sha256="0" * 64,
                file_size=1,
                file_format="csv",
                options={},
                options_digest="d",
            )
        )
        session.flush()
        raise RuntimeError("boom")


def test_unit_of_work_rolls_back_when_the_block_raises(sqlite_engine: Engine) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        _add_run_then_fail(sqlite_engine)
    with sqlite_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ImportRun)).scalar() == 0

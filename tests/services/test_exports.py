"""The customer analytics export: pseudonymised for analysts, stable pseudonyms, no contacts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine

from crmind.config import Settings
from crmind.errors import NotFoundError
from crmind.privacy.pseudonyms import pseudonym
from crmind.services.audit import AuditQuery, search
from crmind.services.exports import (
    ExportFormatError,
    customer_table,
    export_customers,
    pseudonym_key,
)
from tests.privacy_store import CUSTOMERS, TARGET, build_store, customer_id_of

ACTOR = "cli:analyst"


@pytest.fixture
def store(engine: Engine, tmp_path: Path) -> Engine:
    build_store(engine, tmp_path)
    return engine


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


def test_the_pseudonymised_table_has_keyed_pseudonyms_and_no_contact_fields(
    store: Engine, settings: Settings
) -> None:
    table = customer_table(store, settings)
    assert table.height == CUSTOMERS
    assert table.columns[0] == "pseudonym"
    assert not {"customer_id", "name", "email", "phone", "address"} & set(table.columns)
    assert {"monetary_total", "segment_rfm", "segment_learned", "score_p_alive"} <= set(
        table.columns
    )
    person = customer_id_of(store)
    assert pseudonym(pseudonym_key(settings), person) in table["pseudonym"].to_list()
    written = table.write_csv().lower()
    assert TARGET.email not in written
    assert TARGET.name.lower() not in written


def test_pseudonyms_are_stable_between_exports_and_differ_between_installations(
    store: Engine, settings: Settings, tmp_path: Path
) -> None:
    first = customer_table(store, settings)["pseudonym"].sort().to_list()
    again = customer_table(store, settings)["pseudonym"].sort().to_list()
    elsewhere = customer_table(store, Settings(data_dir=tmp_path / "other"))["pseudonym"]
    assert first == again
    assert not set(first) & set(elsewhere.to_list())


@pytest.mark.parametrize("file_format", ["csv", "parquet", "jsonl"])
def test_every_format_reads_back_the_same_rows(
    sqlite_engine: Engine, settings: Settings, tmp_path: Path, file_format: str
) -> None:
    build_store(sqlite_engine, tmp_path)
    out = tmp_path / f"customers.{file_format}"
    result = export_customers(sqlite_engine, settings, out, file_format=file_format, actor=ACTOR)
    reader: dict[str, Callable[[Path], pl.DataFrame]] = {
        "csv": pl.read_csv,
        "parquet": pl.read_parquet,
        "jsonl": pl.read_ndjson,
    }
    back = reader[file_format](out)
    assert back.height == result.rows == CUSTOMERS
    assert back.columns == result.columns
    entries, _ = search(sqlite_engine, AuditQuery(action="export", actor=ACTOR))
    assert entries[0]["detail"]["pseudonymised"] is True


def test_without_pseudonyms_the_table_leads_with_id_and_contact(
    store: Engine, settings: Settings
) -> None:
    table = customer_table(store, settings, pseudonymised=False)
    assert table.columns[:4] == ["customer_id", "name", "email", "phone"]
    person = table.filter(pl.col("customer_id") == customer_id_of(store))
    assert person["email"].item() == TARGET.email  # decrypted


def test_unknown_formats_and_stores_without_analysis_are_refused(
    sqlite_engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    with pytest.raises(ExportFormatError, match="'xlsx'"):
        export_customers(sqlite_engine, settings, tmp_path / "x", file_format="xlsx", actor=ACTOR)
    with pytest.raises(NotFoundError, match="crmind analyze"):
        customer_table(sqlite_engine, settings)

"""Tests of crmind.ingest.readers.parquetfile."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from crmind.columns import ROW
from crmind.errors import ImportFileError
from crmind.ingest.readers.parquetfile import read_parquet
from crmind.ingest.readers.source import open_source


def _write(path: Path, table: pa.Table) -> Path:
    pq.write_table(table, path)
    return path


def test_every_type_becomes_text(tmp_path: Path) -> None:
    table = pa.table(
        {
            "id": [1, 2],
            "amount": [12.5, 3.0],
            "vip": [True, None],
            "day": [dt.date(2024, 3, 5), None],
            "at": [dt.datetime(2024, 3, 5, 14, 7, 9), dt.datetime(2024, 3, 5, 0, 0, 0, 250000)],
            "tags": [["a", "b"], None],
            "address": [{"city": "Zürich"}, None],
            "blob": [b"ok", b"fine"],
            "name": ["Ann", ""],
        }
    )
    result = read_parquet(open_source(_write(tmp_path / "c.parquet", table)))
    assert (result.format, result.rejects) == ("parquet", ())
    assert all(dtype == pl.String for dtype in result.frame.drop(ROW).dtypes)
    assert result.frame.rows() == [
        (1, "1", "12.5", "true", "2024-03-05", "2024-03-05 14:07:09", '["a","b"]',
         '{"city":"Zürich"}', "ok", "Ann"),
        (2, "2", "3.0", None, None, "2024-03-05 00:00:00.250", None, None, "fine", None),
    ]  # fmt: skip


def test_time_zones_and_undecodable_binary(tmp_path: Path) -> None:
    table = pa.table(
        {
            "at": pa.array([dt.datetime(2024, 1, 1, 12, tzinfo=dt.UTC)], pa.timestamp("s", "UTC")),
            "blob": [b"\xff\x00"],
        }
    )
    result = read_parquet(open_source(_write(tmp_path / "c.parquet", table)))
    assert result.frame.row(0) == (1, "2024-01-01 12:00:00+00:00", "ff00")


def test_duplicate_and_blank_column_names(tmp_path: Path) -> None:
    table = pa.Table.from_arrays(
        [pa.array([1]), pa.array([2]), pa.array([3])], names=["a", "a ", ""]
    )
    result = read_parquet(open_source(_write(tmp_path / "c.parquet", table)))
    assert result.frame.columns == [ROW, "a", "a_2", "column_3"]


def test_rows_are_numbered_from_one(tmp_path: Path) -> None:
    table = pa.table({"id": list(range(5))})
    result = read_parquet(open_source(_write(tmp_path / "c.parquet", table)))
    assert result.frame[ROW].to_list() == [1, 2, 3, 4, 5]


def test_not_parquet(tmp_path: Path) -> None:
    path = tmp_path / "fake.parquet"
    path.write_bytes(b"id,name\n1,Ann\n")
    with pytest.raises(ImportFileError, match="is not a valid Parquet file"):
        read_parquet(open_source(path))


def test_no_rows(tmp_path: Path) -> None:
    table = pa.table({"id": pa.array([], pa.int64())})
    with pytest.raises(ImportFileError, match="has columns but no data rows"):
        read_parquet(open_source(_write(tmp_path / "c.parquet", table)))

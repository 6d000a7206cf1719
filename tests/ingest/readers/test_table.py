"""Tests of crmind.ingest.readers.table: read_table end to end, on every format and compression."""

from __future__ import annotations

import gzip
import io
import lzma
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import xlsxwriter

import crmind.ingest.readers as readers
from crmind.columns import ROW
from crmind.errors import ImportFileError
from crmind.ingest.readers import RawTable, RowReject, read_table

CSV = "id,name\n1,Ann\n2,Bob\n"
EXPECTED = [(2, "1", "Ann"), (3, "2", "Bob")]


def _xlsx_bytes() -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet("Customers")
    for row, cells in enumerate([["id", "name"], [1, "Ann"], [2, "Bob"]]):
        sheet.write_row(row, 0, cells)
    workbook.close()
    return buffer.getvalue()


def _parquet_bytes() -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(pa.table({"id": [1, 2], "name": ["Ann", "Bob"]}), sink)
    return bytes(sink.getvalue().to_pybytes())


JSON = b'[{"id": 1, "name": "Ann"}, {"id": 2, "name": "Bob"}]'
JSON_LINES = b'{"id": 1, "name": "Ann"}\n{"id": 2, "name": "Bob"}\n'
BY_POSITION = [(1, "1", "Ann"), (2, "2", "Bob")]
CONTENT: dict[str, tuple[Callable[[], bytes], list[tuple[int, str, str]]]] = {
    "csv": (lambda: CSV.encode(), EXPECTED),
    "tsv": (lambda: CSV.replace(",", "\t").encode(), EXPECTED),
    "txt": (lambda: CSV.replace(",", "|").encode(), EXPECTED),
    "xlsx": (_xlsx_bytes, EXPECTED),
    "json": (lambda: JSON, BY_POSITION),
    "jsonl": (lambda: JSON_LINES, BY_POSITION),
    "parquet": (_parquet_bytes, BY_POSITION),
}
FORMAT = {"tsv": "csv", "txt": "csv"}


def _compress(data: bytes, compression: str | None, member: str) -> bytes:
    if compression == "xz":
        return lzma.compress(data)
    if compression == "gz":
        return gzip.compress(data)
    if compression == "zip":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr(member, data)
        return buffer.getvalue()
    return data


@pytest.mark.parametrize("compression", [None, "xz", "gz", "zip"])
@pytest.mark.parametrize("extension", list(CONTENT))
def test_every_format_plain_and_compressed(
    tmp_path: Path, extension: str, compression: str | None
) -> None:
    make, expected = CONTENT[extension]
    name = f"customers.{extension}" + (f".{compression}" if compression else "")
    path = tmp_path / name
    path.write_bytes(_compress(make(), compression, f"customers.{extension}"))
    table = read_table(str(path))
    assert isinstance(table, RawTable)
    assert table.path == path
    assert table.format == FORMAT.get(extension, extension)
    assert table.compression == {"gz": "gzip"}.get(compression or "", compression)
    assert table.frame.columns == [ROW, "id", "name"]
    assert table.frame.rows() == expected
    assert table.rows_read == 2


def test_zip_without_format_in_its_name_uses_the_member_name(tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    path.write_bytes(_compress(_xlsx_bytes(), "zip", "sheet.xlsx"))
    assert read_table(path).format == "xlsx"


def test_options_reach_the_reader(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes("a;b\nCafé;x\n".encode("latin-1"))
    table = read_table(path, encoding="latin-1", delimiter=";")
    assert (table.encoding, table.delimiter, table.frame.row(0)) == (
        "latin-1",
        ";",
        (2, "Café", "x"),
    )


def test_options_that_do_not_apply_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text('{"a": 1}\n')
    assert read_table(path, sheet="Customers", delimiter=";").frame.rows() == [(1, "1")]


def test_max_field_chars_reaches_the_reader(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("a,b\n1,abcdef\n2,abc\n")
    table = read_table(path, max_field_chars=3)
    assert table.frame.rows() == [(3, "2", "abc")]
    assert table.rejects == (
        RowReject(2, "field 'b' is too long: 6 characters (limit 3)", "1,abcdef", "b"),
    )


def test_max_field_chars_below_one_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="max_field_chars must be at least 1"):
        read_table(tmp_path / "c.csv", max_field_chars=0)


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("missing.csv", None, "no such file"),
        ("empty.csv", b"", "is empty"),
        ("header.csv", b"id,name\n", "has a header but no data rows"),
        ("photo.csv", bytes.fromhex("89504e470d0a1a0a0000000d49484452"), "looks like binary data"),
        ("report.pdf", b"%PDF-1.4", "unsupported file type '.pdf'"),
        ("broken.json", b'[{"id": 1}', "is not valid JSON"),
        ("broken.parquet", b"PAR1 nope", "is not a valid Parquet file"),
        ("broken.xlsx", b"PK\x03\x04 nope", "is not a valid .xlsx workbook"),
    ],
)
def test_whole_file_failures_name_the_file_in_one_line(
    tmp_path: Path, name: str, content: bytes | None, problem: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ImportFileError) as caught:
        read_table(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: {problem}")
    assert "\n" not in message


def test_public_names() -> None:
    assert sorted(readers.__all__) == ["RawTable", "RowReject", "read_table"]


@pytest.mark.slow
def test_reads_the_full_online_retail_file(shared_data_file: Callable[[str], Path]) -> None:
    path = shared_data_file("online_retail_uci/online_retail.csv.xz")
    started = time.perf_counter()
    table = read_table(path)
    elapsed = time.perf_counter() - started
    assert (table.format, table.compression, table.encoding, table.delimiter) == (
        "csv",
        "xz",
        "utf-8",
        ",",
    )
    assert table.frame.height == 541_909
    assert table.frame.width == 1 + 8
    assert table.frame.columns[1:] == [
        "InvoiceNo",
        "StockCode",
        "Description",
        "Quantity",
        "InvoiceDate",
        "UnitPrice",
        "CustomerID",
        "Country",
    ]
    assert table.frame.schema[ROW] == pl.Int64
    assert table.frame.row(0, named=True)["InvoiceNo"] == "536365"
    assert table.frame[ROW].head(3).to_list() == [2, 3, 4]
    assert table.rejects == ()
    assert elapsed < 30, f"reading took {elapsed:.1f} s"

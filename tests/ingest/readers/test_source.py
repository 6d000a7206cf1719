"""Tests of crmind.ingest.readers.source."""

from __future__ import annotations

import gzip
import lzma
import zipfile
from pathlib import Path

import pytest

from crmind.errors import ImportFileError
from crmind.ingest.readers.source import open_source

CSV = b"id,name\n1,Ann\n2,Bob\n"


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_plain_file_is_read_with_its_format(tmp_path: Path) -> None:
    path = tmp_path / "Customers.CSV"
    path.write_bytes(CSV)
    source = open_source(path)
    assert (source.format, source.extension, source.compression) == ("csv", ".csv", None)
    assert source.data == CSV


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.tsv", "csv"),
        ("a.txt", "csv"),
        ("a.json", "json"),
        ("a.jsonl", "jsonl"),
        ("a.ndjson", "jsonl"),
        ("a.xlsx", "xlsx"),
        ("a.parquet", "parquet"),
    ],
)
def test_extension_decides_the_format(tmp_path: Path, name: str, expected: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"x")
    assert open_source(path).format == expected


def test_xz_is_decompressed(tmp_path: Path) -> None:
    path = tmp_path / "a.csv.xz"
    path.write_bytes(lzma.compress(CSV))
    source = open_source(path)
    assert (source.data, source.format, source.compression) == (CSV, "csv", "xz")


def test_gzip_is_decompressed(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl.GZ"
    path.write_bytes(gzip.compress(b'{"a": 1}\n'))
    source = open_source(path)
    assert (source.data, source.format, source.compression) == (b'{"a": 1}\n', "jsonl", "gzip")


def test_zip_member_name_decides_when_the_archive_name_has_no_format(tmp_path: Path) -> None:
    path = _zip(tmp_path / "export.zip", {"orders.tsv": CSV, "__MACOSX/._orders.tsv": b"junk"})
    source = open_source(path)
    assert (source.data, source.extension, source.compression) == (CSV, ".tsv", "zip")


def test_zip_with_two_data_files_names_them(tmp_path: Path) -> None:
    path = _zip(tmp_path / "export.zip", {"a.csv": CSV, "b.csv": CSV})
    with pytest.raises(
        ImportFileError, match=r"exactly one data file; it holds 2: 'a.csv', 'b.csv'"
    ):
        open_source(path)


def test_zip_member_with_unsupported_type_is_named(tmp_path: Path) -> None:
    path = _zip(tmp_path / "export.zip", {"report.pdf": b"%PDF"})
    with pytest.raises(ImportFileError, match=r"member 'report.pdf' has unsupported file type"):
        open_source(path)


def test_truncated_xz_is_reported_as_corrupt(tmp_path: Path) -> None:
    data = lzma.compress(CSV * 100)
    path = tmp_path / "a.csv.xz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImportFileError, match=r"corrupt or truncated \(xz\)") as caught:
        open_source(path)
    assert isinstance(caught.value.__cause__, lzma.LZMAError | EOFError)
    assert str(caught.value).startswith(str(path))


def test_truncated_gzip_is_reported_as_corrupt(tmp_path: Path) -> None:
    data = gzip.compress(CSV * 100)
    path = tmp_path / "a.csv.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImportFileError, match=r"corrupt or truncated \(gzip\)"):
        open_source(path)


def test_a_zip_that_is_not_a_zip_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "a.csv.zip"
    path.write_bytes(b"this is not a zip archive")
    with pytest.raises(ImportFileError, match=r"corrupt or truncated \(zip\)"):
        open_source(path)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.csv"
    with pytest.raises(ImportFileError, match="no such file") as caught:
        open_source(path)
    assert caught.value.path == path


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="is a directory"):
        open_source(tmp_path)


def test_unsupported_extension_lists_the_expected_ones(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(b"%PDF-1.4")
    with pytest.raises(
        ImportFileError, match=r"unsupported file type '\.pdf'; expected one of"
    ) as e:
        open_source(path)
    assert ".csv" in str(e.value)
    assert ".parquet" in str(e.value)
    assert "\n" not in str(e.value)


def test_no_extension(tmp_path: Path) -> None:
    path = tmp_path / "data"
    path.write_bytes(CSV)
    with pytest.raises(ImportFileError, match="no file extension"):
        open_source(path)


@pytest.mark.parametrize("content", [b"", b"  \r\n\t\n"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(content)
    with pytest.raises(ImportFileError, match="is empty"):
        open_source(path)


def test_empty_once_decompressed(tmp_path: Path) -> None:
    path = tmp_path / "a.csv.gz"
    path.write_bytes(gzip.compress(b"\n"))
    with pytest.raises(ImportFileError, match="is empty once decompressed"):
        open_source(path)

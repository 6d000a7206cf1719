"""Tests of crmind.ingest.readers.spreadsheet."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import xlsxwriter

from crmind.columns import ROW
from crmind.errors import ImportFileError
from crmind.ingest.readers.model import RawTable
from crmind.ingest.readers.source import open_source
from crmind.ingest.readers.spreadsheet import read_spreadsheet


def _workbook(path: Path, sheets: dict[str, list[tuple[int, list[object]]]]) -> Path:
    """Write ``sheets``: for each, (0-based row, cells from column A) pairs; dates get a format."""
    workbook = xlsxwriter.Workbook(str(path))
    day = workbook.add_format({"num_format": "yyyy-mm-dd"})
    stamp = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    for name, rows in sheets.items():
        sheet = workbook.add_worksheet(name)
        for row, cells in rows:
            for col, cell in enumerate(cells):
                if isinstance(cell, dt.datetime):
                    fmt = day if cell.time() == dt.time() else stamp
                    sheet.write_datetime(row, col, cell, fmt)
                elif cell is not None:
                    sheet.write(row, col, cell)
    workbook.close()
    return path


def _read(path: Path, sheet: str | None = None) -> RawTable:
    return read_spreadsheet(open_source(path), sheet=sheet)


def test_cells_are_read_as_text(tmp_path: Path) -> None:
    path = _workbook(
        tmp_path / "orders.xlsx",
        {
            "Orders": [
                (0, [" id ", "ordered", "at", "amount", "qty", "paid", "note"]),
                (1, [1, dt.datetime(2024, 3, 5), dt.datetime(2024, 3, 5, 14, 7, 9), 12.5, 12.0]),
                (2, ["A-2", dt.datetime(2024, 3, 6), dt.datetime(2024, 3, 6), 0.1, -3, True, "ok"]),
            ]
        },
    )
    table = _read(path)
    assert (table.format, table.rejects, table.encoding, table.delimiter) == (
        "xlsx",
        (),
        None,
        None,
    )
    assert table.frame.columns == [ROW, "id", "ordered", "at", "amount", "qty", "paid", "note"]
    assert table.frame.rows() == [
        (2, "1", "2024-03-05", "2024-03-05 14:07:09", "12.5", "12", None, None),
        (3, "A-2", "2024-03-06", "2024-03-06 00:00:00", "0.1", "-3", "true", "ok"),
    ]


def test_rows_are_numbered_as_the_sheet_shows_them(tmp_path: Path) -> None:
    path = _workbook(
        tmp_path / "offset.xlsx",
        {"S": [(2, [None, "name", "name"]), (3, [None, "Ann", "x"]), (5, [None, "Bob", None])]},
    )
    table = _read(path)
    assert table.frame.columns == [ROW, "name", "name_2"]
    assert table.frame.rows() == [(4, "Ann", "x"), (6, "Bob", None)]


def test_unnamed_empty_columns_are_dropped_but_unnamed_filled_ones_kept(tmp_path: Path) -> None:
    path = _workbook(
        tmp_path / "u.xlsx", {"S": [(0, ["a", None, None, "d"]), (1, [1, 2, None, 4])]}
    )
    assert _read(path).frame.columns == [ROW, "a", "column_2", "d"]


def test_sheet_is_chosen_by_name(tmp_path: Path) -> None:
    path = _workbook(
        tmp_path / "two.xlsx", {"First": [(0, ["a"]), (1, [1])], "Second": [(0, ["b"]), (1, [2])]}
    )
    assert _read(path).frame.columns == [ROW, "a"]
    assert _read(path, "Second").frame.rows() == [(2, "2")]


def test_unknown_sheet_lists_the_sheets(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "two.xlsx", {"First": [(0, ["a"]), (1, [1])], "Second": []})
    with pytest.raises(
        ImportFileError, match=r"has no sheet 'Third'; its sheets are 'First', 'Second'"
    ):
        _read(path, "Third")


def test_empty_sheet_is_an_error(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "e.xlsx", {"Empty": []})
    with pytest.raises(ImportFileError, match="sheet 'Empty' is empty"):
        _read(path)


def test_header_only_sheet_is_an_error(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "h.xlsx", {"S": [(0, ["id", "name"])]})
    with pytest.raises(ImportFileError, match="has a header but no data rows"):
        _read(path)


def test_a_file_that_is_not_a_workbook_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "fake.xlsx"
    path.write_bytes(b"id,name\n1,Ann\n")
    with pytest.raises(ImportFileError, match=r"is not a valid \.xlsx workbook") as caught:
        _read(path)
    assert "\n" not in str(caught.value)
    assert caught.value.__cause__ is not None

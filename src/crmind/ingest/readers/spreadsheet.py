"""Read an Excel workbook (.xlsx) with fastexcel (calamine), every cell as text.

The first non-blank row of the sheet is the header; rows keep the numbers the spreadsheet shows
(blank rows above the header are counted, blank rows below it are skipped). Cells are read as
text the way a person would type them: whole numbers as ``12`` (not ``12.0``), booleans as
``true`` / ``false``, date-times as ``YYYY-MM-DD HH:MM:SS``; in a column whose date-times all fall
at midnight they are dates, ``YYYY-MM-DD``.
"""

from __future__ import annotations

import logging
from typing import Final

import fastexcel
import polars as pl

from crmind.errors import ImportFileError
from crmind.ingest.readers.frame import finish_frame, name_columns
from crmind.ingest.readers.model import RawTable
from crmind.ingest.readers.source import Source

logger = logging.getLogger(__name__)

_DATETIME: Final = r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$"
_MIDNIGHT: Final = " 00:00:00"


def read_spreadsheet(source: Source, *, sheet: str | None = None) -> RawTable:
    """Read one sheet of a workbook (the first when ``sheet`` is ``None``) into a RawTable."""
    try:
        workbook = fastexcel.read_excel(source.data)
    except fastexcel.FastExcelError as exc:
        raise ImportFileError(
            source.path, f"is not a valid .xlsx workbook: {_first_line(exc)}"
        ) from exc
    names: list[str] = list(workbook.sheet_names)
    if not names:
        raise ImportFileError(source.path, "the workbook has no sheets")
    if sheet is None:
        sheet = names[0]
    elif sheet not in names:
        listed = ", ".join(repr(name) for name in names)
        raise ImportFileError(source.path, f"has no sheet {sheet!r}; its sheets are {listed}")
    try:
        loaded = workbook.load_sheet(sheet, header_row=None, skip_rows=0, dtypes="string")
        cells: pl.DataFrame = loaded.to_polars()
    except fastexcel.FastExcelError as exc:
        raise ImportFileError(
            source.path, f"sheet {sheet!r} cannot be read: {_first_line(exc)}"
        ) from exc
    frame = _table(source, sheet, cells)
    logger.debug("%s: sheet %r, %d rows", source.path, sheet, frame.height)
    return RawTable(
        path=source.path,
        format="xlsx",
        frame=frame,
        rejects=(),
        compression=source.compression,
    )


def _table(source: Source, sheet: str, cells: pl.DataFrame) -> pl.DataFrame:
    """Turn a sheet's cells (row ``i`` is spreadsheet row ``i + 1``) into the reader's frame."""
    if cells.width == 0:
        raise ImportFileError(source.path, f"sheet {sheet!r} is empty")
    filled = cells.select(
        pl.any_horizontal(
            pl.col(name).str.strip_chars().str.len_bytes() > 0 for name in cells.columns
        )
    ).to_series()
    header_at = filled.fill_null(False).arg_true()
    if header_at.is_empty():
        raise ImportFileError(source.path, f"sheet {sheet!r} is empty")
    first = int(header_at[0])
    names, made_up = name_columns(cells.row(first))
    data = cells.slice(first + 1)
    data.columns = names
    data = data.with_columns(_dates_without_midnight(data[name]) for name in names)
    rows = pl.int_range(first + 2, first + 2 + data.height, dtype=pl.Int64, eager=True)
    frame = finish_frame(data, rows, made_up)
    if frame.height == 0:
        raise ImportFileError(source.path, f"sheet {sheet!r} has a header but no data rows")
    return frame


def _dates_without_midnight(column: pl.Series) -> pl.Series:
    """Drop `` 00:00:00`` from the date-times of ``column`` when every one of them is midnight."""
    stamps = column.str.contains(_DATETIME).fill_null(False)
    if not stamps.any() or not column.filter(stamps).str.ends_with(_MIDNIGHT).all():
        return column
    return pl.select(
        pl.when(stamps)
        .then(column.str.strip_suffix(_MIDNIGHT))
        .otherwise(column)
        .alias(column.name)
    ).to_series()


def _first_line(exc: Exception) -> str:
    """fastexcel messages run over several lines of context; the first says what is wrong."""
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__

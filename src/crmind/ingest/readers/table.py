"""The one entry point of the readers: :func:`read_table` picks the reader for a file."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from crmind.errors import ImportFileError
from crmind.ingest.readers.delimited import read_delimited
from crmind.ingest.readers.jsonfile import read_json, read_json_lines
from crmind.ingest.readers.model import RawTable
from crmind.ingest.readers.parquetfile import read_parquet
from crmind.ingest.readers.source import open_source
from crmind.ingest.readers.spreadsheet import read_spreadsheet

logger = logging.getLogger(__name__)


def read_table(
    path: Path | str,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    max_field_chars: int = 1_000_000,
) -> RawTable:
    """Read a data file into a :class:`RawTable` of strings, with the records it could not read.

    The format comes from the extension: .csv .tsv .txt (delimited text), .xlsx, .json,
    .jsonl / .ndjson, .parquet, each optionally compressed as .xz, .gz or .zip (one file inside).

    ``encoding`` and ``delimiter`` apply to text formats and are detected when ``None``
    (``delimiter="whitespace"`` splits on runs of spaces); ``sheet`` picks a sheet of a workbook
    (the first by default). A field longer than ``max_field_chars`` makes its record a reject.
    Options that do not apply to the file's format are ignored.

    Raises :class:`~crmind.errors.ImportFileError` when the file cannot be read at all.

    Example::

        table = read_table("orders.csv.xz")
        table.frame      # _row, then one string column per column of the file
        table.rejects    # (RowReject(row=7, reason="wrong number of fields: ...", ...), ...)
    """
    path = Path(path)
    if max_field_chars < 1:
        raise ImportFileError(path, f"max_field_chars must be at least 1, not {max_field_chars}")
    started = time.perf_counter()
    source = open_source(path)
    if sheet is not None and source.format != "xlsx":
        logger.debug("%s: option sheet=%r ignored for %s", path, sheet, source.format)
    if source.format == "csv":
        table = read_delimited(
            source, encoding=encoding, delimiter=delimiter, max_field_chars=max_field_chars
        )
    elif source.format == "json":
        table = read_json(source, encoding=encoding, max_field_chars=max_field_chars)
    elif source.format == "jsonl":
        table = read_json_lines(source, encoding=encoding, max_field_chars=max_field_chars)
    elif source.format == "xlsx":
        table = read_spreadsheet(source, sheet=sheet)
    else:
        table = read_parquet(source)
    logger.info(
        "read %s (%s): %d rows, %d rejected in %.2f s",
        path,
        table.format,
        table.frame.height,
        len(table.rejects),
        time.perf_counter() - started,
    )
    return table

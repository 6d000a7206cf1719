"""Read a Parquet file (.parquet) with pyarrow, every column cast to text.

Row numbers are positions in the file, from 1. Values become text: numbers and booleans as polars
writes them (``12``, ``12.5``, ``true``), dates as ``YYYY-MM-DD``, date-times as
``YYYY-MM-DD HH:MM:SS`` (with fractional seconds and UTC offset when there are any), binary as
UTF-8 text or else hexadecimal, nested lists and structs as compact JSON.
"""

from __future__ import annotations

import json
import logging

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from crmind.errors import ImportFileError
from crmind.ingest.readers.frame import finish_frame, name_columns
from crmind.ingest.readers.model import RawTable
from crmind.ingest.readers.source import Source

logger = logging.getLogger(__name__)


def read_parquet(source: Source) -> RawTable:
    """Read a Parquet file into a :class:`RawTable`."""
    try:
        table = pq.read_table(pa.BufferReader(source.data))
    except (pa.ArrowException, OSError) as exc:
        raise ImportFileError(source.path, f"is not a valid Parquet file: {exc}") from exc
    if table.num_columns == 0:
        raise ImportFileError(source.path, "has no columns")
    if table.num_rows == 0:
        raise ImportFileError(source.path, "has columns but no data rows")
    names, made_up = name_columns(table.column_names)
    data = pl.DataFrame(table.rename_columns(names))
    data = data.with_columns(_as_text(data[name]) for name in names)
    rows = pl.int_range(1, data.height + 1, dtype=pl.Int64, eager=True)
    frame = finish_frame(data, rows, made_up)
    logger.debug("%s: %d rows", source.path, frame.height)
    return RawTable(
        path=source.path,
        format="parquet",
        frame=frame,
        rejects=(),
        compression=source.compression,
    )


def _as_text(column: pl.Series) -> pl.Series:
    """``column`` as ``pl.String`` following the module's rules."""
    dtype = column.dtype
    if dtype == pl.String:
        return column
    if dtype == pl.Datetime:
        with_zone = getattr(dtype, "time_zone", None) is not None
        return column.dt.to_string("%Y-%m-%d %H:%M:%S%.f" + ("%:z" if with_zone else ""))
    if dtype == pl.Duration:
        return column.dt.to_string("iso")
    if dtype == pl.Binary:
        try:
            return column.cast(pl.String)
        except pl.exceptions.PolarsError:
            return column.bin.encode("hex")
    if dtype.is_nested():
        texts = [None if v is None else _compact_json(v) for v in column.to_list()]
        return pl.Series(column.name, texts, dtype=pl.String)
    return column.cast(pl.String)


def _compact_json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)

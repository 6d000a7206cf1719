"""What a reader gives back: the rows it could read and the records it could not."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

import polars as pl

Format = Literal["csv", "xlsx", "json", "jsonl", "parquet"]
Compression = Literal["xz", "gzip", "zip"]

RAW_LIMIT: Final = 10_000
"""The raw content kept in a :class:`RowReject` is cut to this many characters."""


def cut_raw(raw: str) -> str:
    """Return ``raw`` cut to :data:`RAW_LIMIT` characters, marking the cut with an ellipsis."""
    if len(raw) <= RAW_LIMIT:
        return raw
    return raw[: RAW_LIMIT - 1] + "…"


@dataclass(frozen=True)
class RowReject:
    """A record of the file that the reader could not turn into a row.

    ``row`` uses the same numbering as the ``_row`` column of :class:`RawTable`; ``raw`` is the
    original line text for text formats and the record as JSON otherwise (cut to
    :data:`RAW_LIMIT` characters); ``field`` names the column at fault when there is one.
    """

    row: int
    reason: str
    raw: str
    field: str | None = None


@dataclass(frozen=True, eq=False)  # a DataFrame has no truth value, so no generated __eq__
class RawTable:
    """The content of one file as strings, before any mapping or cleaning.

    ``frame`` has the column ``_row`` (Int64) first, then one ``pl.String`` column per column of
    the file, named as in the file's header (stripped, duplicates made unique as ``name_2``).
    A missing value is always null, never an empty string.
    """

    path: Path
    format: Format
    frame: pl.DataFrame
    rejects: tuple[RowReject, ...]
    encoding: str | None = None
    delimiter: str | None = None
    compression: Compression | None = None

    @property
    def rows_read(self) -> int:
        """Every data record of the file: the rows read plus the records rejected."""
        return self.frame.height + len(self.rejects)

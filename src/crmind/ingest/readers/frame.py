"""Shape every reader's output the same way: column names, nulls, the ``_row`` column.

The rules, for all formats:

- a header name is stripped of surrounding whitespace; an empty one becomes ``column_<n>`` (``n``
  counting columns from 1); a repeated one becomes ``name_2``, ``name_3`` ... (``_row`` is taken);
- an empty string is null;
- a row with no value at all (every field empty or whitespace) is skipped, as a spreadsheet's
  blank row would be; it keeps its number, so later rows are numbered as the file shows them;
- a column with no header name and no value (as trailing delimiters make) is dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence

import polars as pl

from crmind.columns import ROW

logger = logging.getLogger(__name__)


def name_columns(header: Sequence[object]) -> tuple[list[str], frozenset[str]]:
    """Return unique column names for the raw ``header`` cells and the names that were made up."""
    names: list[str] = []
    made_up: set[str] = set()
    taken = {ROW}
    for number, cell in enumerate(header, start=1):
        base = "" if cell is None else str(cell).strip()
        if not base:
            base = f"column_{number}"
            made_up.add(base)
        name, copy = base, 2
        while name in taken:
            name, copy = f"{base}_{copy}", copy + 1
        if base in made_up:
            made_up.add(name)
        taken.add(name)
        names.append(name)
    return names, frozenset(made_up)


def finish_frame(
    frame: pl.DataFrame, rows: pl.Series, made_up: Collection[str] = ()
) -> pl.DataFrame:
    """Apply the module's rules to ``frame`` (all ``pl.String``) and put ``rows`` first as ``_row``.

    ``rows`` holds each row's number, in the order of ``frame``.
    """
    columns = frame.columns
    frame = frame.with_columns(
        pl.when(pl.col(name).str.len_bytes() > 0).then(pl.col(name)).alias(name) for name in columns
    )
    frame = frame.insert_column(0, rows.cast(pl.Int64).alias(ROW))
    if columns:
        has_value = pl.any_horizontal(
            pl.col(name).str.strip_chars().str.len_bytes() > 0 for name in columns
        ).fill_null(False)
        before = frame.height
        frame = frame.filter(has_value)
        if frame.height < before:
            logger.debug("skipped %d rows with no value", before - frame.height)
    empty = [
        name for name in columns if name in made_up and frame[name].null_count() == frame.height
    ]
    if empty:
        logger.debug("dropped unnamed empty columns %s", empty)
    return frame.drop(empty)


def string_frame(names: Sequence[str], rows: Sequence[Sequence[str | None]]) -> pl.DataFrame:
    """A frame of ``pl.String`` columns ``names`` from row-wise ``rows``."""
    schema = dict.fromkeys(names, pl.String)
    return pl.DataFrame(list(rows), schema=schema, orient="row")

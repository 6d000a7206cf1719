"""Parse each distinct value of a column once, then spread the answers back over the rows.

Imported columns repeat themselves (541,909 order lines carry 23,260 distinct timestamps and 38
countries), so working on ``keys.unique()`` and joining the answers back is faster than working row
by row, and it is the only place where per-value Python is acceptable (phone numbers)::

    distinct = keys.unique()
    answers = parse(distinct)            # one answer row per distinct row, same order
    per_row = spread(keys, distinct, answers)
"""

from __future__ import annotations

import polars as pl

from crmind.errors import CrmindError

_KEY_PREFIX = "__distinct_key_"


def spread(keys: pl.DataFrame, distinct: pl.DataFrame, answers: pl.DataFrame) -> pl.DataFrame:
    """Return ``answers`` repeated for every row of ``keys``, in the order of ``keys``.

    ``distinct`` holds the distinct rows of ``keys`` (same columns; nulls are ordinary keys) and
    ``answers`` holds one row per row of ``distinct``. The result has the columns of ``answers``.
    """
    if answers.height != distinct.height:
        msg = f"{answers.height} answers for {distinct.height} distinct values; expected one each"
        raise CrmindError(msg)
    renamed = {name: f"{_KEY_PREFIX}{name}" for name in keys.columns}
    table = pl.concat([distinct.rename(renamed), answers], how="horizontal")
    joined = keys.rename(renamed).join(
        table, on=list(renamed.values()), how="left", nulls_equal=True, maintain_order="left"
    )
    return joined.select(answers.columns)

"""Flag implausibly large quantities and amounts, such as UCI Online Retail's 80,995-unit orders.

The rule works on magnitudes on a log scale, where order sizes and prices are roughly symmetric:

    m = log1p(|x|)
    flagged  <=>  m > Q3 + k * max(Q3 - Q1, ln 2)

with Q1 and Q3 the quartiles of m over the column's non-null values (linear interpolation). With
k = 3 on UCI Online Retail's Quantity (Q1 = 1, Q3 = 10 units) the fence is about 1,830 units: the
80,995 and 74,215-unit rows and a few dozen bulk orders are flagged, everyday quantities of 1 to a
few hundred are not. The spread is floored at ln 2 (one doubling) so that a column where nearly
every value is the same does not flag everything that differs. Only large magnitudes are flagged;
the sign is ignored, so a return of -80,995 is flagged like the order it reverses.
"""

from __future__ import annotations

import math

import polars as pl

_MIN_SPREAD = math.log(2.0)


def flag_outliers(values: pl.Series, *, k: float = 3.0) -> pl.Series:
    """Boolean Series: True where ``|value|`` is far above the column's usual size (see module).

    Null and NaN values are never flagged (False). ``values`` must be numeric.

    >>> flag_outliers(pl.Series([1, 2, 3, 6, 12, 24, 80995])).to_list()
    [False, False, False, False, False, False, True]
    """
    magnitude = values.cast(pl.Float64).abs().log1p().fill_nan(None)
    q1 = magnitude.quantile(0.25, interpolation="linear")
    q3 = magnitude.quantile(0.75, interpolation="linear")
    if not (isinstance(q1, float) and isinstance(q3, float)):  # no non-null values
        return pl.repeat(False, len(values), dtype=pl.Boolean, eager=True).alias(values.name)
    fence = q3 + k * max(q3 - q1, _MIN_SPREAD)
    return (magnitude > fence).fill_null(False).alias(values.name)

"""The BTYD summary of transactions: frequency, recency, T and monetary value per customer.

The rules (those of the BTYD literature and the ``lifetimes`` package):

- A *purchase day* is a calendar day on which the customer's net amount is positive: all of a
  day's transactions are summed first, so returns (negative amounts) cancel the purchases they
  follow on that day, and several purchases on one day count once. Days with a net amount of 0
  or less are not purchases (a refund on a later day does not reduce an earlier purchase).
  Customers without a purchase day up to the end of observation are not in the summary.
- ``frequency``: repeat purchases, the number of purchase days after the first;
- ``recency``: time from the first to the last purchase day (0 without repeats);
- ``T``: time from the first purchase day to the end of observation (the end day itself);
- ``monetary_value``: the mean net amount of the repeat purchase days (0 without repeats) -- the
  first purchase is left out, as the Gamma-Gamma model expects;

all times in ``time_unit``: ``"week"`` (days / 7, the default) or ``"day"``.

Dates may be polars Date or Datetime columns (the time of day is dropped) or text (ISO dates or
``YYYYMMDD``, as CDNOW writes them); amounts numbers or text. Everything is vectorised polars.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Final

import numpy as np
import polars as pl

from crmind.columns import AMOUNT, CUSTOMER_ID, OCCURRED_AT
from crmind.errors import ConfigurationError, ModelDataError

DAYS_PER_UNIT: Final[dict[str, float]] = {"week": 7.0, "day": 1.0}

FREQUENCY: Final = "frequency"
RECENCY: Final = "recency"
AGE: Final = "T"
MONETARY_VALUE: Final = "monetary_value"
FREQUENCY_HOLDOUT: Final = "frequency_holdout"
MONETARY_VALUE_HOLDOUT: Final = "monetary_value_holdout"
DURATION_HOLDOUT: Final = "duration_holdout"

_DAY: Final = "_day"


def days_per_unit(time_unit: str) -> float:
    """Days in one ``time_unit`` (``"week"`` or ``"day"``), or ConfigurationError."""
    try:
        return DAYS_PER_UNIT[time_unit]
    except KeyError:
        raise ConfigurationError(
            f"time_unit must be one of {sorted(DAYS_PER_UNIT)}, not {time_unit!r}"
        ) from None


def purchase_days(
    transactions: pl.DataFrame,
    *,
    customer_col: str = CUSTOMER_ID,
    date_col: str = OCCURRED_AT,
    amount_col: str = AMOUNT,
) -> pl.DataFrame:
    """Purchase days (see the module docstring): ``customer_id``, ``_day`` (Date) and the day's
    net ``amount`` (> 0), sorted by customer and day."""
    missing = [col for col in (customer_col, date_col, amount_col) if col not in transactions]
    if missing:
        raise ModelDataError(
            f"transactions lack column(s) {missing}; they have {transactions.columns}"
        )
    frame = transactions.select(
        pl.col(customer_col).alias(CUSTOMER_ID),
        _as_day(transactions, date_col).alias(_DAY),
        _as_amount(transactions, amount_col).alias(AMOUNT),
    )
    nulls = {
        name: count
        for name, count in zip(frame.columns, frame.null_count().row(0), strict=True)
        if count
    }
    if nulls:
        names = {CUSTOMER_ID: customer_col, _DAY: date_col, AMOUNT: amount_col}
        described = ", ".join(f"{names[name]}: {count}" for name, count in nulls.items())
        raise ModelDataError(f"transactions have missing values ({described}); remove them first")
    return _net_positive_days(frame)


_DAY_BITS: Final = 20
_DAY_OFFSET: Final = 1 << (_DAY_BITS - 1)
"""Days since 1970 are stored in the low 20 bits of a key, shifted by this (years 535..3405)."""
_MAX_CODE: Final = 1 << (62 - _DAY_BITS)
_CENT_DIGITS: Final = 6
"""Day totals are rounded to this many decimals, so sums in any order agree."""


def _net_positive_days(frame: pl.DataFrame) -> pl.DataFrame:
    """Sum each customer's amounts per day, keep positive days, sort by customer and day.

    Customer and day are packed into one Int64 key (customer code in the high bits, day in the
    low 20); one sort of that key orders the rows by customer, then day, and each day's rows are
    then a contiguous run, summed with numpy's ``reduceat``: no hashing of (text, date) pairs.
    Integer customer ids are their own codes; other ids are coded by their rank, which keeps
    their order.
    """
    ids = frame.get_column(CUSTOMER_ID)
    lookup: pl.Series | None = None
    if ids.dtype.is_integer() and (ids.len() == 0 or (ids.min() >= 0 and ids.max() < _MAX_CODE)):  # type: ignore[operator]
        codes = ids.cast(pl.Int64)
    else:
        lookup = ids.unique().sort()
        codes = lookup.search_sorted(ids).cast(pl.Int64)
    day = frame.get_column(_DAY).cast(pl.Int32).cast(pl.Int64)
    keyed = pl.DataFrame(
        {"_key": codes * (1 << _DAY_BITS) + (day + _DAY_OFFSET), AMOUNT: frame.get_column(AMOUNT)}
    ).sort("_key")
    keys = keyed.get_column("_key").to_numpy()
    amounts = keyed.get_column(AMOUNT).to_numpy()
    if len(keys):
        starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
        keys, amounts = keys[starts], np.add.reduceat(amounts, starts)
    amounts = np.round(amounts, _CENT_DIGITS)  # a day whose lines cancel out nets to exactly 0
    positive = amounts > 0
    days = pl.DataFrame(
        {"_key": keys[positive], AMOUNT: amounts[positive]},
        schema={"_key": pl.Int64, AMOUNT: pl.Float64},
    )
    code = pl.col("_key") // (1 << _DAY_BITS)
    day_of = (pl.col("_key") % (1 << _DAY_BITS) - _DAY_OFFSET).cast(pl.Int32).cast(pl.Date)
    days = days.select(code.alias(CUSTOMER_ID), day_of.alias(_DAY), AMOUNT)
    if lookup is None:
        return days.with_columns(pl.col(CUSTOMER_ID).cast(ids.dtype))
    return days.with_columns(lookup.gather(days.get_column(CUSTOMER_ID)).alias(CUSTOMER_ID))


def purchase_summary(
    transactions: pl.DataFrame,
    *,
    customer_col: str = CUSTOMER_ID,
    date_col: str = OCCURRED_AT,
    amount_col: str = AMOUNT,
    observation_end: date | datetime | str | None = None,
    time_unit: str = "week",
) -> pl.DataFrame:
    """One row per customer: ``customer_id``, ``frequency``, ``recency``, ``T``,
    ``monetary_value`` (see the module docstring), sorted by customer.

    Only transactions on or before ``observation_end`` (default: the last transaction day)
    count.

    Example::

        summary = purchase_summary(orders, observation_end="1997-09-30")
    """
    unit = days_per_unit(time_unit)
    days = purchase_days(
        transactions, customer_col=customer_col, date_col=date_col, amount_col=amount_col
    )
    end = _as_date("observation_end", observation_end) if observation_end is not None else None
    if end is None:
        last = days.get_column(_DAY).max()
        if not isinstance(last, date):
            raise ModelDataError("transactions have no purchase (no day with a positive amount)")
        end = last
    return _summarise(days.filter(pl.col(_DAY) <= end), end, unit)


def calibration_holdout_summary(
    transactions: pl.DataFrame,
    calibration_end: date | datetime | str,
    holdout_end: date | datetime | str,
    *,
    customer_col: str = CUSTOMER_ID,
    date_col: str = OCCURRED_AT,
    amount_col: str = AMOUNT,
    time_unit: str = "week",
) -> pl.DataFrame:
    """The summary at ``calibration_end`` plus what its customers did up to ``holdout_end``.

    Adds ``frequency_holdout`` (purchase days after ``calibration_end``, up to and including
    ``holdout_end``), ``monetary_value_holdout`` (their mean net amount, 0 without any) and
    ``duration_holdout`` (the holdout's length in ``time_unit``). Customers whose first purchase
    comes after ``calibration_end`` are not included.
    """
    unit = days_per_unit(time_unit)
    start = _as_date("calibration_end", calibration_end)
    end = _as_date("holdout_end", holdout_end)
    if end <= start:
        raise ModelDataError(f"holdout_end ({end}) must come after calibration_end ({start})")
    days = purchase_days(
        transactions, customer_col=customer_col, date_col=date_col, amount_col=amount_col
    )
    summary = _summarise(days.filter(pl.col(_DAY) <= start), start, unit)
    holdout = (
        days.filter((pl.col(_DAY) > start) & (pl.col(_DAY) <= end))
        .group_by(CUSTOMER_ID)
        .agg(
            pl.len().cast(pl.Int64).alias(FREQUENCY_HOLDOUT),
            pl.col(AMOUNT).mean().alias(MONETARY_VALUE_HOLDOUT),
        )
    )
    return (
        summary.join(holdout, on=CUSTOMER_ID, how="left")
        .with_columns(
            pl.col(FREQUENCY_HOLDOUT).fill_null(0),
            pl.col(MONETARY_VALUE_HOLDOUT).fill_null(0.0),
            pl.lit((end - start).days / unit, dtype=pl.Float64).alias(DURATION_HOLDOUT),
        )
        .sort(CUSTOMER_ID)
    )


def _summarise(days: pl.DataFrame, end: date, unit: float) -> pl.DataFrame:
    """Per-customer aggregates of purchase days sorted by customer and day, in one pass: each
    customer's rows are a contiguous run, summed with numpy's ``reduceat`` at the run starts."""
    ids = days.get_column(CUSTOMER_ID)
    if days.height == 0:
        per_customer = pl.DataFrame(
            {
                CUSTOMER_ID: ids,
                "_first": days.get_column(_DAY),
                "_last": days.get_column(_DAY),
                FREQUENCY: pl.Series([], dtype=pl.Int64),
                "_repeat_total": pl.Series([], dtype=pl.Float64),
            }
        )
    else:
        starts = np.flatnonzero(ids.ne_missing(ids.shift(1)).fill_null(True).to_numpy())
        ends = np.append(starts[1:], days.height) - 1
        day = days.get_column(_DAY)
        amount = days.get_column(AMOUNT).to_numpy()
        per_customer = pl.DataFrame(
            {
                CUSTOMER_ID: ids.gather(starts),
                "_first": day.gather(starts),
                "_last": day.gather(ends),
                FREQUENCY: pl.Series(ends - starts, dtype=pl.Int64),
                "_repeat_total": np.add.reduceat(amount, starts) - amount[starts],
            }
        )
    return per_customer.select(
        CUSTOMER_ID,
        FREQUENCY,
        ((pl.col("_last") - pl.col("_first")).dt.total_days() / unit).alias(RECENCY),
        ((pl.lit(end) - pl.col("_first")).dt.total_days() / unit).alias(AGE),
        pl.when(pl.col(FREQUENCY) > 0)
        .then(pl.col("_repeat_total") / pl.col(FREQUENCY))
        .otherwise(0.0)
        .alias(MONETARY_VALUE),
    ).sort(CUSTOMER_ID)


def _as_date(name: str, value: date | datetime | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for parse in (date.fromisoformat, lambda s: datetime.strptime(s, "%Y%m%d").date()):
        try:
            return parse(text)
        except ValueError:
            continue
    raise ModelDataError(f"{name} must be a date (YYYY-MM-DD or YYYYMMDD), not {value!r}")


def _as_day(frame: pl.DataFrame, col: str) -> pl.Expr:
    dtype = frame.schema[col]
    source = pl.col(col)
    if dtype == pl.Date:
        return source
    if isinstance(dtype, pl.Datetime):
        return source.dt.date()
    if dtype.is_integer():
        parsed = source.cast(pl.String).str.to_date("%Y%m%d", strict=False)
    elif dtype == pl.String:
        text = source.str.strip_chars()
        parsed = (
            pl.when(text.str.contains(r"^\d{8}$"))
            .then(text.str.to_date("%Y%m%d", strict=False))
            .otherwise(text.str.to_datetime(strict=False, time_unit="us").dt.date())
        )
    else:
        raise ModelDataError(f"column {col!r} must hold dates, not {dtype}")
    _check_parsed(frame, col, parsed, "a date (YYYY-MM-DD, YYYYMMDD or a timestamp)")
    return parsed


def _as_amount(frame: pl.DataFrame, col: str) -> pl.Expr:
    dtype = frame.schema[col]
    if dtype.is_numeric():
        return pl.col(col).cast(pl.Float64)
    if dtype != pl.String:
        raise ModelDataError(f"column {col!r} must hold amounts (numbers), not {dtype}")
    parsed = pl.col(col).str.strip_chars().cast(pl.Float64, strict=False)
    _check_parsed(frame, col, parsed, "a number")
    return parsed


def _check_parsed(frame: pl.DataFrame, col: str, parsed: pl.Expr, expected: str) -> None:
    bad = frame.filter(pl.col(col).is_not_null() & parsed.is_null()).get_column(col)
    if len(bad):
        raise ModelDataError(
            f"column {col!r} has {len(bad)} value(s) that are not {expected} (first: {bad[0]!r})"
        )

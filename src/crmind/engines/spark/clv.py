"""Lifetime value on Spark: the BTYD summary as DataFrame aggregations, the fit on the driver,
the scoring of every customer in pandas UDFs on the executors with the fitted models broadcast.

The summary follows :mod:`crmind.analytics.clv.summary` (a purchase day is a calendar day with a
positive net amount, rounded to 6 decimals before the test). Fitting BG/NBD and Gamma-Gamma needs
four numbers per customer and a few dozen likelihood evaluations, so it runs on the driver on the
collected summary, sorted by customer as the local engine's; scoring (expected purchases, P(alive),
CLV and its bootstrap interval over parameter draws) is the costly part and runs per batch.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pandas as pd
import polars as pl
from pyspark.sql import DataFrame
from pyspark.sql import functions as F  # noqa: N812

from crmind import columns as c
from crmind.analytics.clv.scoring import CLV_SCHEMA, ClvFit, ClvModels, fit_clv, score_clv
from crmind.analytics.clv.summary import (
    AGE,
    FREQUENCY,
    MONETARY_VALUE,
    RECENCY,
    purchase_summary,
)
from crmind.engines.spark.frames import to_polars
from crmind.errors import ModelDataError

CLV_DDL = ", ".join(
    f"{name} {'long' if dtype == pl.Int64 else 'double'}" for name, dtype in CLV_SCHEMA.items()
)
_CENT_DIGITS = 6  # day totals are rounded so, as the local summary rounds them

SUMMARY_DDL = f"{c.CUSTOMER_ID} long, {FREQUENCY} long, {RECENCY} double, {AGE} double, " + (
    f"{MONETARY_VALUE} double"
)


def spark_purchase_summary(lines: DataFrame, observation_end: datetime) -> DataFrame:
    """customer_id, frequency, recency, T (weeks) and monetary_value of every customer with a
    purchase day up to ``observation_end``'s day.

    The order lines are reduced to purchase days with a DataFrame aggregation (the heavy part:
    many lines a day); each customer's days are then summarised by the local code itself
    (:func:`~crmind.analytics.clv.summary.purchase_summary`) in a grouped pandas UDF over buckets
    of customers, so the sums run in the same order and the summary is the local one to the bit.
    """
    end = observation_end.date()
    days = (
        lines.filter(F.col(c.CUSTOMER_ID).isNotNull())
        .groupBy(c.CUSTOMER_ID, F.to_date(c.OCCURRED_AT).alias("day"))
        .agg(F.bround(F.sum(c.AMOUNT), _CENT_DIGITS).alias(c.AMOUNT))
        .filter((F.col(c.AMOUNT) > 0) & (F.col("day") <= F.lit(end)))
    )
    # one bucket of customers per shuffle partition: raise spark.sql.shuffle.partitions on a
    # cluster so that a bucket's purchase days fit a Python worker's memory
    buckets = int(lines.sparkSession.conf.get("spark.sql.shuffle.partitions") or "200")

    def summarise(batch: pd.DataFrame) -> pd.DataFrame:
        frame = pl.from_pandas(batch[[c.CUSTOMER_ID, "day", c.AMOUNT]])
        if frame.height == 0:
            return pl.DataFrame(schema=_SUMMARY_SCHEMA).to_pandas()
        summary = purchase_summary(frame, date_col="day", observation_end=end)
        return summary.cast(_SUMMARY_SCHEMA).to_pandas()  # type: ignore[arg-type]

    bucket = F.pmod(F.xxhash64(c.CUSTOMER_ID), F.lit(buckets))
    return days.groupBy(bucket.alias("_bucket")).applyInPandas(summarise, schema=SUMMARY_DDL)


_SUMMARY_SCHEMA: dict[str, pl.DataType] = {
    c.CUSTOMER_ID: pl.Int64(),
    FREQUENCY: pl.Int64(),
    RECENCY: pl.Float64(),
    AGE: pl.Float64(),
    MONETARY_VALUE: pl.Float64(),
}


def spark_clv(
    summary: DataFrame,
    *,
    horizon_months: int = 12,
    discount_rate_monthly: float = 0.01,
    n_draws: int = 200,
    random_state: int = 0,
) -> tuple[DataFrame, ClvFit]:
    """Fit on the driver, score on the executors: the CLV frame (a Spark DataFrame, one row per
    customer of ``summary``) and the record of the fit."""
    collected = to_polars(
        summary.select(c.CUSTOMER_ID, FREQUENCY, RECENCY, AGE, MONETARY_VALUE).orderBy(
            c.CUSTOMER_ID
        )
    )
    if collected.height == 0:
        raise ModelDataError("transactions have no purchase (no day with a positive amount)")
    models, fit = fit_clv(
        collected,
        horizon_months=horizon_months,
        discount_rate_monthly=discount_rate_monthly,
        n_draws=n_draws,
        random_state=random_state,
    )
    return score_clv_on_spark(summary, models), fit


def score_clv_on_spark(summary: DataFrame, models: ClvModels) -> DataFrame:
    """Score every row of a Spark ``summary`` with fitted ``models`` (broadcast to the
    executors) in a pandas UDF; the values are those :func:`score_clv` gives on the driver."""
    shared = summary.sparkSession.sparkContext.broadcast(models)

    def score(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        fitted: ClvModels = shared.value
        for batch in batches:
            frame = pl.from_pandas(batch)
            yield score_clv(fitted, frame).to_pandas()

    columns = summary.select(c.CUSTOMER_ID, FREQUENCY, RECENCY, AGE, MONETARY_VALUE)
    return columns.mapInPandas(score, schema=CLV_DDL)

"""Lifecycle stages of a few customers between two analysis runs, by the batch rules.

A purchase arriving in real time changes one customer's rhythm; restaging that customer must
not need the whole population profiled again. Two small steps make it possible:

- :func:`purchase_rhythm` summarises each customer's purchases (non-return orders) into what the
  lifecycle rules read: first and last purchase, distinct purchase days, the gap before the last
  purchase day. The numbers are the ones :func:`crmind.analytics.profile.build_profiles` computes
  (the mean gap is ``(last day - first day) / (purchase days - 1)``, as the gaps add up to it).
- :func:`live_stages` turns those summaries into profile rows as of a time of each customer's
  own and stages them with :func:`crmind.analytics.lifecycle.lifecycle_stages`: the same rules,
  thresholds and code as the analysis run, with the population gap of the last run passed in.

So a lapsed customer who buys again is, at once, what the next analysis run will call them
(``reactivated`` when the gap was long enough, else ``active``).
"""

from __future__ import annotations

from typing import Final

import polars as pl

from crmind import columns as c
from crmind.analytics.lifecycle import (
    LIFECYCLE_STAGE,
    LifecycleThresholds,
    lifecycle_stages,
)
from crmind.analytics.profile import (
    FREQUENCY,
    INTERPURCHASE_MEAN_DAYS,
    LAST_GAP_DAYS,
    RECENCY_DAYS,
    TENURE_DAYS,
    require_columns,
)

FIRST_PURCHASE_AT: Final = "first_purchase_at"
LAST_PURCHASE_AT: Final = "last_purchase_at"
PURCHASE_DAYS: Final = "purchase_days"
STAGE_AS_OF: Final = "stage_as_of"

RHYTHM_COLUMNS: Final = (
    c.CUSTOMER_ID,
    FIRST_PURCHASE_AT,
    LAST_PURCHASE_AT,
    PURCHASE_DAYS,
    LAST_GAP_DAYS,
)
"""What :func:`purchase_rhythm` returns, in order."""


def purchase_rhythm(purchases: pl.DataFrame) -> pl.DataFrame:
    """One row per customer of ``purchases`` (customer_id, occurred_at; one row per purchase).

    ``last_gap_days`` is null for a customer who bought on one day only.
    """
    require_columns(purchases, (c.CUSTOMER_ID, c.OCCURRED_AT), "purchases")
    days = (
        purchases.select(
            pl.col(c.CUSTOMER_ID).cast(pl.Int64),
            pl.col(c.OCCURRED_AT),
            pl.col(c.OCCURRED_AT).dt.date().alias("day"),
        )
        .drop_nulls(c.CUSTOMER_ID)
        .group_by(c.CUSTOMER_ID)
        .agg(
            pl.col(c.OCCURRED_AT).min().alias(FIRST_PURCHASE_AT),
            pl.col(c.OCCURRED_AT).max().alias(LAST_PURCHASE_AT),
            pl.col("day").unique().sort().alias("days"),
        )
    )
    last_two = pl.col("days").list.tail(2)
    return days.select(
        c.CUSTOMER_ID,
        FIRST_PURCHASE_AT,
        LAST_PURCHASE_AT,
        pl.col("days").list.len().cast(pl.Int64).alias(PURCHASE_DAYS),
        pl.when(pl.col("days").list.len() >= 2)
        .then((last_two.list.last() - last_two.list.first()).dt.total_days().cast(pl.Float64))
        .alias(LAST_GAP_DAYS),
    ).sort(c.CUSTOMER_ID)


def live_stages(
    rhythm: pl.DataFrame,
    *,
    population_gap: float | None,
    thresholds: LifecycleThresholds | None = None,
) -> pl.DataFrame:
    """The lifecycle stage of each row of ``rhythm`` as of its own ``stage_as_of``.

    ``rhythm`` has the columns of :func:`purchase_rhythm` and ``stage_as_of`` (a time at or after
    the last purchase). ``population_gap`` is the last analysis run's population gap (None: the
    threshold's fallback). Returns customer_id, lifecycle_stage, recency_days, recency_ratio.
    """
    require_columns(rhythm, (*RHYTHM_COLUMNS, STAGE_AS_OF), "rhythm")
    if rhythm.height == 0:
        return pl.DataFrame(
            schema={
                c.CUSTOMER_ID: pl.Int64,
                LIFECYCLE_STAGE: pl.String,
                RECENCY_DAYS: pl.Float64,
                "recency_ratio": pl.Float64,
            }
        )
    frequency = pl.col(PURCHASE_DAYS) - 1
    span = (
        pl.col(LAST_PURCHASE_AT).dt.date() - pl.col(FIRST_PURCHASE_AT).dt.date()
    ).dt.total_days()
    as_of = pl.col(STAGE_AS_OF)
    profiles = rhythm.select(
        pl.col(c.CUSTOMER_ID).cast(pl.Int64),
        (as_of - pl.col(FIRST_PURCHASE_AT)).dt.total_days(fractional=True).alias(TENURE_DAYS),
        (as_of - pl.col(LAST_PURCHASE_AT)).dt.total_days(fractional=True).alias(RECENCY_DAYS),
        frequency.cast(pl.Int64).alias(FREQUENCY),
        pl.when(frequency >= 1)
        .then(span.cast(pl.Float64) / frequency)
        .alias(INTERPURCHASE_MEAN_DAYS),
        pl.col(LAST_GAP_DAYS).cast(pl.Float64),
    )
    thresholds = thresholds or LifecycleThresholds()
    gap = thresholds.fallback_gap_days if population_gap is None else population_gap
    stages = lifecycle_stages(profiles, thresholds=thresholds, population_gap=gap)
    return stages.select(
        c.CUSTOMER_ID,
        pl.col(LIFECYCLE_STAGE).cast(pl.String),
        RECENCY_DAYS,
        "recency_ratio",
    )

"""RFM scores with Spark: the quintiles and named segments of :mod:`crmind.analytics.rfm`.

Each measure's score is ``1 + floor(5 * position / n)`` where ``position`` is the customer's
ordinal rank (ties broken by ``customer_id``), exactly as the local code scores; the segment
rules are the same :data:`~crmind.analytics.rfm.RFM_SEGMENTS`, turned into one ``CASE``
expression. The ordinal rank is a window over all customers, which Spark evaluates in one
partition: fine for tens of millions of customers (one row each), the heavy work on order lines
having been done by then.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F  # noqa: N812

from crmind import columns as c
from crmind.analytics.profile import MONETARY_TOTAL, ORDER_COUNT, RECENCY_DAYS
from crmind.analytics.rfm import (
    F_SCORE,
    FM_SCORE,
    M_SCORE,
    R_SCORE,
    RFM_COLUMNS,
    RFM_SCORE,
    RFM_SEGMENT,
    RFM_SEGMENTS,
    SegmentRule,
)
from crmind.errors import ModelDataError


def spark_rfm(profiles: DataFrame) -> DataFrame:
    """customer_id, r/f/m scores (1-5), fm_score, rfm_score and rfm_segment per customer."""
    measures = (RECENCY_DAYS, ORDER_COUNT, MONETARY_TOTAL)
    checks = profiles.agg(
        *(F.count_if(F.col(name).isNull()).alias(name) for name in (c.CUSTOMER_ID, *measures)),
        (F.count(F.lit(1)) - F.count_distinct(c.CUSTOMER_ID)).alias("_repeated"),
        F.count(F.lit(1)).alias("_n"),
    ).first()
    assert checks is not None
    nulls = {name: checks[name] for name in (c.CUSTOMER_ID, *measures) if checks[name]}
    if nulls:
        found = ", ".join(f"{name} ({n})" for name, n in nulls.items())
        raise ModelDataError(f"profiles have null values in {found}; RFM needs every value")
    if checks["_repeated"]:
        raise ModelDataError("profiles have repeated customer_id values; expected one row each")
    n = int(checks["_n"])
    scored = profiles.select(
        c.CUSTOMER_ID,
        _quintile(RECENCY_DAYS, n, best_is_low=True).alias(R_SCORE),
        _quintile(ORDER_COUNT, n).alias(F_SCORE),
        _quintile(MONETARY_TOTAL, n).alias(M_SCORE),
    )
    return scored.withColumns(
        {
            FM_SCORE: (F.col(F_SCORE) + F.col(M_SCORE)) / 2,
            RFM_SCORE: F.concat(
                *(F.col(name).cast("string") for name in (R_SCORE, F_SCORE, M_SCORE))
            ),
            RFM_SEGMENT: segment_column(),
        }
    ).select(*RFM_COLUMNS)


def segment_column() -> Column:
    """The segment name over the columns r_score, f_score and m_score."""
    by_name = {rule.name: rule for rule in RFM_SEGMENTS}
    r = F.col(R_SCORE)
    fm = (F.col(F_SCORE) + F.col(M_SCORE)) / 2

    def in_range(rule: SegmentRule) -> Column:
        return r.between(rule.r_min, rule.r_max) & fm.between(rule.fm_min, rule.fm_max)

    segment = F.lit(None).cast("string")
    for rule in RFM_SEGMENTS:
        holds = in_range(rule)
        for other in rule.unless:
            holds = holds & ~in_range(by_name[other])
        segment = F.when(holds, F.lit(rule.name)).otherwise(segment)
    return segment


def _quintile(measure: str, n: int, *, best_is_low: bool = False) -> Column:
    """Score 1-5 by ordinal rank of ``measure`` (ties by customer_id), balanced fifths."""
    key = F.desc(measure) if best_is_low else F.asc(measure)
    position = F.row_number().over(Window.orderBy(key, F.asc(c.CUSTOMER_ID))) - 1
    return (F.floor(position * 5 / F.lit(n)) + 1).cast("long")

"""Customer profiles with Spark DataFrame aggregations: the columns of
:func:`crmind.analytics.profile.build_profiles`, by the same rules (see that module).

Each feature group is one group-by (orders, purchase days with a lag window, money, categories,
channels, countries, events pivoted per type), joined on ``customer_id``. Ties are broken as the
local code breaks them (most spend, then category name; most orders, then latest, then country
name), so the same data gives the same values; sums of money may differ from polars' in the last
bits of a float, as they are added in another order.
"""

from __future__ import annotations

from datetime import datetime

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F  # noqa: N812

from crmind import columns as c
from crmind.analytics import profile as pf
from crmind.errors import ModelDataError

_DAYS_PER_MICRO = 1.0 / 86_400_000_000
"""Multiplying by the reciprocal is how polars' ``total_days(fractional=True)`` divides: the same
float operations give the same bits."""
_EMPTY_AS_OF = datetime(1970, 1, 1)


def resolve_as_of(lines: DataFrame, as_of: datetime | None) -> datetime:
    """``as_of`` as naive UTC; by default the last ``occurred_at`` of ``lines``."""
    if as_of is not None:
        return pf.naive_utc(as_of)
    latest = lines.agg(F.max(c.OCCURRED_AT)).first()
    value = latest[0] if latest is not None else None
    if value is None:
        return _EMPTY_AS_OF
    if not isinstance(value, datetime):
        raise ModelDataError(f"lines.occurred_at must hold datetimes, not {type(value)}")
    return value


def spark_profiles(
    lines: DataFrame,
    *,
    as_of: datetime,
    products: DataFrame | None = None,
    customers: DataFrame | None = None,
    events: DataFrame | None = None,
) -> DataFrame:
    """One row of features per customer who bought up to ``as_of`` (as ``build_profiles``)."""
    missing = [name for name in pf.LINE_COLUMNS if name not in lines.columns]
    if missing:
        raise ModelDataError(f"lines frame lacks column(s) {', '.join(missing)}")
    cutoff = F.lit(as_of).cast("timestamp")
    mine = lines.filter(F.col(c.CUSTOMER_ID).isNotNull() & (F.col(c.OCCURRED_AT) <= cutoff))
    orders = mine.groupBy(c.ORDER_ID).agg(
        F.first(c.CUSTOMER_ID).alias(c.CUSTOMER_ID),
        F.min(c.OCCURRED_AT).alias(c.OCCURRED_AT),
        F.first(c.IS_RETURN).alias(c.IS_RETURN),
        F.first(c.CHANNEL).alias(c.CHANNEL),
        F.first(c.COUNTRY).alias(c.COUNTRY),
    )
    purchases = orders.filter(~F.col(c.IS_RETURN))  # callers cache lines, not this
    profiles = (
        purchases.groupBy(c.CUSTOMER_ID)
        .agg(
            F.min(c.OCCURRED_AT).alias(pf.FIRST_ORDER_AT),
            F.max(c.OCCURRED_AT).alias(pf.LAST_ORDER_AT),
            F.count(F.lit(1)).alias(pf.ORDER_COUNT),
        )
        .join(_gap_features(purchases), c.CUSTOMER_ID, "left")
        .join(_money_features(mine), c.CUSTOMER_ID, "left")
        .join(_category_features(mine, products), c.CUSTOMER_ID, "left")
        .join(_channel_mix(purchases), c.CUSTOMER_ID, "left")
        .join(_countries(purchases, customers), c.CUSTOMER_ID, "left")
    )
    profiles = profiles.withColumns(
        {
            pf.AS_OF: cutoff,
            pf.TENURE_DAYS: _days_between(cutoff, F.col(pf.FIRST_ORDER_AT)),
            pf.RECENCY_DAYS: _days_between(cutoff, F.col(pf.LAST_ORDER_AT)),
            pf.MONETARY_MEAN: F.col(pf.MONETARY_TOTAL) / F.col(pf.ORDER_COUNT),
        }
    )
    if products is not None:
        profiles = profiles.fillna(0, subset=[pf.DISTINCT_CATEGORIES])
    profiles = profiles.select(*pf.PROFILE_COLUMNS)
    if events is not None:
        profiles = _add_event_counts(profiles, events, cutoff)
    return profiles


def _days_between(later: Column, earlier: Column) -> Column:
    """Days from ``earlier`` to ``later`` with fractions (microseconds times a day's inverse)."""
    return (F.unix_micros(later) - F.unix_micros(earlier)).cast("double") * F.lit(_DAYS_PER_MICRO)


def _gap_features(purchases: DataFrame) -> DataFrame:
    """Frequency and inter-purchase gaps, from the distinct purchase days of each customer."""
    days = purchases.select(c.CUSTOMER_ID, F.to_date(c.OCCURRED_AT).alias("day")).distinct()
    previous = F.lag("day").over(Window.partitionBy(c.CUSTOMER_ID).orderBy("day"))
    gaps = days.withColumn("gap", F.datediff("day", previous).cast("double"))
    mean = F.avg("gap")
    return gaps.groupBy(c.CUSTOMER_ID).agg(
        (F.count(F.lit(1)) - 1).alias(pf.FREQUENCY),
        mean.alias(pf.INTERPURCHASE_MEAN_DAYS),
        F.when(F.count("gap") >= 2, F.stddev_pop("gap") / mean).alias(pf.INTERPURCHASE_CV),
        F.max_by("gap", "day").alias(pf.LAST_GAP_DAYS),
    )


def _money_features(mine: DataFrame) -> DataFrame:
    """Net spend, returns and product breadth over every line of each customer."""
    amount = F.col(c.AMOUNT)
    bought = ~F.col(c.IS_RETURN) & (F.col(c.QUANTITY) > 0)
    sold = F.coalesce(F.sum(F.when(amount > 0, amount)), F.lit(0.0))
    returned = F.coalesce(F.sum(F.when(amount < 0, -amount)), F.lit(0.0))
    return mine.groupBy(c.CUSTOMER_ID).agg(
        F.sum(amount).alias(pf.MONETARY_TOTAL),
        F.count_distinct(F.when(bought, F.col(c.PRODUCT_ID))).alias(pf.DISTINCT_PRODUCTS),
        F.when(sold > 0, returned / sold).alias(pf.RETURNS_RATE),
        F.count_distinct(F.when(F.col(c.IS_RETURN), F.col(c.ORDER_ID))).alias(pf.RETURN_ORDERS),
    )


def _category_features(mine: DataFrame, products: DataFrame | None) -> DataFrame:
    """Distinct categories bought and the category with the most net spend."""
    spark = mine.sparkSession
    if products is None:
        return spark.createDataFrame(
            [],
            f"{c.CUSTOMER_ID} long, {pf.DISTINCT_CATEGORIES} long, {pf.FAVOURITE_CATEGORY} string",
        )
    catalogue = (
        products.select(
            F.col(c.PRODUCT_ID).cast("long").alias(c.PRODUCT_ID),
            F.col(c.CATEGORY).cast("string").alias(c.CATEGORY),
        )
        .dropna()
        .dropDuplicates([c.PRODUCT_ID])
    )
    categorised = mine.join(catalogue, c.PRODUCT_ID, "inner")
    bought = ~F.col(c.IS_RETURN) & (F.col(c.QUANTITY) > 0)
    breadth = categorised.groupBy(c.CUSTOMER_ID).agg(
        F.count_distinct(F.when(bought, F.col(c.CATEGORY))).alias(pf.DISTINCT_CATEGORIES)
    )
    best = Window.partitionBy(c.CUSTOMER_ID).orderBy(F.desc("spend"), F.asc(c.CATEGORY))
    favourite = (
        categorised.groupBy(c.CUSTOMER_ID, c.CATEGORY)
        .agg(F.sum(c.AMOUNT).alias("spend"))
        .filter(F.col("spend") > 0)
        .withColumn("_rank", F.row_number().over(best))
        .filter(F.col("_rank") == 1)
        .select(c.CUSTOMER_ID, F.col(c.CATEGORY).alias(pf.FAVOURITE_CATEGORY))
    )
    return breadth.join(favourite, c.CUSTOMER_ID, "left")


def _channel_mix(purchases: DataFrame) -> DataFrame:
    """Each customer's purchases by channel as a JSON object of shares (largest first)."""
    counted = (
        purchases.filter(F.col(c.CHANNEL).isNotNull())
        .groupBy(c.CUSTOMER_ID, c.CHANNEL)
        .agg(F.count(F.lit(1)).alias("n"))
        .withColumn("share", F.col("n") / F.sum("n").over(Window.partitionBy(c.CUSTOMER_ID)))
    )
    key = F.regexp_extract(F.to_json(F.array(c.CHANNEL)), r"^\[(.*)\]$", 1)
    entry = F.concat(key, F.lit(":"), F.round("share", 4).cast("string"))
    item = F.struct(
        (-F.col("share")).alias("order"), F.col(c.CHANNEL).alias("channel"), entry.alias("entry")
    )
    ordered = F.array_sort(F.collect_list(item))
    joined = F.array_join(F.transform(ordered, lambda one: one["entry"]), ",")
    return counted.groupBy(c.CUSTOMER_ID).agg(
        F.concat(F.lit("{"), joined, F.lit("}")).alias(pf.CHANNEL_MIX)
    )


def _countries(purchases: DataFrame, customers: DataFrame | None) -> DataFrame:
    """The country most purchases name (ties: latest, then name), else the customer's own."""
    usual_order = Window.partitionBy(c.CUSTOMER_ID).orderBy(
        F.desc("orders"), F.desc("seen"), F.asc(c.COUNTRY)
    )
    usual = (
        purchases.filter(F.col(c.COUNTRY).isNotNull())
        .groupBy(c.CUSTOMER_ID, c.COUNTRY)
        .agg(F.count(F.lit(1)).alias("orders"), F.max(c.OCCURRED_AT).alias("seen"))
        .withColumn("_rank", F.row_number().over(usual_order))
        .filter(F.col("_rank") == 1)
        .select(c.CUSTOMER_ID, c.COUNTRY)
    )
    if customers is None:
        return usual
    recorded = (
        customers.select(
            F.col(c.CUSTOMER_ID).cast("long").alias(c.CUSTOMER_ID),
            F.col(c.COUNTRY).cast("string").alias("recorded"),
        )
        .dropna()
        .dropDuplicates([c.CUSTOMER_ID])
    )
    return (
        purchases.select(c.CUSTOMER_ID)
        .distinct()
        .join(usual, c.CUSTOMER_ID, "left")
        .join(recorded, c.CUSTOMER_ID, "left")
        .select(c.CUSTOMER_ID, F.coalesce(c.COUNTRY, "recorded").alias(c.COUNTRY))
    )


def _add_event_counts(profiles: DataFrame, events: DataFrame, cutoff: Column) -> DataFrame:
    """One ``events_<type>`` column per event type: each customer's count up to ``cutoff``."""
    kind = F.regexp_replace(
        F.regexp_replace(F.lower(F.col(c.EVENT_TYPE).cast("string")), "[^0-9a-z]+", "_"),
        "^_+|_+$",
        "",
    )
    column = F.concat(F.lit(pf.EVENTS_PREFIX), F.when(kind == "", "other").otherwise(kind))
    counts = (
        events.filter(
            F.col(c.CUSTOMER_ID).isNotNull()
            & F.col(c.EVENT_TYPE).isNotNull()
            & (F.col(c.OCCURRED_AT) <= cutoff)
        )
        .select(F.col(c.CUSTOMER_ID).cast("long").alias(c.CUSTOMER_ID), column.alias("column"))
        .groupBy(c.CUSTOMER_ID, "column")
        .agg(F.count(F.lit(1)).alias("n"))
    )
    names = sorted(row[0] for row in counts.select("column").distinct().collect())
    if not names:
        return profiles
    wide = counts.groupBy(c.CUSTOMER_ID).pivot("column", names).agg(F.sum("n"))
    joined = profiles.join(wide, c.CUSTOMER_ID, "left")
    return joined.withColumns(
        {name: F.coalesce(F.col(name), F.lit(0)).cast("long") for name in names}
    )

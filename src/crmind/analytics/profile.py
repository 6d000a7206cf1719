"""Customer profiles: one row of behavioural features per customer, built from order lines.

:func:`build_profiles` takes the frame :func:`crmind.store.frames.order_lines` returns and
summarises every customer with at least one non-return order up to ``as_of`` (default: the last
order time in ``lines``). Only lines with ``occurred_at <= as_of`` count; guest lines (null
``customer_id``) are ignored. Every line counts, ``is_outlier`` ones too: filter ``lines`` first to
leave them out. All work is vectorised polars (group-by, joins); the full UCI Online Retail data
(536k lines, 4,339 customers) takes a fraction of a second.

A *purchase* is a non-return order; a *purchase day* is a calendar day with at least one; a *gap*
is the number of days between two consecutive purchase days (a whole number, at least 1). Money
is netted: a return line carries a negative ``amount``, so it lowers the spend it follows.

=======================  ========  ===============================================================
column                   type      meaning
=======================  ========  ===============================================================
customer_id              Int64     the customer
as_of                    Datetime  the cut-off the profile describes (the same on every row)
first_order_at           Datetime  time of the first purchase
last_order_at            Datetime  time of the last purchase
tenure_days              Float64   ``as_of - first_order_at`` in days (with fractions)
recency_days             Float64   ``as_of - last_order_at`` in days (with fractions)
order_count              Int64     distinct purchases (non-return orders)
frequency                Int64     repeat purchases as in BTYD models: purchase days - 1
monetary_total           Float64   net spend: the sum of ``amount`` over all lines (returns are
                                   negative)
monetary_mean            Float64   ``monetary_total / order_count``
distinct_products        Int64     distinct products bought (purchase lines with quantity > 0)
distinct_categories      Int64     distinct categories of those products; null without ``products``
favourite_category       String    category with the largest positive net spend (ties: first by
                                   name); null without ``products`` or categorised spend
interpurchase_mean_days  Float64   mean gap; null with one purchase day
interpurchase_cv         Float64   population standard deviation / mean of the gaps (0 = clockwork
                                   regular); null with fewer than 2 gaps
last_gap_days            Float64   the gap before the last purchase day; null with one purchase day
returns_rate             Float64   returned / sold value, ``-sum(amount < 0) / sum(amount > 0)``;
                                   can pass 1 when older purchases are returned; null if nothing
                                   was sold at a price
return_orders            Int64     distinct return orders
channel_mix              String    JSON object ``{"channel": share, ...}``: each channel's share of
                                   the purchases that name a channel (4 decimals, largest first);
                                   null when none does. Read it with ``json.loads``.
country                  String    the country most of the customer's purchases name (ties: the
                                   latest used, then by name); else ``customers.country``
events_<type>            Int64     with ``events``: how many events of each type up to ``as_of``,
                                   one column per type (lower-cased, runs of other characters
                                   turned into ``_``), 0 where none
=======================  ========  ===============================================================

Optional frames: ``products`` (product_id, category), ``customers`` (customer_id, country) and
``events`` (customer_id, event_type, occurred_at). Rows are sorted by ``customer_id``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Final

import polars as pl

from crmind import columns as c
from crmind.errors import ModelDataError

AS_OF: Final = "as_of"
FIRST_ORDER_AT: Final = "first_order_at"
LAST_ORDER_AT: Final = "last_order_at"
TENURE_DAYS: Final = "tenure_days"
RECENCY_DAYS: Final = "recency_days"
ORDER_COUNT: Final = "order_count"
FREQUENCY: Final = "frequency"
MONETARY_TOTAL: Final = "monetary_total"
MONETARY_MEAN: Final = "monetary_mean"
DISTINCT_PRODUCTS: Final = "distinct_products"
DISTINCT_CATEGORIES: Final = "distinct_categories"
FAVOURITE_CATEGORY: Final = "favourite_category"
INTERPURCHASE_MEAN_DAYS: Final = "interpurchase_mean_days"
INTERPURCHASE_CV: Final = "interpurchase_cv"
LAST_GAP_DAYS: Final = "last_gap_days"
RETURNS_RATE: Final = "returns_rate"
RETURN_ORDERS: Final = "return_orders"
CHANNEL_MIX: Final = "channel_mix"
EVENTS_PREFIX: Final = "events_"

PROFILE_COLUMNS: Final = (
    c.CUSTOMER_ID,
    AS_OF,
    FIRST_ORDER_AT,
    LAST_ORDER_AT,
    TENURE_DAYS,
    RECENCY_DAYS,
    ORDER_COUNT,
    FREQUENCY,
    MONETARY_TOTAL,
    MONETARY_MEAN,
    DISTINCT_PRODUCTS,
    DISTINCT_CATEGORIES,
    FAVOURITE_CATEGORY,
    INTERPURCHASE_MEAN_DAYS,
    INTERPURCHASE_CV,
    LAST_GAP_DAYS,
    RETURNS_RATE,
    RETURN_ORDERS,
    CHANNEL_MIX,
    c.COUNTRY,
)
"""The columns every profile frame has, in order (``events_<type>`` columns follow them)."""

LINE_COLUMNS: Final = (
    c.CUSTOMER_ID,
    c.ORDER_ID,
    c.OCCURRED_AT,
    c.IS_RETURN,
    c.CHANNEL,
    c.COUNTRY,
    c.PRODUCT_ID,
    c.QUANTITY,
    c.AMOUNT,
)
"""The columns of ``order_lines`` that :func:`build_profiles` reads."""

_CID = pl.col(c.CUSTOMER_ID)
_AMOUNT = pl.col(c.AMOUNT)
_PURCHASE = ~pl.col(c.IS_RETURN)
_EMPTY_AS_OF = datetime(1970, 1, 1)  # stands in for the cut-off of data with no lines at all


def require_columns(frame: pl.DataFrame, needed: Iterable[str], what: str) -> None:
    """Raise ModelDataError naming the columns of ``needed`` that ``frame`` lacks."""
    missing = [name for name in needed if name not in frame.columns]
    if missing:
        raise ModelDataError(
            f"{what} frame lacks column(s) {', '.join(missing)}; it has {', '.join(frame.columns)}"
        )


def resolve_as_of(lines: pl.DataFrame, as_of: datetime | None) -> datetime | None:
    """``as_of`` as a naive UTC time; by default the last ``occurred_at`` of ``lines``.

    None when ``as_of`` is None and ``lines`` is empty.
    """
    if as_of is None:
        latest = lines[c.OCCURRED_AT].max()
        if latest is not None and not isinstance(latest, datetime):
            raise ModelDataError(f"lines.occurred_at must hold datetimes, not {type(latest)}")
        return latest
    return naive_utc(as_of)


def naive_utc(moment: datetime) -> datetime:
    """``moment`` as the naive UTC time the store's frames hold (naive times are taken as UTC)."""
    if moment.tzinfo is not None:
        return moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def build_profiles(
    lines: pl.DataFrame,
    *,
    products: pl.DataFrame | None = None,
    customers: pl.DataFrame | None = None,
    events: pl.DataFrame | None = None,
    as_of: datetime | None = None,
) -> pl.DataFrame:
    """One row of features per customer who bought before ``as_of`` (see the module docstring)."""
    require_columns(lines, LINE_COLUMNS, "lines")
    cutoff = resolve_as_of(lines, as_of) or _EMPTY_AS_OF
    mine = lines.filter(_CID.is_not_null() & (pl.col(c.OCCURRED_AT) <= cutoff))
    orders = mine.group_by(c.ORDER_ID).agg(
        _CID.first(),
        pl.col(c.OCCURRED_AT).min(),
        pl.col(c.IS_RETURN).first(),
        pl.col(c.CHANNEL).first(),
        pl.col(c.COUNTRY).first(),
    )
    purchases = orders.filter(_PURCHASE)

    profiles = (
        purchases.group_by(c.CUSTOMER_ID)
        .agg(
            pl.col(c.OCCURRED_AT).min().alias(FIRST_ORDER_AT),
            pl.col(c.OCCURRED_AT).max().alias(LAST_ORDER_AT),
            pl.len().cast(pl.Int64).alias(ORDER_COUNT),
        )
        .join(_gap_features(purchases), on=c.CUSTOMER_ID, how="left")
        .join(_money_features(mine), on=c.CUSTOMER_ID, how="left")
        .join(_category_features(mine, products), on=c.CUSTOMER_ID, how="left")
        .join(_channel_mix(purchases), on=c.CUSTOMER_ID, how="left")
        .join(_countries(purchases, customers), on=c.CUSTOMER_ID, how="left")
    )
    at = pl.lit(cutoff, dtype=pl.Datetime("us"))
    profiles = profiles.with_columns(
        at.alias(AS_OF),
        (at - pl.col(FIRST_ORDER_AT)).dt.total_days(fractional=True).alias(TENURE_DAYS),
        (at - pl.col(LAST_ORDER_AT)).dt.total_days(fractional=True).alias(RECENCY_DAYS),
        (pl.col(MONETARY_TOTAL) / pl.col(ORDER_COUNT)).alias(MONETARY_MEAN),
    )
    if products is not None:
        profiles = profiles.with_columns(pl.col(DISTINCT_CATEGORIES).fill_null(0))
    profiles = profiles.select(PROFILE_COLUMNS).sort(c.CUSTOMER_ID)
    if events is not None:
        profiles = _add_event_counts(profiles, events, cutoff)
    return profiles


def _gap_features(purchases: pl.DataFrame) -> pl.DataFrame:
    """Frequency and inter-purchase gaps, from the distinct purchase days of each customer."""
    days = (
        purchases.select(c.CUSTOMER_ID, pl.col(c.OCCURRED_AT).dt.date().alias("day"))
        .unique()
        .sort(c.CUSTOMER_ID, "day")
    )
    gap = pl.col("day").diff().dt.total_days().cast(pl.Float64)
    same_customer = pl.col(c.CUSTOMER_ID).shift() == pl.col(c.CUSTOMER_ID)
    gaps = days.with_columns(pl.when(same_customer).then(gap).alias("gap"))
    mean = pl.col("gap").mean()
    return gaps.group_by(c.CUSTOMER_ID).agg(
        (pl.len().cast(pl.Int64) - 1).alias(FREQUENCY),
        mean.alias(INTERPURCHASE_MEAN_DAYS),
        pl.when(pl.col("gap").count() >= 2)
        .then(pl.col("gap").std(ddof=0) / mean)
        .alias(INTERPURCHASE_CV),
        pl.col("gap").sort_by("day").last().alias(LAST_GAP_DAYS),
    )


def _money_features(mine: pl.DataFrame) -> pl.DataFrame:
    """Net spend, returns and product breadth over every line of each customer."""
    bought = _PURCHASE & (pl.col(c.QUANTITY) > 0)
    sold = _AMOUNT.filter(_AMOUNT > 0).sum()
    returned = (-_AMOUNT).filter(_AMOUNT < 0).sum()
    return mine.group_by(c.CUSTOMER_ID).agg(
        _AMOUNT.sum().alias(MONETARY_TOTAL),
        pl.col(c.PRODUCT_ID)
        .filter(bought)
        .drop_nulls()
        .n_unique()
        .cast(pl.Int64)
        .alias(DISTINCT_PRODUCTS),
        pl.when(sold > 0).then(returned / sold).alias(RETURNS_RATE),
        pl.col(c.ORDER_ID)
        .filter(pl.col(c.IS_RETURN))
        .n_unique()
        .cast(pl.Int64)
        .alias(RETURN_ORDERS),
    )


def _category_features(mine: pl.DataFrame, products: pl.DataFrame | None) -> pl.DataFrame:
    """Distinct categories bought and the category with the most net spend."""
    if products is None:
        return pl.DataFrame(
            schema={
                c.CUSTOMER_ID: pl.Int64,
                DISTINCT_CATEGORIES: pl.Int64,
                FAVOURITE_CATEGORY: pl.String,
            }
        )
    require_columns(products, (c.PRODUCT_ID, c.CATEGORY), "products")
    catalogue = (
        products.select(pl.col(c.PRODUCT_ID).cast(pl.Int64), pl.col(c.CATEGORY).cast(pl.String))
        .drop_nulls()
        .unique(c.PRODUCT_ID, keep="first", maintain_order=True)
    )
    categorised = mine.join(catalogue, on=c.PRODUCT_ID, how="inner")
    breadth = categorised.group_by(c.CUSTOMER_ID).agg(
        pl.col(c.CATEGORY)
        .filter(_PURCHASE & (pl.col(c.QUANTITY) > 0))
        .n_unique()
        .cast(pl.Int64)
        .alias(DISTINCT_CATEGORIES)
    )
    favourite = (
        categorised.group_by(c.CUSTOMER_ID, c.CATEGORY)
        .agg(_AMOUNT.sum().alias("spend"))
        .filter(pl.col("spend") > 0)
        .sort([c.CUSTOMER_ID, "spend", c.CATEGORY], descending=[False, True, False])
        .unique(c.CUSTOMER_ID, keep="first", maintain_order=True)
        .select(c.CUSTOMER_ID, pl.col(c.CATEGORY).alias(FAVOURITE_CATEGORY))
    )
    return breadth.join(favourite, on=c.CUSTOMER_ID, how="left")


def _channel_mix(purchases: pl.DataFrame) -> pl.DataFrame:
    """Each customer's purchases by channel as a JSON object of shares."""
    counted = (
        purchases.drop_nulls(c.CHANNEL)
        .group_by(c.CUSTOMER_ID, c.CHANNEL)
        .len()
        .with_columns((pl.col("len") / pl.col("len").sum().over(c.CUSTOMER_ID)).alias("share"))
    )
    names = counted[c.CHANNEL].unique()
    keys = pl.DataFrame(  # JSON-quote each distinct channel name once, not once per row
        {c.CHANNEL: names, "key": [json.dumps(name) for name in names]},
        schema={c.CHANNEL: pl.String, "key": pl.String},
    )
    entry = pl.concat_str(pl.col("key"), pl.lit(":"), pl.col("share").round(4).cast(pl.String))
    return (
        counted.join(keys, on=c.CHANNEL)
        .sort([c.CUSTOMER_ID, "share", c.CHANNEL], descending=[False, True, False])
        .group_by(c.CUSTOMER_ID, maintain_order=True)
        .agg(entry.str.join(","))
        .select(
            c.CUSTOMER_ID,
            pl.concat_str(pl.lit("{"), pl.col("key"), pl.lit("}")).alias(CHANNEL_MIX),
        )
    )


def _countries(purchases: pl.DataFrame, customers: pl.DataFrame | None) -> pl.DataFrame:
    """The country most purchases name, else the one the customer record gives."""
    usual = (
        purchases.drop_nulls(c.COUNTRY)
        .group_by(c.CUSTOMER_ID, c.COUNTRY)
        .agg(pl.len().alias("orders"), pl.col(c.OCCURRED_AT).max().alias("seen"))
        .sort([c.CUSTOMER_ID, "orders", "seen", c.COUNTRY], descending=[False, True, True, False])
        .unique(c.CUSTOMER_ID, keep="first", maintain_order=True)
        .select(c.CUSTOMER_ID, c.COUNTRY)
    )
    if customers is None:
        return usual
    require_columns(customers, (c.CUSTOMER_ID, c.COUNTRY), "customers")
    recorded = (
        customers.select(pl.col(c.CUSTOMER_ID).cast(pl.Int64), pl.col(c.COUNTRY).cast(pl.String))
        .drop_nulls()
        .unique(c.CUSTOMER_ID, keep="first", maintain_order=True)
        .rename({c.COUNTRY: "recorded"})
    )
    return (
        purchases.select(c.CUSTOMER_ID)
        .unique()
        .join(usual, on=c.CUSTOMER_ID, how="left")
        .join(recorded, on=c.CUSTOMER_ID, how="left")
        .select(c.CUSTOMER_ID, pl.coalesce(c.COUNTRY, "recorded").alias(c.COUNTRY))
    )


def _add_event_counts(
    profiles: pl.DataFrame, events: pl.DataFrame, cutoff: datetime
) -> pl.DataFrame:
    """One ``events_<type>`` column per event type: each customer's count up to ``cutoff``."""
    require_columns(events, (c.CUSTOMER_ID, c.EVENT_TYPE, c.OCCURRED_AT), "events")
    kind = (
        pl.col(c.EVENT_TYPE)
        .cast(pl.String)
        .str.to_lowercase()
        .str.replace_all(r"[^0-9a-z]+", "_")
        .str.strip_chars("_")
    )
    counts = (  # count first, so the names are cleaned once per customer and type
        events.filter(
            pl.col(c.CUSTOMER_ID).is_not_null()
            & pl.col(c.EVENT_TYPE).is_not_null()
            & (pl.col(c.OCCURRED_AT) <= cutoff)
        )
        .group_by(c.CUSTOMER_ID, c.EVENT_TYPE)
        .len()
        .select(
            pl.col(c.CUSTOMER_ID).cast(pl.Int64),
            (
                pl.lit(EVENTS_PREFIX) + pl.when(kind == "").then(pl.lit("other")).otherwise(kind)
            ).alias("column"),
            "len",
        )
        .group_by(c.CUSTOMER_ID, "column")
        .agg(pl.col("len").sum())
    )
    if counts.is_empty():
        return profiles
    wide = counts.pivot(
        "column", index=c.CUSTOMER_ID, values="len", aggregate_function="sum", sort_columns=True
    )
    added = [name for name in wide.columns if name != c.CUSTOMER_ID]
    return profiles.join(wide, on=c.CUSTOMER_ID, how="left").with_columns(
        pl.col(added).fill_null(0).cast(pl.Int64)
    )

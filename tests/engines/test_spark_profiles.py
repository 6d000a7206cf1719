"""Spark profiles on a hand-made shop: the columns Online Retail leaves empty (channels, events,
countries from the customer record, categories) come out as the local engine builds them."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from crmind.analytics.profile import build_profiles
from crmind.engines.spark.frames import to_polars, to_spark
from crmind.engines.spark.profiles import spark_profiles
from tests.engines.frames_match import assert_frames_match

AS_OF = datetime(2024, 3, 31, 12, 0)


def shop() -> dict[str, pl.DataFrame]:
    rows = [
        # customer, order, time, return, channel, country, product, quantity, amount
        (1, 10, datetime(2024, 1, 5, 9), False, "web", "FR", 100, 2.0, 20.0),
        (1, 10, datetime(2024, 1, 5, 9), False, "web", "FR", 101, 1.0, 5.5),
        (1, 11, datetime(2024, 2, 1, 18), False, "store", "FR", 100, 1.0, 10.0),
        (1, 12, datetime(2024, 2, 3, 8), True, "web", "FR", 100, -1.0, -10.0),
        (1, 13, datetime(2024, 3, 30, 23, 59), False, "app", "DE", 102, 3.0, 33.3),
        (2, 20, datetime(2024, 3, 1, 0, 0), False, None, None, 101, 1.0, 5.5),
        (2, 21, datetime(2024, 3, 1, 22, 0), False, "web", None, 999, 1.0, 1.0),
        (3, 30, datetime(2024, 4, 2), False, "web", "GB", 100, 1.0, 10.0),  # after as_of
        (None, 40, datetime(2024, 1, 1), False, "web", "GB", 100, 1.0, 10.0),  # a guest
        (4, 50, datetime(2024, 1, 1), True, "web", "GB", 100, -1.0, -10.0),  # returns only
    ]
    names = ["customer_id", "order_id", "occurred_at", "is_return", "channel", "country"]
    names += ["product_id", "quantity", "amount"]
    lines = pl.DataFrame(rows, schema=names, orient="row").with_columns(
        pl.col("occurred_at").cast(pl.Datetime("us"))
    )
    products = pl.DataFrame({"product_id": [100, 101, 102], "category": ["toys", "books", None]})
    customers = pl.DataFrame({"customer_id": [1, 2, 3], "country": ["FR", "NL", "GB"]})
    events = pl.DataFrame(
        {
            "customer_id": [1, 1, 2, 2, None, 1],
            "event_type": ["Page View", "page-view", "Add to cart!", "!!!", "Page View", "x"],
            "occurred_at": [datetime(2024, 3, day) for day in (1, 2, 3, 4, 5, 31)],
        }
    ).with_columns(pl.col("occurred_at").cast(pl.Datetime("us")))
    return {"lines": lines, "products": products, "customers": customers, "events": events}


def test_channels_events_countries_and_categories_match_the_local_profiles(
    spark: object,
) -> None:
    frames = shop()
    local = build_profiles(
        frames["lines"],
        products=frames["products"],
        customers=frames["customers"],
        events=frames["events"],
        as_of=AS_OF,
    )
    remote = spark_profiles(
        to_spark(spark, frames["lines"]),  # type: ignore[arg-type]
        as_of=AS_OF,
        products=to_spark(spark, frames["products"]),  # type: ignore[arg-type]
        customers=to_spark(spark, frames["customers"]),  # type: ignore[arg-type]
        events=to_spark(spark, frames["events"]),  # type: ignore[arg-type]
    )
    collected = to_polars(remote.orderBy("customer_id"))
    assert local["customer_id"].to_list() == [1, 2]
    assert [c for c in local.columns if c.startswith("events_")] == [
        "events_add_to_cart",
        "events_other",
        "events_page_view",
        "events_x",
    ]
    assert local["channel_mix"].to_list() == [
        '{"app":0.3333,"store":0.3333,"web":0.3333}',
        '{"web":1.0}',
    ]
    assert local["country"].to_list() == ["FR", "NL"]
    assert_frames_match(local, collected)

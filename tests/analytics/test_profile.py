from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from crmind.analytics.lifecycle import LIFECYCLE_STAGES, lifecycle_stages
from crmind.analytics.profile import PROFILE_COLUMNS, build_profiles
from crmind.analytics.rfm import RFM_SEGMENT_NAMES, rfm_scores
from crmind.errors import ModelDataError
from crmind.privacy.binding import attach_cipher
from crmind.services.demo import import_demo_data
from crmind.store.db import make_engine
from crmind.store.frames import ORDER_LINE_TYPES, order_lines, table_frame
from crmind.store.migrate import upgrade
from tests.store_cipher import TEST_CIPHER

ANN, BOB, CAT = 1, 2, 3
AS_OF = datetime(2024, 3, 31)


def lines_frame(orders: list[dict[str, Any]]) -> pl.DataFrame:
    """An order_lines frame: each order a dict with its lines as (product, quantity, price)."""
    rows: list[dict[str, Any]] = []
    for order_id, order in enumerate(orders, start=1):
        for number, (product, quantity, price) in enumerate(order["lines"], start=1):
            rows.append(
                {
                    "line_id": len(rows) + 1,
                    "order_id": order_id,
                    "order_number": str(order_id),
                    "source": "test",
                    "customer_id": order.get("customer"),
                    "occurred_at": order["at"],
                    "is_return": order.get("is_return", False),
                    "channel": order.get("channel"),
                    "country": order.get("country"),
                    "currency": "EUR",
                    "line_number": number,
                    "product_id": product,
                    "quantity": float(quantity),
                    "unit_price": float(price),
                    "amount": float(quantity * price),
                    "is_outlier": False,
                }
            )
    return pl.DataFrame(rows, schema=ORDER_LINE_TYPES)


ORDERS: list[dict[str, Any]] = [
    # Ann: purchase days Jan 1 (two orders), Jan 11, Jan 31; one return in between
    {"customer": ANN, "at": datetime(2024, 1, 1, 10), "channel": "web", "country": "GB",
     "lines": [(10, 2, 5.0), (11, 1, 20.0)]},
    {"customer": ANN, "at": datetime(2024, 1, 1, 15), "channel": "store", "country": "GB",
     "lines": [(10, 1, 5.0)]},
    {"customer": ANN, "at": datetime(2024, 1, 11, 9), "channel": "web", "country": "FR",
     "lines": [(12, 1, 40.0)]},
    {"customer": ANN, "at": datetime(2024, 1, 15), "channel": "web", "country": "FR",
     "is_return": True, "lines": [(11, -1, 20.0)]},
    {"customer": ANN, "at": datetime(2024, 1, 31, 10), "channel": "web", "country": "GB",
     "lines": [(12, 1, 15.0)]},
    # Bob: one order on the last day, no channel or country, a product without category
    {"customer": BOB, "at": AS_OF, "lines": [(13, 3, 2.0)]},
    # Cat only returned something: no profile
    {"customer": CAT, "at": datetime(2024, 2, 1), "is_return": True, "lines": [(10, -1, 5.0)]},
    # a guest order: ignored
    {"customer": None, "at": datetime(2024, 2, 15), "lines": [(12, 5, 20.0)]},
]  # fmt: skip

PRODUCTS = pl.DataFrame(
    {"product_id": [10, 11, 12, 13], "category": ["kitchen", "garden", "kitchen", None]}
)
CUSTOMERS = pl.DataFrame({"customer_id": [ANN, BOB, CAT], "country": ["IE", "DE", None]})


@pytest.fixture
def lines() -> pl.DataFrame:
    return lines_frame(ORDERS)


def row(profiles: pl.DataFrame, customer: int) -> dict[str, Any]:
    return profiles.filter(pl.col("customer_id") == customer).row(0, named=True)


def test_profiles_have_the_documented_columns_one_row_per_buying_customer(
    lines: pl.DataFrame,
) -> None:
    profiles = build_profiles(lines)
    assert profiles.columns == list(PROFILE_COLUMNS)
    assert profiles["customer_id"].to_list() == [ANN, BOB]  # no returns-only customer, no guest
    assert profiles["as_of"].to_list() == [AS_OF, AS_OF]  # default: the last order time


def test_profile_values_of_a_repeat_customer(lines: pl.DataFrame) -> None:
    ann = row(build_profiles(lines, products=PRODUCTS, customers=CUSTOMERS), ANN)
    assert ann["first_order_at"] == datetime(2024, 1, 1, 10)
    assert ann["last_order_at"] == datetime(2024, 1, 31, 10)
    assert ann["tenure_days"] == pytest.approx(89 + 14 / 24)
    assert ann["recency_days"] == pytest.approx(59 + 14 / 24)
    assert ann["order_count"] == 4  # the return is not an order
    assert ann["frequency"] == 2  # three purchase days
    assert ann["monetary_total"] == pytest.approx(30 + 5 + 40 - 20 + 15)  # the return is netted
    assert ann["monetary_mean"] == pytest.approx(70 / 4)
    assert ann["distinct_products"] == 3
    assert ann["distinct_categories"] == 2
    assert ann["favourite_category"] == "kitchen"  # garden's spend was returned
    assert ann["interpurchase_mean_days"] == pytest.approx(15.0)  # gaps of 10 and 20 days
    assert ann["interpurchase_cv"] == pytest.approx(5 / 15)  # population std 5
    assert ann["last_gap_days"] == pytest.approx(20.0)
    assert ann["returns_rate"] == pytest.approx(20 / 90)
    assert ann["return_orders"] == 1
    assert json.loads(ann["channel_mix"]) == {"web": 0.75, "store": 0.25}
    assert list(json.loads(ann["channel_mix"])) == ["web", "store"]  # largest share first
    assert ann["country"] == "GB"  # most purchases; the record's IE only fills gaps


def test_profile_values_of_a_one_time_customer(lines: pl.DataFrame) -> None:
    bob = row(build_profiles(lines, products=PRODUCTS, customers=CUSTOMERS), BOB)
    assert (bob["tenure_days"], bob["recency_days"]) == (0.0, 0.0)
    assert (bob["order_count"], bob["frequency"]) == (1, 0)
    assert bob["monetary_total"] == pytest.approx(6.0)
    assert (bob["distinct_products"], bob["distinct_categories"]) == (1, 0)
    assert bob["favourite_category"] is None
    assert bob["interpurchase_mean_days"] is None
    assert bob["interpurchase_cv"] is None
    assert bob["last_gap_days"] is None
    assert bob["returns_rate"] == 0.0
    assert bob["return_orders"] == 0
    assert bob["channel_mix"] is None
    assert bob["country"] == "DE"  # from the customer record: no order names a country


def test_without_products_or_customers_the_columns_they_feed_are_null(
    lines: pl.DataFrame,
) -> None:
    profiles = build_profiles(lines)
    assert profiles["distinct_categories"].null_count() == 2
    assert profiles["favourite_category"].null_count() == 2
    assert profiles["country"].to_list() == ["GB", None]


def test_as_of_leaves_out_later_lines(lines: pl.DataFrame) -> None:
    cutoff = datetime(2024, 1, 12)
    profiles = build_profiles(lines, as_of=cutoff)
    assert profiles["customer_id"].to_list() == [ANN]
    ann = row(profiles, ANN)
    assert ann["as_of"] == cutoff
    assert ann["order_count"] == 3
    assert ann["monetary_total"] == pytest.approx(75.0)  # the Jan 15 return is later
    assert ann["return_orders"] == 0
    assert ann["returns_rate"] == 0.0
    assert ann["frequency"] == 1
    assert ann["interpurchase_mean_days"] == pytest.approx(10.0)
    assert ann["interpurchase_cv"] is None  # one gap only
    assert ann["recency_days"] == pytest.approx(15 / 24)
    assert json.loads(ann["channel_mix"]) == pytest.approx({"web": 2 / 3, "store": 1 / 3}, 1e-4)


def test_an_aware_as_of_is_taken_in_utc(lines: pl.DataFrame) -> None:
    aware = datetime(2024, 1, 12, 1, tzinfo=UTC).astimezone()  # any zone, same instant
    naive = build_profiles(lines, as_of=datetime(2024, 1, 12, 1))
    assert build_profiles(lines, as_of=aware).equals(naive)


def test_country_ties_go_to_the_latest_used() -> None:
    lines = lines_frame(
        [
            {"customer": ANN, "at": datetime(2024, 1, 1), "country": "NL", "lines": [(1, 1, 1.0)]},
            {"customer": ANN, "at": datetime(2024, 1, 2), "country": "BE", "lines": [(1, 1, 1.0)]},
        ]
    )
    assert build_profiles(lines)["country"].to_list() == ["BE"]


def test_channel_names_are_json_escaped() -> None:
    lines = lines_frame(
        [{"customer": ANN, "at": datetime(2024, 1, 1), "channel": 'a "b"', "lines": [(1, 1, 1.0)]}]
    )
    assert json.loads(build_profiles(lines)["channel_mix"][0]) == {'a "b"': 1.0}


def test_event_counts_by_type_up_to_as_of(lines: pl.DataFrame) -> None:
    events = pl.DataFrame(
        {
            "customer_id": [ANN, ANN, ANN, ANN, None, CAT],
            "event_type": ["Page View", "page_view", "email-open", "email-open", "click", "click"],
            "occurred_at": [
                datetime(2024, 1, 2),
                datetime(2024, 1, 3),
                datetime(2024, 1, 4),
                AS_OF + timedelta(days=1),  # after as_of
                datetime(2024, 1, 5),  # a guest's
                datetime(2024, 1, 6),  # Cat has no profile
            ],
        }
    )
    profiles = build_profiles(lines, events=events)
    added = [name for name in profiles.columns if name.startswith("events_")]
    assert added == ["events_click", "events_email_open", "events_page_view"]
    assert profiles.select(added).rows() == [(0, 1, 2), (0, 0, 0)]
    assert profiles.schema["events_page_view"] == pl.Int64


def test_empty_lines_give_an_empty_profile_frame() -> None:
    profiles = build_profiles(lines_frame([]))
    assert profiles.is_empty()
    assert profiles.columns == list(PROFILE_COLUMNS)


def test_missing_columns_are_named(lines: pl.DataFrame) -> None:
    with pytest.raises(ModelDataError, match="lines frame lacks column\\(s\\) amount"):
        build_profiles(lines.drop("amount"))
    with pytest.raises(ModelDataError, match="products frame lacks column\\(s\\) category"):
        build_profiles(lines, products=PRODUCTS.drop("category"))


@pytest.mark.slow
def test_uci_profiles_add_up_to_the_lines_and_feed_rfm_and_lifecycle(tmp_path: Path) -> None:
    engine = attach_cipher(make_engine(f"sqlite:///{tmp_path / 'uci.db'}"), TEST_CIPHER)
    upgrade(engine)
    import_demo_data(engine)
    lines = order_lines(engine)
    products = table_frame(engine, "products").select(pl.col("id").alias("product_id"), "category")
    customers = table_frame(engine, "customers").select(
        pl.col("id").alias("customer_id"), "country"
    )
    engine.dispose()

    started = time.perf_counter()
    profiles = build_profiles(lines, products=products, customers=customers)
    seconds = time.perf_counter() - started

    assert profiles.height == 4_339
    assert seconds < 2.0
    mine = lines.filter(pl.col("customer_id").is_in(profiles["customer_id"].implode()))
    orders = mine.unique("order_id")
    assert profiles["monetary_total"].sum() == pytest.approx(mine["amount"].sum())
    assert profiles["order_count"].sum() == orders.filter(~pl.col("is_return")).height
    assert profiles["return_orders"].sum() == orders.filter(pl.col("is_return")).height
    assert profiles["country"].null_count() == 0
    assert (profiles["recency_days"] <= profiles["tenure_days"]).all()

    rfm = rfm_scores(profiles)
    assert rfm["f_score"].value_counts().sort("f_score")["count"].to_list() == [868] * 4 + [867]
    assert set(rfm["rfm_segment"]) == set(RFM_SEGMENT_NAMES)
    stages = lifecycle_stages(profiles)
    assert set(stages["lifecycle_stage"]) == set(LIFECYCLE_STAGES)

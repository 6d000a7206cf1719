from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from crmind.analytics.profile import build_profiles
from crmind.errors import ConfigurationError, ModelDataError
from crmind.predict.labels import (
    CUTOFF,
    FEATURE_EXCLUDE,
    LABEL,
    assert_no_leakage,
    default_cutoffs,
    feature_columns,
    profile_features,
    scoring_features,
    training_examples,
)
from crmind.privacy.binding import attach_cipher
from crmind.services.demo import import_demo_data
from crmind.store.db import make_engine
from crmind.store.frames import ORDER_LINE_TYPES, order_lines
from crmind.store.migrate import upgrade
from tests.store_cipher import TEST_CIPHER

ANN, BOB, CAT, DAN = 1, 2, 3, 4
CUT = datetime(2024, 3, 1)


def lines_frame(orders: list[dict[str, Any]]) -> pl.DataFrame:
    """An order_lines frame with one line per order: customer, time, amount, is_return."""
    rows = [
        {
            "line_id": number,
            "order_id": number,
            "order_number": str(number),
            "source": "test",
            "customer_id": order.get("customer"),
            "occurred_at": order["at"],
            "is_return": order.get("is_return", False),
            "channel": "web",
            "country": order.get("country", "GB"),
            "currency": "EUR",
            "line_number": 1,
            "product_id": 10,
            "quantity": -1.0 if order.get("is_return") else 1.0,
            "unit_price": abs(order["amount"]),
            "amount": float(order["amount"]),
            "is_outlier": False,
        }
        for number, order in enumerate(orders, start=1)
    ]
    return pl.DataFrame(rows, schema=ORDER_LINE_TYPES)


ORDERS: list[dict[str, Any]] = [
    # Ann buys before the cut-off (once exactly at it) and twice in the window
    {"customer": ANN, "at": datetime(2024, 1, 5), "amount": 30.0},
    {"customer": ANN, "at": CUT, "amount": 20.0},
    {"customer": ANN, "at": datetime(2024, 3, 10), "amount": 15.0},
    {"customer": ANN, "at": CUT + timedelta(days=30), "amount": 5.0},  # the window's last moment
    # Bob buys before, then nothing until after the window
    {"customer": BOB, "at": datetime(2024, 2, 1), "amount": 50.0, "country": "FR"},
    {"customer": BOB, "at": CUT + timedelta(days=30, seconds=1), "amount": 70.0},
    # Cat buys before and only returns in the window
    {"customer": CAT, "at": datetime(2024, 2, 10), "amount": 40.0},
    {"customer": CAT, "at": datetime(2024, 3, 5), "amount": -40.0, "is_return": True},
    # Dan first buys in the window: not a customer at the cut-off
    {"customer": DAN, "at": datetime(2024, 3, 20), "amount": 60.0},
    # a guest
    {"customer": None, "at": datetime(2024, 3, 3), "amount": 9.0},
]


@pytest.fixture
def lines() -> pl.DataFrame:
    return lines_frame(ORDERS)


def labels_of(examples: pl.DataFrame) -> dict[int, Any]:
    return dict(zip(examples["customer_id"], examples[LABEL], strict=True))


def test_churn_is_one_without_a_purchase_in_the_window(lines: pl.DataFrame) -> None:
    examples = training_examples(lines, cutoffs=[CUT], window_days=30, target="churn")
    assert labels_of(examples) == {ANN: 0, BOB: 1, CAT: 1}
    assert examples[LABEL].dtype == pl.Int64


def test_purchase_is_one_with_a_purchase_in_the_window(lines: pl.DataFrame) -> None:
    examples = training_examples(lines, cutoffs=[CUT], window_days=30, target="purchase")
    assert labels_of(examples) == {ANN: 1, BOB: 0, CAT: 0}


def test_spend_is_the_net_amount_in_the_window(lines: pl.DataFrame) -> None:
    examples = training_examples(lines, cutoffs=[CUT], window_days=30, target="spend")
    assert labels_of(examples) == {ANN: 20.0, BOB: 0.0, CAT: -40.0}
    assert examples[LABEL].dtype == pl.Float64


def test_only_customers_who_bought_by_the_cutoff_get_a_row(lines: pl.DataFrame) -> None:
    examples = training_examples(lines, cutoffs=[CUT], window_days=30)
    assert examples["customer_id"].to_list() == [ANN, BOB, CAT]
    assert examples[CUTOFF].unique().to_list() == [CUT]


def test_features_exclude_keys_times_and_json_but_keep_country(lines: pl.DataFrame) -> None:
    examples = training_examples(lines, cutoffs=[CUT], window_days=30)
    features = feature_columns(examples)
    assert "country" in features
    assert "recency_days" in features
    assert not set(features) & FEATURE_EXCLUDE
    assert all(examples[name].dtype != pl.Datetime("us") for name in features)
    assert {"customer_id", CUTOFF, LABEL} <= set(examples.columns)


def test_features_are_the_profile_as_of_the_cutoff(lines: pl.DataFrame) -> None:
    examples = training_examples(lines, cutoffs=[CUT], window_days=30)
    profiles = build_profiles(lines.filter(pl.col("occurred_at") <= CUT), as_of=CUT)
    ann = examples.filter(pl.col("customer_id") == ANN).row(0, named=True)
    assert ann["recency_days"] == 0.0  # the purchase exactly at the cut-off is a feature
    assert ann["monetary_total"] == 50.0
    assert examples["monetary_total"].to_list() == profiles["monetary_total"].to_list()


def test_a_line_after_the_cutoff_does_not_change_the_features(lines: pl.DataFrame) -> None:
    before = training_examples(lines, cutoffs=[CUT], window_days=30)
    late = lines_frame(
        [*ORDERS, {"customer": BOB, "at": CUT + timedelta(seconds=1), "amount": 1e6}]
    )
    after = training_examples(late, cutoffs=[CUT], window_days=30)
    features = feature_columns(before)
    assert after.select(features).equals(before.select(features))
    assert labels_of(after)[BOB] == 0  # the late purchase only moves the label


def test_honest_examples_pass_the_leakage_check(lines: pl.DataFrame) -> None:
    examples = training_examples(
        lines, cutoffs=[CUT, CUT + timedelta(days=10)], window_days=20, target="spend"
    )
    assert_no_leakage(lines, examples)


def test_a_feature_computed_from_all_lines_is_caught(lines: pl.DataFrame) -> None:
    examples = training_examples(lines, cutoffs=[CUT], window_days=30)
    lifetime = lines.group_by("customer_id").agg(pl.col("amount").sum().alias("monetary_total"))
    leaky = examples.drop("monetary_total").join(lifetime, on="customer_id", how="left")
    with pytest.raises(ModelDataError, match="monetary_total differs for 3 customer"):
        assert_no_leakage(lines, leaky)


def test_a_leaky_feature_builder_is_caught(lines: pl.DataFrame) -> None:
    def with_future_orders(some_lines: pl.DataFrame, cutoff: datetime) -> pl.DataFrame:
        counts = some_lines.group_by("customer_id").agg(pl.len().alias("lines_ever"))
        return profile_features(some_lines, cutoff).join(counts, on="customer_id", how="left")

    leaky = with_future_orders(lines, CUT)  # built from every line, the future included
    with pytest.raises(ModelDataError, match="lines_ever differs"):
        assert_no_leakage(lines, leaky, build=with_future_orders)
    honest = with_future_orders(lines.filter(pl.col("occurred_at") <= CUT), CUT)
    assert_no_leakage(lines, honest, build=with_future_orders)


def test_a_customer_who_bought_later_and_an_unknown_column_are_caught(lines: pl.DataFrame) -> None:
    examples = training_examples(lines, cutoffs=[CUT], window_days=30)
    dan = examples.filter(pl.col("customer_id") == ANN).with_columns(
        pl.lit(DAN, dtype=pl.Int64).alias("customer_id")
    )
    with pytest.raises(ModelDataError, match="1 customer\\(s\\) had not bought by the cut-off"):
        assert_no_leakage(lines, pl.concat([examples, dan]))
    with pytest.raises(ModelDataError, match="cannot rebuild column\\(s\\) secret"):
        assert_no_leakage(lines, examples.with_columns(pl.lit(1).alias("secret")))


def test_default_cutoffs_are_midnights_spaced_apart_with_complete_windows(
    lines: pl.DataFrame,
) -> None:
    last = lines["occurred_at"].max()
    assert isinstance(last, datetime)
    cutoffs = default_cutoffs(lines, n_cutoffs=2, spacing_days=7, window_days=20)
    assert cutoffs == [datetime(2024, 3, 4), datetime(2024, 3, 11)]
    assert all(t + timedelta(days=20) <= last for t in cutoffs)
    examples = training_examples(lines, n_cutoffs=2, spacing_days=7, window_days=20)
    assert examples[CUTOFF].unique().sort().to_list() == cutoffs


def test_too_short_data_and_incomplete_windows_are_refused(lines: pl.DataFrame) -> None:
    with pytest.raises(ModelDataError, match="too short for 3 cut-offs"):
        training_examples(lines)  # 90-day windows in three months of data
    with pytest.raises(ModelDataError, match="runs past the last line"):
        training_examples(lines, cutoffs=[datetime(2024, 3, 20)], window_days=30)


def test_bad_options_raise_configuration_errors(lines: pl.DataFrame) -> None:
    with pytest.raises(ConfigurationError, match="target must be one of"):
        training_examples(lines, cutoffs=[CUT], target="revenue")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="n_cutoffs must be at least 1, not 0"):
        training_examples(lines, n_cutoffs=0)
    with pytest.raises(ConfigurationError, match="cutoffs is empty"):
        training_examples(lines, cutoffs=[])


def test_scoring_features_match_the_training_columns(lines: pl.DataFrame) -> None:
    examples = training_examples(lines, cutoffs=[CUT], window_days=30)
    now = scoring_features(lines)
    assert now.columns == [name for name in examples.columns if name != LABEL]
    assert now[CUTOFF].unique().to_list() == [lines["occurred_at"].max()]
    assert set(now["customer_id"]) == {ANN, BOB, CAT, DAN}
    at_cut = scoring_features(lines, as_of=CUT)
    assert at_cut.equals(examples.drop(LABEL))


def test_scoring_empty_lines_is_refused(lines: pl.DataFrame) -> None:
    with pytest.raises(ModelDataError, match="nobody to score"):
        scoring_features(lines.clear())


@pytest.fixture(scope="module")
def uci_lines(tmp_path_factory: pytest.TempPathFactory) -> Iterator[pl.DataFrame]:
    path: Path = tmp_path_factory.mktemp("uci") / "uci.db"
    engine = attach_cipher(make_engine(f"sqlite:///{path}"), TEST_CIPHER)
    upgrade(engine)
    import_demo_data(engine)
    yield order_lines(engine)
    engine.dispose()


@pytest.mark.slow
def test_uci_churn_examples_have_three_cutoffs_and_plausible_rates(
    uci_lines: pl.DataFrame,
) -> None:
    started = time.perf_counter()
    examples = training_examples(uci_lines)
    assert time.perf_counter() - started < 5.0
    per_cutoff = examples.group_by(CUTOFF).agg(pl.len(), pl.col(LABEL).mean().alias("rate"))
    per_cutoff = per_cutoff.sort(CUTOFF)
    assert per_cutoff[CUTOFF].to_list() == [
        datetime(2011, 7, 12),
        datetime(2011, 8, 11),
        datetime(2011, 9, 10),
    ]
    assert per_cutoff["len"].to_list() == [3019, 3211, 3370]
    assert all(0.35 < rate < 0.55 for rate in per_cutoff["rate"])
    assert_no_leakage(uci_lines, examples)


@pytest.mark.slow
def test_uci_purchase_is_the_complement_of_churn(uci_lines: pl.DataFrame) -> None:
    churn = training_examples(uci_lines, target="churn")
    purchase = training_examples(uci_lines, target="purchase")
    assert (churn[LABEL] + purchase[LABEL]).unique().to_list() == [1]


def test_an_event_type_that_starts_later_counts_zero_at_earlier_cutoffs(
    lines: pl.DataFrame,
) -> None:
    events = pl.DataFrame(
        {
            "customer_id": [ANN],
            "event_type": ["Email Open"],
            "occurred_at": [CUT + timedelta(days=5)],
        }
    )
    examples = training_examples(
        lines, cutoffs=[CUT, CUT + timedelta(days=10)], window_days=20, events=events
    )
    assert examples["events_email_open"].to_list() == [0, 0, 0, 1, 0, 0]

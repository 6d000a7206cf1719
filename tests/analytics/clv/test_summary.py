from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import polars as pl
import pytest

from crmind.analytics.clv.summary import (
    calibration_holdout_summary,
    purchase_days,
    purchase_summary,
)
from crmind.errors import ConfigurationError, ModelDataError
from tests.analytics.clv import cdnow


def _transactions() -> pl.DataFrame:
    rows = [
        (1, datetime(2024, 1, 1, 9), 10.0),
        (1, datetime(2024, 1, 1, 18), 5.0),  # same day: one purchase of 15
        (1, datetime(2024, 1, 8, 12), 20.0),
        (1, datetime(2024, 1, 15, 10), 30.0),
        (1, datetime(2024, 1, 15, 11), -20.0),  # a return the same day: net 10
        (1, datetime(2024, 1, 22, 10), -5.0),  # a return alone is no purchase
        (2, datetime(2024, 1, 10, 8), 30.0),
        (3, datetime(2024, 1, 5, 8), 50.0),
        (3, datetime(2024, 1, 5, 9), -50.0),  # nets to 0: no purchase
        (3, datetime(2024, 1, 20, 9), 0.0),  # free: no purchase
        (4, datetime(2024, 2, 3, 9), 12.0),  # after the observation end
        (2, datetime(2024, 2, 5, 9), 40.0),  # holdout purchase of customer 2
        (2, datetime(2024, 2, 6, 9), 20.0),
    ]
    return pl.DataFrame(rows, schema=["customer_id", "occurred_at", "amount"], orient="row")


def test_same_day_purchases_count_once_and_returns_are_netted() -> None:
    summary = purchase_summary(_transactions(), observation_end="2024-01-29")
    assert summary.columns == ["customer_id", "frequency", "recency", "T", "monetary_value"]
    assert summary.rows() == [(1, 2, 2.0, 4.0, 15.0), (2, 0, 0.0, pytest.approx(19 / 7), 0.0)]


def test_times_can_be_in_days() -> None:
    summary = purchase_summary(_transactions(), observation_end="2024-01-29", time_unit="day")
    assert summary.select("recency", "T").rows() == [(14.0, 28.0), (0.0, 19.0)]


def test_default_observation_end_is_the_last_purchase_day() -> None:
    summary = purchase_summary(_transactions())
    assert summary["customer_id"].to_list() == [1, 2, 4]
    assert summary.filter(pl.col("customer_id") == 4)["T"].item() == pytest.approx(3 / 7)


def test_purchase_days_are_net_positive_days() -> None:
    days = purchase_days(_transactions())
    assert days.filter(pl.col("customer_id") == 1)["amount"].to_list() == [15.0, 20.0, 10.0]
    assert 3 not in days["customer_id"].to_list()


def test_text_dates_and_amounts_are_read() -> None:
    frame = pl.DataFrame(
        {
            "customer": ["a", "a", "b", "b"],
            "day": ["19970101", "19970115", "1997-01-02", "1997-01-09 10:30:00"],
            "value": ["10.5", " 20 ", "7", "3.5"],
        }
    )
    summary = purchase_summary(
        frame,
        customer_col="customer",
        date_col="day",
        amount_col="value",
        observation_end="19970129",
    )
    assert summary.rows() == [("a", 1, 2.0, 4.0, 20.0), ("b", 1, 1.0, pytest.approx(27 / 7), 3.5)]


def test_integer_yyyymmdd_dates_and_date_columns_are_read() -> None:
    numbers = pl.DataFrame(
        {"customer_id": [1, 1], "occurred_at": [19970101, 19970108], "amount": [1, 2]}
    )
    dates = numbers.with_columns(pl.col("occurred_at").cast(pl.String).str.to_date("%Y%m%d"))
    assert purchase_summary(numbers).equals(purchase_summary(dates))
    assert purchase_summary(dates).row(0) == (1, 1, 1.0, 1.0, 2.0)


def test_calibration_holdout_summary_adds_what_happened_next() -> None:
    summary = calibration_holdout_summary(_transactions(), date(2024, 1, 29), "2024-02-12")
    assert summary.columns == [
        "customer_id",
        "frequency",
        "recency",
        "T",
        "monetary_value",
        "frequency_holdout",
        "monetary_value_holdout",
        "duration_holdout",
    ]
    by_customer = {row[0]: row[5:] for row in summary.rows()}
    assert by_customer == {1: (0, 0.0, 2.0), 2: (2, 30.0, 2.0)}  # customer 4 starts in the holdout


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.drop("amount"), r"lack column\(s\) \['amount'\]"),
        (lambda f: f.with_columns(pl.lit("soon").alias("occurred_at")), "not a date .* 'soon'"),
        (lambda f: f.with_columns(pl.lit("ten").alias("amount")), "not a number .* 'ten'"),
        (lambda f: f.with_columns(pl.lit(True).alias("amount")), "must hold amounts"),
        (
            lambda f: f.with_columns(
                pl.when(pl.col("amount") > 25)
                .then(None)
                .otherwise(pl.col("amount"))
                .alias("amount")
            ),
            r"missing values \(amount: 4\)",
        ),
    ],
)
def test_unusable_transactions_raise_model_data_error(
    change: Callable[[pl.DataFrame], pl.DataFrame], message: str
) -> None:
    with pytest.raises(ModelDataError, match=message):
        purchase_summary(change(_transactions()))


def test_holdout_must_end_after_calibration() -> None:
    with pytest.raises(ModelDataError, match="must come after calibration_end"):
        calibration_holdout_summary(_transactions(), "2024-01-29", "2024-01-01")


def test_bad_dates_and_units_are_named() -> None:
    with pytest.raises(ModelDataError, match="observation_end must be a date"):
        purchase_summary(_transactions(), observation_end="end of January")
    with pytest.raises(ConfigurationError, match="time_unit must be one of"):
        purchase_summary(_transactions(), time_unit="month")


def test_cdnow_master_gives_the_published_sample_summary() -> None:
    """All sample customers match, except the 8 whose only calibration purchase cost $0.

    Fader & Hardie count a $0 order as a first purchase; this module does not (a day with a
    net amount <= 0 is no purchase), so those customers are absent from our summary.
    """
    master = cdnow.master()
    ours = purchase_summary(
        master,
        date_col="date",
        amount_col="dollar_value",
        observation_end=cdnow.CALIBRATION_END,
    )
    ids = (
        cdnow.sample()
        .select(pl.col("master_id"), pl.col("customer_id").cast(pl.Int64).alias("ID"))
        .unique()
    )
    published = cdnow.summary().join(ids, on="ID")
    assert published.height == 2357
    joined = published.join(ours, left_on="master_id", right_on="customer_id", how="left")
    missing = joined.filter(pl.col("frequency_right").is_null())
    matched = joined.filter(pl.col("frequency_right").is_not_null())
    assert matched.height == 2349
    assert (matched["frequency"] == matched["frequency_right"]).all()
    assert ((matched["recency"] - matched["recency_right"]).abs() <= 0.005 + 1e-9).all()
    assert ((matched["T"] - matched["T_right"]).abs() <= 0.005 + 1e-9).all()

    calibration = master.filter(pl.col("date") <= cdnow.CALIBRATION_END.replace("-", ""))
    free_only = (
        calibration.group_by("customer_id")
        .agg(pl.col("dollar_value").cast(pl.Float64).max().alias("top"))
        .filter(pl.col("top") == 0)["customer_id"]
    )
    assert set(missing["master_id"]) == set(free_only) & set(ids["master_id"])
    assert missing["ID"].sort().to_list() == [87, 155, 227, 286, 1080, 1195, 1293, 2086]
    assert (missing["frequency"] == 0).all()


def test_cdnow_sample_gives_the_published_mean_spend() -> None:
    ours = purchase_summary(
        cdnow.sample(), date_col="date", amount_col="value", observation_end=cdnow.CALIBRATION_END
    ).with_columns(pl.col("customer_id").cast(pl.Int64))
    published = cdnow.summary_with_spend()
    joined = published.join(ours, left_on="ID", right_on="customer_id")
    assert joined.height == 2349
    assert (joined["x"] == joined["frequency"]).all()
    assert ((joined["zbar"] - joined["monetary_value"]).abs() <= 0.005 + 1e-9).all()

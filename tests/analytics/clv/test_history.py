from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from crmind.analytics.clv.history import PurchaseHistory, as_float_array
from crmind.errors import ModelDataError


def test_history_accepts_lists_arrays_and_series() -> None:
    history = PurchaseHistory.of([0, 2], np.array([0.0, 3.5]), pl.Series([4.0, 5.0]))
    assert history.frequency.tolist() == [0.0, 2.0]
    assert history.n_customers == 2
    assert history.n_repeat_buyers == 1


@pytest.mark.parametrize(
    ("frequency", "recency", "age", "message"),
    [
        ([0, -1], [0, 1], [2, 2], "frequency has 1 negative value"),
        ([0, 1], [0, -1], [2, 2], "recency has 1 negative value"),
        ([0, 1], [0, 1], [2, float("nan")], "T has 1 missing or non-finite"),
        ([0, 1], [0, float("inf")], [2, 2], "recency has 1 missing or non-finite"),
        ([0, 1, 1], [0, 1], [2, 2], "frequency has 3, recency has 2, T has 2"),
        ([0, 1.5], [0, 1], [2, 2], "frequency must be whole numbers"),
        ([0, 1], [0, 3], [2, 2], "recency is greater than T .* recency 3.0 > T 2.0"),
        ([0, 1], [1, 1], [2, 2], "recency must be 0 when frequency is 0"),
        ([[0, 1]], [[0, 1]], [[2, 2]], "frequency must be one-dimensional"),
        (["a", 1], [0, 1], [2, 2], "frequency must be numbers"),
    ],
)
def test_invalid_histories_raise_model_data_error_naming_the_field(
    frequency: list[object], recency: list[object], age: list[object], message: str
) -> None:
    with pytest.raises(ModelDataError, match=message):
        PurchaseHistory.of(frequency, recency, age)  # type: ignore[arg-type]


def test_require_says_how_many_customers_and_repeat_buyers_were_found() -> None:
    history = PurchaseHistory.of([0] * 9 + [1], [0] * 9 + [1], [5] * 10)
    with pytest.raises(ModelDataError, match="needs at least 20 customers; found 10"):
        history.require("M", min_customers=20, min_repeat_buyers=1)
    with pytest.raises(ModelDataError, match=r"at least 3 repeat buyers .* found 1 among 10"):
        history.require("M", min_customers=10, min_repeat_buyers=3)


def test_compressed_merges_identical_customers_and_keeps_their_count() -> None:
    history = PurchaseHistory.of([0, 0, 2, 2, 2, 1], [0, 0, 3, 3, 4, 1], [5, 5, 6, 6, 6, 5])
    merged = history.compressed()
    rows = sorted(
        zip(merged.frequency, merged.recency, merged.T, merged.weight, strict=True),
        key=lambda row: row[:3],
    )
    assert rows == [(0, 0, 5, 2), (1, 1, 5, 1), (2, 3, 6, 2), (2, 4, 6, 1)]
    assert merged.n_customers == 6
    assert merged.n_repeat_buyers == 4


def test_pairs_map_every_customer_back_to_its_frequency_and_value() -> None:
    rng = np.random.default_rng(1)
    x = rng.integers(0, 4, 200).astype(float)
    age = rng.choice([10.0, 20.0, 30.0], 200)
    history = PurchaseHistory.of(x, np.zeros(200) + (x > 0), age)
    pairs = history.by_frequency_age
    assert len(pairs.frequency) <= 12
    np.testing.assert_array_equal(pairs.frequency[pairs.inverse], x)
    np.testing.assert_array_equal(pairs.value[pairs.inverse], age)
    values, index = history.by_recency
    np.testing.assert_array_equal(values[index], history.recency)


def test_as_float_array_reports_the_first_bad_position() -> None:
    with pytest.raises(ModelDataError, match=r"first at position 2: -3.0"):
        as_float_array("monetary_value", [1, 2, -3, -4])

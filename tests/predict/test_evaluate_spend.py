"""Spend metrics and the spend-rate rule, on hand-computed values."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from crmind.errors import ConfigurationError, ModelDataError
from crmind.predict.evaluate_spend import (
    evaluate_spend,
    mae,
    mean_rule,
    rmse,
    spearman,
    spend_rate_rule,
    top_decile_share,
)


def test_errors_count_refunds_as_no_spend() -> None:
    actual = [0.0, 10.0, -5.0, 30.0]  # -5 is a net refund: counted as 0
    predicted = [1.0, 10.0, 2.0, 26.0]
    assert mae(actual, predicted) == pytest.approx((1 + 0 + 2 + 4) / 4)
    assert rmse(actual, predicted) == pytest.approx(np.sqrt((1 + 0 + 4 + 16) / 4))


def test_spearman_is_rank_correlation_and_zero_for_a_constant() -> None:
    assert spearman([1.0, 2.0, 3.0, 40.0], [0.1, 0.2, 0.3, 0.4]) == pytest.approx(1.0)
    assert spearman([1.0, 2.0, 3.0], [5.0, 5.0, 5.0]) == 0.0


def test_top_decile_share_takes_the_spend_of_the_top_predictions() -> None:
    actual = np.zeros(20)
    actual[:2] = [60.0, 20.0]
    actual[10] = 20.0
    predicted = np.arange(20, 0, -1, dtype=np.float64)  # rows 0 and 1 predicted highest
    assert top_decile_share(actual, predicted) == pytest.approx(0.8)
    assert top_decile_share(actual, np.ones(20)) == pytest.approx(0.1)  # ties in proportion


def test_top_decile_share_needs_some_spend() -> None:
    with pytest.raises(ModelDataError, match="every actual amount is 0"):
        top_decile_share([0.0, 0.0], [1.0, 2.0])
    with pytest.raises(ConfigurationError):
        top_decile_share([1.0], [1.0], fraction=0.0)


def test_evaluate_spend_reports_every_metric() -> None:
    metrics = evaluate_spend([0.0, 10.0, 20.0], [1.0, 9.0, 25.0])
    assert set(metrics) == {
        "n",
        "mean_actual",
        "mean_predicted",
        "rmse",
        "mae",
        "spearman",
        "top_decile_share",
    }
    assert metrics["mean_actual"] == pytest.approx(10.0)


def test_mismatched_or_non_finite_inputs_are_refused() -> None:
    with pytest.raises(ModelDataError, match="as many predictions"):
        rmse([1.0, 2.0], [1.0])
    with pytest.raises(ModelDataError, match="finite"):
        mae([1.0, float("nan")], [1.0, 2.0])


def test_spend_rate_rule_extends_the_past_daily_rate_over_the_window() -> None:
    features = pl.DataFrame(
        {"monetary_total": [900.0, 300.0, None, -50.0], "tenure_days": [360.0, 10.0, 5.0, 100.0]}
    )
    expected = [900 / 360 * 90, 300 / 90 * 90, 0.0, 0.0]  # short tenure counts as one window
    np.testing.assert_allclose(spend_rate_rule(features, 90), expected)


def test_spend_rate_rule_names_missing_columns() -> None:
    with pytest.raises(ModelDataError, match="tenure_days"):
        spend_rate_rule(pl.DataFrame({"monetary_total": [1.0]}), 90)
    with pytest.raises(ConfigurationError):
        spend_rate_rule(pl.DataFrame({"monetary_total": [1.0], "tenure_days": [1.0]}), 0)


def test_mean_rule_predicts_the_training_mean() -> None:
    np.testing.assert_allclose(mean_rule([0.0, 10.0, -4.0, 30.0], 3), [10.0, 10.0, 10.0])

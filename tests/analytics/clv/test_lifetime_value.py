from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from crmind.analytics.clv import lifetime_value
from crmind.analytics.clv.beta_geo import BetaGeoModel
from crmind.analytics.clv.gamma_gamma import GammaGammaModel
from crmind.analytics.clv.lifetime_value import (
    PERIODS_PER_MONTH,
    clv_interval,
    customer_lifetime_value,
)
from crmind.analytics.clv.pareto_nbd import ParetoNBDModel
from crmind.analytics.clv.purchase import PurchaseModel
from crmind.errors import ConfigurationError, ModelDataError
from tests.analytics.clv.simulate import simulated_summary


@pytest.fixture(scope="module")
def summary() -> pl.DataFrame:
    return simulated_summary(400)


def _fit(
    summary: pl.DataFrame, kind: type[PurchaseModel] = BetaGeoModel
) -> tuple[PurchaseModel, GammaGammaModel]:
    purchases = kind().fit(summary["frequency"], summary["recency"], summary["T"])
    spend = GammaGammaModel().fit(summary["frequency"], summary["monetary_value"])
    return purchases, spend


@pytest.mark.parametrize("kind", [BetaGeoModel, ParetoNBDModel])
@pytest.mark.parametrize("time_unit", ["week", "day"])
def test_clv_is_the_discounted_sum_of_monthly_purchases_times_spend(
    summary: pl.DataFrame, kind: type[PurchaseModel], time_unit: str
) -> None:
    """The loop of lifetimes' customer_lifetime_value, written out."""
    purchases, spend = _fit(summary, kind)
    x, t_x, age = summary["frequency"], summary["recency"], summary["T"]
    value = spend.expected_spend(x, summary["monetary_value"])
    factor = PERIODS_PER_MONTH[time_unit]
    expected = np.zeros(summary.height)
    for month in range(1, 7):
        step = purchases.predict_purchases(
            month * factor, x, t_x, age
        ) - purchases.predict_purchases((month - 1) * factor, x, t_x, age)
        expected += value * step / 1.02**month
    clv = customer_lifetime_value(
        purchases,
        spend,
        summary,
        horizon_months=6,
        discount_rate_monthly=0.02,
        time_unit=time_unit,
    )
    np.testing.assert_allclose(clv, expected, rtol=1e-9)


def test_without_discount_clv_is_purchases_times_spend(summary: pl.DataFrame) -> None:
    purchases, spend = _fit(summary)
    x, t_x, age = summary["frequency"], summary["recency"], summary["T"]
    clv = customer_lifetime_value(
        purchases, spend, summary, horizon_months=3, discount_rate_monthly=0.0
    )
    expected = purchases.predict_purchases(3 * 4.345, x, t_x, age) * spend.expected_spend(
        x, summary["monetary_value"]
    )
    np.testing.assert_allclose(clv, expected, rtol=1e-9)


def test_interval_brackets_the_estimate_and_is_reproducible(summary: pl.DataFrame) -> None:
    purchases, spend = _fit(summary)
    clv = customer_lifetime_value(purchases, spend, summary)
    low, high = clv_interval(purchases, spend, summary, n_draws=100, random_state=1)
    assert np.all(low <= clv)
    assert np.all(clv <= high)
    assert np.all(high > low)
    again = clv_interval(purchases, spend, summary, n_draws=100, random_state=1)
    np.testing.assert_array_equal(low, again[0])
    np.testing.assert_array_equal(high, again[1])
    other = clv_interval(purchases, spend, summary, n_draws=100, random_state=2)
    assert not np.array_equal(low, other[0])
    narrow = clv_interval(purchases, spend, summary, n_draws=100, random_state=1, level=0.5)
    assert np.all(narrow[0] >= low)
    assert np.all(narrow[1] <= high)


def test_interval_does_not_depend_on_the_block_size(
    summary: pl.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    purchases, spend = _fit(summary, ParetoNBDModel)
    whole = clv_interval(purchases, spend, summary, n_draws=20)
    monkeypatch.setattr(lifetime_value, "_CELLS_PER_BLOCK", 20 * 37)
    blocked = clv_interval(purchases, spend, summary, n_draws=20)
    np.testing.assert_allclose(whole, blocked, rtol=1e-12)


def test_interval_quantiles_are_numpys(summary: pl.DataFrame) -> None:
    draws = np.random.default_rng(0).normal(size=(37, 11))
    ours = lifetime_value._quantiles(draws, [0.05, 0.5, 0.95])
    np.testing.assert_allclose(ours, np.quantile(draws, [0.05, 0.5, 0.95], axis=0))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"horizon_months": 0}, "horizon_months must be at least 1"),
        ({"horizon_months": 1.5}, "horizon_months must be a whole number"),
        ({"discount_rate_monthly": float("nan")}, "discount_rate_monthly must be a finite"),
        ({"time_unit": "hour"}, "time_unit must be one of"),
        ({"level": 1.0}, "level must lie strictly between 0 and 1"),
        ({"n_draws": 1}, "n_draws must be a whole number >= 2"),
    ],
)
def test_bad_options_are_configuration_errors(
    summary: pl.DataFrame, options: dict[str, object], message: str
) -> None:
    purchases, spend = _fit(summary)
    with pytest.raises(ConfigurationError, match=message):
        clv_interval(purchases, spend, summary, **options)  # type: ignore[arg-type]


def test_summary_without_monetary_value_is_a_model_data_error(summary: pl.DataFrame) -> None:
    purchases, spend = _fit(summary)
    with pytest.raises(ModelDataError, match=r"lacks column\(s\) \['monetary_value'\]"):
        customer_lifetime_value(purchases, spend, summary.drop("monetary_value"))

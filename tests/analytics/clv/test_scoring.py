from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

from crmind.analytics.clv import BetaGeoModel, ClvFit, score_customers
from crmind.errors import ModelDataError
from tests.analytics.clv import cdnow
from tests.analytics.clv.simulate import simulated_summary

COLUMNS = [
    "customer_id",
    "expected_purchases",
    "p_alive",
    "expected_spend",
    "clv",
    "clv_low",
    "clv_high",
]


def test_scores_have_one_row_per_customer_in_the_summarys_order() -> None:
    summary = simulated_summary(300).sample(fraction=1.0, shuffle=True, seed=1)
    scores, fit = score_customers(summary, n_draws=50)
    assert scores.columns == COLUMNS
    assert scores["customer_id"].to_list() == summary["customer_id"].to_list()
    assert scores.null_count().row(0) == (0,) * len(COLUMNS)
    assert (scores["clv_low"] <= scores["clv"]).all()
    assert (scores["clv"] <= scores["clv_high"]).all()
    assert ((scores["p_alive"] > 0) & (scores["p_alive"] <= 1)).all()
    assert fit.n_customers == 300
    assert fit.n_repeat_buyers == int((summary["frequency"] > 0).sum())


def test_scores_are_reproducible() -> None:
    summary = simulated_summary(200)
    first, fit = score_customers(summary, n_draws=30, random_state=4)
    second, again = score_customers(summary, n_draws=30, random_state=4)
    assert first.equals(second)
    assert fit == again


def test_fit_record_is_json_ready() -> None:
    _, fit = score_customers(simulated_summary(200), n_draws=20, horizon_months=6)
    record = fit.as_dict()
    text = json.dumps(record, allow_nan=False)
    assert json.loads(text)["bg_nbd_params"].keys() == {"r", "alpha", "a", "b"}
    assert record["gamma_gamma_params"].keys() == {"p", "q", "gamma"}
    assert record["horizon_months"] == 6
    assert record["time_unit"] == "week"


def test_non_finite_numbers_become_none_in_the_record() -> None:
    _, fit = score_customers(simulated_summary(200), n_draws=20)
    broken = ClvFit(**{**fit.__dict__, "bg_nbd_standard_errors": {"r": float("nan")}})
    assert broken.as_dict()["bg_nbd_standard_errors"] == {"r": None}


def test_too_few_repeat_buyers_for_gamma_gamma_is_a_model_data_error() -> None:
    summary = simulated_summary(300)
    small = pl.concat(
        [summary.filter(pl.col("frequency") == 0), summary.filter(pl.col("frequency") > 0).head(5)]
    )
    with pytest.raises(ModelDataError, match="GammaGammaModel needs at least 10 repeat buyers"):
        score_customers(small)


def test_summary_without_customer_id_is_a_model_data_error() -> None:
    with pytest.raises(ModelDataError, match="lacks column 'customer_id'"):
        score_customers(simulated_summary(50).drop("customer_id"))


def test_cdnow_scores_use_the_published_parameters() -> None:
    data = cdnow.summary_with_spend().rename(
        {"ID": "customer_id", "x": "frequency", "t_x": "recency", "zbar": "monetary_value"}
    )
    scores, fit = score_customers(data, n_draws=50)
    assert fit.bg_nbd_params == pytest.approx(cdnow.BG_NBD_PUBLISHED, rel=0.01)
    assert fit.gamma_gamma_params == pytest.approx(cdnow.GAMMA_GAMMA_PUBLISHED, rel=0.01)
    assert fit.n_repeat_buyers == 946
    horizon = 12 * 4.345
    purchases = BetaGeoModel().fit(data["frequency"], data["recency"], data["T"])
    expected = purchases.predict_purchases(horizon, data["frequency"], data["recency"], data["T"])
    np.testing.assert_allclose(scores["expected_purchases"], expected, rtol=1e-12)

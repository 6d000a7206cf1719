from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy.optimize import check_grad
from scipy.special import gammaln

from crmind.analytics.clv.gamma_gamma import GammaGammaModel, _objective
from crmind.analytics.clv.history import FloatArray
from crmind.errors import ModelDataError, NotFittedError
from tests.analytics.clv import cdnow
from tests.analytics.clv.simulate import simulate_bg_nbd, simulate_spend, simulated_summary
from tests.estimator_contract import check_estimator_contract

TRUTH = {"p": 6.0, "q": 4.0, "gamma": 15.0}


def test_contract(tmp_path: Path) -> None:
    summary = simulated_summary(300)
    x, m = summary["frequency"], summary["monetary_value"]

    def outputs(model: Any) -> dict[str, Any]:
        return {"spend": model.expected_spend(x, m), **model.params_}

    check_estimator_contract(
        make=lambda: GammaGammaModel(),
        fit=lambda model: model.fit(x, m),
        outputs=outputs,
        tmp_path=tmp_path,
    )


def test_unfitted_model_raises_not_fitted_error() -> None:
    with pytest.raises(NotFittedError, match="GammaGammaModel is not fitted"):
        GammaGammaModel().expected_spend([1], [10.0])


def test_fit_recovers_simulated_parameters() -> None:
    x = np.random.default_rng(0).integers(1, 8, 8000).astype(float)
    m = simulate_spend(x, TRUTH, seed=1)
    model = GammaGammaModel().fit(x, m)
    for name, value in TRUTH.items():
        assert abs(model.params_[name] - value) < 3 * model.standard_errors_[name], name


def test_log_likelihood_is_the_papers_expression() -> None:
    x, _, _ = simulate_bg_nbd(600, {"r": 0.5, "alpha": 5.0, "a": 0.8, "b": 2.5}, seed=2)
    m = simulate_spend(x, TRUTH, seed=2)
    model = GammaGammaModel().fit(x, m)
    p, q, v = model.params_["p"], model.params_["q"], model.params_["gamma"]
    x, m = x[x > 0], m[x > 0]
    ll = (
        gammaln(p * x + q)
        - gammaln(p * x)
        - gammaln(q)
        + q * np.log(v)
        + (p * x - 1) * np.log(m)
        + p * x * np.log(x)
        - (p * x + q) * np.log(v + x * m)
    )
    assert model.log_likelihood_ == pytest.approx(float(ll.sum()), rel=1e-10)
    assert model.n_customers_ == len(x)


def test_analytic_gradient_matches_finite_differences() -> None:
    x = np.random.default_rng(0).integers(1, 8, 500).astype(float)
    objective = _objective(x, simulate_spend(x, TRUTH, seed=3))
    for theta in (np.zeros(3), np.log([6.0, 4.0, 15.0])):
        assert check_grad(lambda th: objective(th)[0], lambda th: objective(th)[1], theta) < 1e-5


def test_expected_spend_shrinks_towards_the_population_mean() -> None:
    model = GammaGammaModel().fit(*_simulated())
    mean = model.expected_mean_spend()
    assert model.expected_spend([0], [0])[0] == pytest.approx(mean)
    few, many = model.expected_spend([1, 50], [3 * mean, 3 * mean])
    assert mean < few < many < 3 * mean


def _simulated() -> tuple[FloatArray, FloatArray]:
    summary = simulated_summary(300)
    return (
        summary["frequency"].to_numpy().astype(float),
        summary["monetary_value"].to_numpy().copy(),
    )


def test_too_few_repeat_buyers_raise_model_data_error() -> None:
    with pytest.raises(ModelDataError, match=r"at least 10 repeat buyers .* found 3 among 30"):
        GammaGammaModel().fit([1, 2, 1] + [0] * 27, [5.0, 6.0, 7.0] + [0.0] * 27)


def test_repeat_buyer_without_spend_raises_model_data_error() -> None:
    x, m = _simulated()
    m[np.argmax(x > 0)] = 0.0
    with pytest.raises(ModelDataError, match="monetary_value must be > 0 for repeat buyers"):
        GammaGammaModel().fit(x, m)


def test_invalid_arrays_raise_model_data_error_naming_the_field() -> None:
    x, m = _simulated()
    with pytest.raises(ModelDataError, match="monetary_value has 1 negative"):
        GammaGammaModel().fit(x, np.where(np.arange(len(m)) == 4, -1.0, m))
    with pytest.raises(ModelDataError, match="frequency has 300, monetary_value has 299"):
        GammaGammaModel().fit(x, m[:-1])


def test_cdnow_parameters_match_the_published_fit() -> None:
    data = cdnow.summary_with_spend()
    model = GammaGammaModel().fit(data["x"], data["zbar"])
    assert model.n_customers_ == 946
    for name, value in cdnow.GAMMA_GAMMA_PUBLISHED.items():
        assert model.params_[name] == pytest.approx(value, rel=0.01), name

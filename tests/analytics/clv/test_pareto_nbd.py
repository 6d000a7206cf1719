from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy.special import gammaln, hyp2f1

from crmind.analytics.clv.history import FloatArray, PurchaseHistory
from crmind.analytics.clv.pareto_nbd import ParetoNBDModel, _log_likelihood
from crmind.errors import ModelDataError, NotFittedError
from tests.analytics.clv import cdnow
from tests.analytics.clv.simulate import simulate_bg_nbd
from tests.estimator_contract import check_estimator_contract

SIMULATION = {"r": 0.5, "alpha": 5.0, "a": 0.8, "b": 2.5}


def _a0(params: dict[str, float], x: FloatArray, t_x: FloatArray, age: FloatArray) -> FloatArray:
    """A0 of Fader & Hardie's note, straight from its definition."""
    r, alpha, s, beta = params["r"], params["alpha"], params["s"], params["beta"]
    c = r + s + x
    k: FloatArray | float = s + 1 if alpha >= beta else r + x
    larger = max(alpha, beta)
    diff = abs(alpha - beta)
    result: FloatArray = (
        hyp2f1(c, k, c + 1, diff / (larger + t_x)) / (larger + t_x) ** c
        - hyp2f1(c, k, c + 1, diff / (larger + age)) / (larger + age) ** c
    )
    return result


def _naive_likelihood(
    params: dict[str, float], x: FloatArray, t_x: FloatArray, age: FloatArray
) -> FloatArray:
    r, alpha, s, beta = params["r"], params["alpha"], params["s"], params["beta"]
    front = np.exp(gammaln(r + x) - gammaln(r)) * alpha**r * beta**s
    bracket = 1 / ((alpha + age) ** (r + x) * (beta + age) ** s) + s / (r + s + x) * _a0(
        params, x, t_x, age
    )
    result: FloatArray = front * bracket
    return result


@pytest.mark.parametrize(
    "params",
    [
        {"r": 0.55, "alpha": 10.6, "s": 0.6, "beta": 11.7},  # alpha < beta
        {"r": 0.8, "alpha": 12.0, "s": 1.3, "beta": 4.0},  # alpha > beta
        {"r": 0.8, "alpha": 6.0, "s": 1.0, "beta": 6.0},  # alpha = beta
    ],
)
def test_log_likelihood_matches_the_definition_on_both_branches(params: dict[str, float]) -> None:
    x, t_x, age = simulate_bg_nbd(300, SIMULATION, seed=1)
    history = PurchaseHistory.of(x, t_x, age)
    ours = _log_likelihood(np.array(list(params.values())), history)
    np.testing.assert_allclose(ours, np.log(_naive_likelihood(params, x, t_x, age)), rtol=1e-9)


def test_contract(tmp_path: Path) -> None:
    x, t_x, age = simulate_bg_nbd(300, SIMULATION, seed=2)

    def outputs(model: Any) -> dict[str, Any]:
        return {
            "purchases": model.predict_purchases(10, x, t_x, age),
            "alive": model.p_alive(x, t_x, age),
            **model.params_,
        }

    check_estimator_contract(
        make=lambda: ParetoNBDModel(),
        fit=lambda model: model.fit(x, t_x, age),
        outputs=outputs,
        tmp_path=tmp_path,
    )


def test_unfitted_model_raises_not_fitted_error() -> None:
    with pytest.raises(NotFittedError, match="ParetoNBDModel is not fitted"):
        ParetoNBDModel().p_alive([1], [1], [2])


def test_predictions_match_the_published_expressions() -> None:
    model = ParetoNBDModel().fit(*simulate_bg_nbd(400, SIMULATION, seed=3))
    params = model.params_
    r, alpha, s, beta = params["r"], params["alpha"], params["s"], params["beta"]
    x, t_x, age, t = np.array([0.0, 1.0, 4.0]), np.array([0.0, 5.0, 30.0]), np.full(3, 35.0), 20.0
    alive = 1 / (
        1
        + s / (r + s + x) * (alpha + age) ** (r + x) * (beta + age) ** s * _a0(params, x, t_x, age)
    )
    np.testing.assert_allclose(model.p_alive(x, t_x, age), alive, rtol=1e-9)
    conditional = (
        (r + x)
        * (beta + age)
        / ((alpha + age) * (s - 1))
        * (1 - ((beta + age) / (beta + age + t)) ** (s - 1))
        * alive
    )
    np.testing.assert_allclose(model.predict_purchases(t, x, t_x, age), conditional, rtol=1e-9)
    unconditional = r * beta / (alpha * (s - 1)) * (1 - (beta / (beta + t)) ** (s - 1))
    assert model.expected_purchases(t) == pytest.approx(unconditional, rel=1e-9)


def test_s_equal_to_one_uses_the_limit() -> None:
    model = ParetoNBDModel().fit(*simulate_bg_nbd(400, SIMULATION, seed=3))
    at_one = model.with_params({"r": 0.5, "alpha": 5.0, "s": 1.0, "beta": 8.0})
    near_one = model.with_params({"r": 0.5, "alpha": 5.0, "s": 1.0 + 1e-7, "beta": 8.0})
    assert at_one.expected_purchases(10.0) == pytest.approx(
        near_one.expected_purchases(10.0), rel=1e-6
    )


def test_too_few_repeat_buyers_raise_model_data_error() -> None:
    with pytest.raises(ModelDataError, match="ParetoNBDModel needs at least 3 repeat buyers"):
        ParetoNBDModel().fit([0] * 20, [0] * 20, [5] * 20)


def test_cdnow_parameters_and_log_likelihood_match_the_published_fit() -> None:
    model = ParetoNBDModel().fit(*cdnow.arrays(cdnow.summary()))
    for name, value in cdnow.PARETO_NBD_PUBLISHED.items():
        assert model.params_[name] == pytest.approx(value, rel=0.01), name
    assert model.log_likelihood_ == pytest.approx(cdnow.PARETO_NBD_PUBLISHED_LL, rel=0.01)
    assert model.log_likelihood_ == pytest.approx(cdnow.PARETO_NBD_PUBLISHED_LL, abs=0.05)

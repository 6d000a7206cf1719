from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import check_grad
from scipy.special import gammaln, hyp2f1

from crmind.analytics.clv.beta_geo import BetaGeoModel
from crmind.analytics.clv.history import FloatArray, PurchaseHistory
from crmind.errors import ConfigurationError, ModelDataError, NotFittedError
from tests.analytics.clv import cdnow
from tests.analytics.clv.simulate import simulate_bg_nbd, simulated_summary
from tests.estimator_contract import check_estimator_contract

TRUTH = {"r": 0.5, "alpha": 5.0, "a": 0.8, "b": 2.5}


def _naive_log_likelihood(
    params: dict[str, float], x: FloatArray, t_x: FloatArray, age: FloatArray
) -> float:
    """Equation 6 of Fader, Hardie & Lee (2005), term by term."""
    r, alpha, a, b = params["r"], params["alpha"], params["a"], params["b"]
    first = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    second = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    survive = (alpha + age) ** -(r + x)
    drop = np.where(x > 0, a / (b + np.maximum(x, 1) - 1) * (alpha + t_x) ** -(r + x), 0.0)
    return float(np.sum(first + second + np.log(survive + drop)))


def _naive_conditional(
    params: dict[str, float], t: float, x: float, t_x: float, age: float
) -> float:
    """Equation 10 of the paper, without the Euler transformation."""
    r, alpha, a, b = params["r"], params["alpha"], params["a"], params["b"]
    z = t / (alpha + age + t)
    numerator = (
        (a + b + x - 1)
        / (a - 1)
        * (
            1
            - ((alpha + age) / (alpha + age + t)) ** (r + x)
            * hyp2f1(r + x, b + x, a + b + x - 1, z)
        )
    )
    denominator = 1 + (x > 0) * a / (b + x - 1) * ((alpha + age) / (alpha + t_x)) ** (r + x)
    return float(numerator / denominator)


def test_contract(tmp_path: Path) -> None:
    x, t_x, age = simulate_bg_nbd(300, TRUTH, seed=1)
    check_estimator_contract(
        make=lambda: BetaGeoModel(),
        fit=lambda model: model.fit(x, t_x, age),
        outputs=lambda model: {
            "purchases": model.predict_purchases(10, x, t_x, age),
            "alive": model.p_alive(x, t_x, age),
            **model.params_,
        },
        tmp_path=tmp_path,
    )


@pytest.mark.parametrize(
    "use",
    [
        lambda m: m.predict_purchases(5, [1], [1], [2]),
        lambda m: m.p_alive([1], [1], [2]),
        lambda m: m.expected_purchases(5),
        lambda m: m.with_params(TRUTH),
        lambda m: m.sample_params(3, 0),
    ],
)
def test_unfitted_model_raises_not_fitted_error(use: Callable[[BetaGeoModel], object]) -> None:
    with pytest.raises(NotFittedError, match="BetaGeoModel is not fitted"):
        use(BetaGeoModel())


def test_fit_recovers_the_parameters_of_simulated_customers() -> None:
    x, t_x, age = simulate_bg_nbd(6000, TRUTH, seed=2)
    model = BetaGeoModel().fit(x, t_x, age)
    for name, value in TRUTH.items():
        assert abs(model.params_[name] - value) < 3 * model.standard_errors_[name], name
    assert model.n_customers_ == 6000


def test_log_likelihood_is_the_papers_equation_at_the_optimum() -> None:
    x, t_x, age = simulate_bg_nbd(500, TRUTH, seed=3)
    model = BetaGeoModel().fit(x, t_x, age)
    assert model.log_likelihood_ == pytest.approx(_naive_log_likelihood(model.params_, x, t_x, age))


def test_analytic_gradient_matches_finite_differences() -> None:
    x, t_x, age = simulate_bg_nbd(500, TRUTH, seed=4)
    objective = BetaGeoModel()._objective(PurchaseHistory.of(x, t_x, age).compressed())
    for theta in (np.zeros(4), np.log([0.3, 8.0, 1.5, 0.7])):
        error = check_grad(lambda th: objective(th)[0], lambda th: objective(th)[1], theta)
        assert error < 1e-5


def test_conditional_expectation_matches_the_untransformed_formula() -> None:
    x, t_x, age = simulate_bg_nbd(200, TRUTH, seed=5)
    model = BetaGeoModel().fit(x, t_x, age)
    predicted = model.predict_purchases(13.0, x, t_x, age)
    for i in range(0, 200, 17):
        expected = _naive_conditional(model.params_, 13.0, x[i], t_x[i], age[i])
        assert predicted[i] == pytest.approx(expected, rel=1e-9)


def test_many_purchases_do_not_overflow() -> None:
    fitted = BetaGeoModel().fit(*simulate_bg_nbd(200, TRUTH, seed=5))
    model = fitted.with_params(TRUTH)
    x, t_x, age, t = 2000.0, 100.0, 100.0, 100.0
    with np.errstate(all="ignore"):  # the textbook form overflows here
        assert not np.isfinite(_naive_conditional(TRUTH, t, x, t_x, age))
    predicted = model.predict_purchases(t, [x], [t_x], [age])[0]
    rate = (TRUTH["r"] + x) / (TRUTH["alpha"] + age)
    assert 0.5 * rate * t < predicted < rate * t


def test_predictions_are_sensible() -> None:
    x, t_x, age = simulate_bg_nbd(500, TRUTH, seed=6)
    model = BetaGeoModel().fit(x, t_x, age)
    alive = model.p_alive(x, t_x, age)
    assert np.all((alive > 0) & (alive <= 1))
    assert np.all(alive[x == 0] == 1)  # BG/NBD: nobody drops out before a repeat purchase
    unconditional = model.expected_purchases(np.array([0.0, 10.0, 20.0, 40.0]))
    assert unconditional[0] == 0
    assert np.all(np.diff(unconditional) > 0)
    assert np.all(
        model.predict_purchases(20, x, t_x, age) >= model.predict_purchases(10, x, t_x, age)
    )
    # a customer who bought recently is worth more than one who bought as often long ago
    recent, stale = model.predict_purchases(10, [5, 5], [30, 5], [31, 31])
    assert recent > stale


def test_predict_purchases_rejects_a_negative_horizon() -> None:
    model = BetaGeoModel().fit(*simulate_bg_nbd(200, TRUTH, seed=5))
    with pytest.raises(ModelDataError, match="t must be a finite number >= 0"):
        model.predict_purchases(-1, [1], [1], [2])
    with pytest.raises(ModelDataError, match="t must be finite numbers >= 0"):
        model.expected_purchases([1, float("nan")])


def test_too_few_customers_raise_model_data_error() -> None:
    with pytest.raises(ModelDataError, match="needs at least 10 customers; found 5"):
        BetaGeoModel().fit([1, 0, 2, 0, 1], [3, 0, 4, 0, 2], [5] * 5)


def test_too_few_repeat_buyers_raise_model_data_error() -> None:
    with pytest.raises(ModelDataError, match=r"at least 3 repeat buyers .* found 1 among 12"):
        BetaGeoModel().fit([1] + [0] * 11, [3] + [0] * 11, [5] * 12)


def test_invalid_data_raises_model_data_error_naming_the_field() -> None:
    summary = simulated_summary(50)
    x, t_x, age = summary["frequency"], summary["recency"], summary["T"]
    with pytest.raises(ModelDataError, match="recency is greater than T"):
        BetaGeoModel().fit(x, t_x + 100, age)
    with pytest.raises(ModelDataError, match="T has 1 missing"):
        BetaGeoModel().fit(x, t_x, age.clone().scatter(3, None))
    with pytest.raises(ModelDataError, match="mismatched lengths"):
        BetaGeoModel().fit(x, t_x, age[:-1])


def test_negative_penalizer_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="penalizer must be a finite number >= 0"):
        BetaGeoModel(penalizer=-1).fit(*simulate_bg_nbd(50, TRUTH))


def test_cdnow_parameters_and_log_likelihood_match_the_published_fit() -> None:
    model = BetaGeoModel().fit(*cdnow.arrays(cdnow.summary()))
    for name, value in cdnow.BG_NBD_PUBLISHED.items():
        assert model.params_[name] == pytest.approx(value, rel=0.01), name
    assert model.log_likelihood_ == pytest.approx(cdnow.BG_NBD_PUBLISHED_LL, rel=0.01)
    assert model.log_likelihood_ == pytest.approx(cdnow.BG_NBD_PUBLISHED_LL, abs=0.05)
    assert model.n_customers_ == 2357


def test_cdnow_conditional_expectation_of_customer_one_is_published_value() -> None:
    model = BetaGeoModel().fit(*cdnow.arrays(cdnow.summary()))
    # Fader, Hardie & Lee (2005), section 5: x = 2, t_x = 30.43, T = 38.86, next 39 weeks
    assert model.predict_purchases(39, [2], [30.43], [38.86])[0] == pytest.approx(1.226, abs=1e-3)

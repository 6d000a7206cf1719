from __future__ import annotations

import numpy as np
import pytest

from crmind.analytics.clv.gamma_gamma import GammaGammaModel
from crmind.analytics.clv.history import FloatArray
from crmind.analytics.clv.likelihood import (
    ValueAndGradient,
    dot,
    maximise_likelihood,
    with_numeric_gradient,
)
from crmind.errors import ConfigurationError, ModelDataError
from tests.analytics.clv.simulate import simulated_summary


def _exponential(sample: FloatArray) -> ValueAndGradient:
    """Mean negative log-likelihood of an exponential rate, in log-rate, with its gradient."""
    mean = float(sample.mean())

    def value_and_gradient(theta: FloatArray) -> tuple[float, FloatArray]:
        rate = float(np.exp(theta[0]))
        return -theta[0] + rate * mean, np.array([-1 + rate * mean])

    return value_and_gradient


def test_maximum_likelihood_finds_the_exponential_rate_and_its_standard_error() -> None:
    sample = np.random.default_rng(3).exponential(1 / 2.5, 4000)
    result = maximise_likelihood(
        _exponential(sample), n_params=1, total_weight=4000, penalizer=0.0, model="Exp"
    )
    rate = 1 / sample.mean()
    assert result.params[0] == pytest.approx(rate, rel=1e-6)
    assert result.standard_errors[0] == pytest.approx(rate / np.sqrt(4000), rel=1e-3)
    expected_ll = 4000 * (np.log(rate) - rate * sample.mean())
    assert result.log_likelihood == pytest.approx(expected_ll, rel=1e-9)


def test_penalizer_pulls_parameters_towards_zero() -> None:
    sample = np.random.default_rng(3).exponential(1 / 2.5, 400)
    plain, shrunk = (
        maximise_likelihood(
            _exponential(sample), n_params=1, total_weight=400, penalizer=pen, model="Exp"
        )
        for pen in (0.0, 0.1)
    )
    assert shrunk.params[0] < plain.params[0]


def test_numeric_gradient_matches_the_analytic_one() -> None:
    def quadratic(theta: FloatArray) -> float:
        return float(np.sum((theta - 1.0) ** 2 * np.arange(1, 4)))

    value, gradient = with_numeric_gradient(quadratic)(np.array([0.0, 2.0, 3.0]))
    assert value == quadratic(np.array([0.0, 2.0, 3.0]))
    np.testing.assert_allclose(gradient, [-2.0, 4.0, 12.0], rtol=1e-6)


def test_a_likelihood_that_is_not_finite_raises_model_data_error() -> None:
    def broken(theta: FloatArray) -> tuple[float, FloatArray]:
        return float("nan"), np.full_like(theta, np.nan)

    with pytest.raises(ModelDataError, match="Broken: the likelihood is not finite"):
        maximise_likelihood(broken, n_params=2, total_weight=10, penalizer=0.0, model="Broken")


def test_dot_is_the_plain_dot_product() -> None:
    a, b = np.arange(5.0), np.linspace(0, 1, 5)
    assert dot(a, b) == pytest.approx(float(a @ b))


def _fitted() -> GammaGammaModel:
    summary = simulated_summary()
    return GammaGammaModel().fit(summary["frequency"], summary["monetary_value"])


def test_with_params_predicts_with_other_parameters_and_keeps_the_fit() -> None:
    model = _fitted()
    other = model.with_params({"p": 2.0, "q": 3.0, "gamma": 4.0})
    assert other.params_ == {"p": 2.0, "q": 3.0, "gamma": 4.0}
    assert model.params_ != other.params_
    assert other.expected_spend([0], [0])[0] == pytest.approx(2.0 * 4.0 / (3.0 - 1))


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"p": 1.0, "q": 2.0}, "takes parameters"),
        ({"p": 1.0, "q": 2.0, "gamma": -1.0}, "must be finite and > 0"),
    ],
)
def test_with_params_rejects_missing_or_non_positive_parameters(
    params: dict[str, float], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        _fitted().with_params(params)


def test_sample_params_is_deterministic_and_centred_on_the_fit() -> None:
    model = _fitted()
    draws = model.sample_params(2000, random_state=5)
    np.testing.assert_array_equal(draws, model.sample_params(2000, random_state=5))
    assert not np.array_equal(draws, model.sample_params(2000, random_state=6))
    fitted = np.array(list(model.params_.values()))
    np.testing.assert_allclose(np.exp(np.log(draws).mean(axis=0)), fitted, rtol=0.05)
    spread = np.log(draws).std(axis=0)
    np.testing.assert_allclose(spread, np.sqrt(np.diag(model.log_params_covariance_)), rtol=0.1)


def test_sample_params_without_covariance_repeats_the_fit() -> None:
    model = _fitted()
    model.log_params_covariance_ = np.full((3, 3), np.nan)
    draws = model.sample_params(4, random_state=0)
    np.testing.assert_array_equal(draws, np.tile(list(model.params_.values()), (4, 1)))


def test_sample_params_stay_inside_the_fit_bounds_when_a_parameter_is_barely_identified() -> None:
    model = _fitted()
    model.log_params_covariance_ = np.diag([1e4, 1e-4, 1e-4])  # e.g. a parameter at its bound
    draws = model.sample_params(200, random_state=0)
    assert np.isfinite(draws).all()
    assert (draws > 0).all()
    assert np.abs(np.log(draws)).max() <= 20.0
    model.with_params(dict(zip(model.param_names, draws[0], strict=True)))  # usable as parameters

"""Maximum-likelihood fitting shared by the CLV models, and their common base class.

Parameters are positive, so the optimiser works on their logarithms (``theta = log(params)``):
L-BFGS-B (scipy) minimises the *mean* negative log-likelihood per customer plus
``penalizer * sum(params ** 2)`` (the same L2 penalty as the ``lifetimes`` package), from all
parameters equal to 1. The start, the optimiser and the arithmetic are fixed, so a fit is
deterministic.

Uncertainty: the covariance of the log-parameters is the inverse of the Hessian of the *total*
penalised negative log-likelihood at the optimum, by central differences of the gradient (the
models' analytic gradient, or a central-difference one). Standard errors of the parameters follow
by the delta method, ``se(p) = p * se(log p)``; :meth:`LikelihoodModel.sample_params` draws from
the asymptotic normal of the log-parameters for parametric bootstraps.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import ClassVar, Self

import numpy as np
from scipy.optimize import OptimizeResult, minimize

from crmind.analytics.clv.history import FloatArray
from crmind.errors import ConfigurationError, ModelDataError
from crmind.estimator import Estimator

logger = logging.getLogger(__name__)

ValueAndGradient = Callable[[FloatArray], tuple[float, FloatArray]]
"""Mean negative log-likelihood per customer at log-parameters ``theta``, and its gradient."""

_LOG_BOUND = 20.0  # parameters stay within exp(+-20): far outside any plausible fit
_HESSIAN_STEP = 1e-4
_GRADIENT_STEP = 1e-5


def dot(a: FloatArray, b: FloatArray) -> float:
    """The dot product of two vectors, without BLAS: the likelihoods take hundreds of them,
    and a multi-threaded BLAS call on a busy machine can be slower than the whole sum."""
    return float(np.einsum("i,i->", a, b))


@dataclass(frozen=True)
class MleResult:
    """The optimum of a maximum-likelihood fit."""

    params: FloatArray
    log_params_covariance: FloatArray
    standard_errors: FloatArray
    log_likelihood: float
    iterations: int


def with_numeric_gradient(mean_nll: Callable[[FloatArray], float]) -> ValueAndGradient:
    """``mean_nll`` together with its central-difference gradient."""

    def value_and_gradient(theta: FloatArray) -> tuple[float, FloatArray]:
        gradient = np.empty_like(theta)
        for i in range(len(theta)):
            step = np.zeros_like(theta)
            step[i] = _GRADIENT_STEP
            gradient[i] = (mean_nll(theta + step) - mean_nll(theta - step)) / (2 * _GRADIENT_STEP)
        return mean_nll(theta), gradient

    return value_and_gradient


def maximise_likelihood(
    objective: ValueAndGradient,
    *,
    n_params: int,
    total_weight: float,
    penalizer: float,
    model: str,
) -> MleResult:
    """Fit log-parameters by L-BFGS-B (see the module docstring); ModelDataError if it fails."""

    def penalised(theta: FloatArray) -> tuple[float, FloatArray]:
        value, gradient = objective(theta)
        params = np.exp(theta)
        penalty = penalizer * float(np.sum(params**2))
        return value + penalty, gradient + 2 * penalizer * params**2

    theta, result = _minimise(penalised, np.zeros(n_params))
    if not result.success:  # one restart from where the line search stopped
        theta, result = _minimise(penalised, theta)
    with np.errstate(all="ignore"):
        value, gradient = penalised(theta)
    if not np.isfinite(value) or not np.all(np.isfinite(gradient)):
        raise ModelDataError(
            f"{model}: the likelihood is not finite at the fitted parameters "
            f"{np.exp(theta).round(6).tolist()}; the data cannot be fitted"
        )
    at_bound = np.abs(theta) >= _LOG_BOUND - 1e-6
    converged = result.success or float(np.max(np.abs(gradient))) <= 1e-4
    flat = not converged and _no_step_improves(penalised, theta, total_weight)
    if not converged and not flat and not at_bound.any():
        raise ModelDataError(
            f"{model}: maximum-likelihood fit did not converge ({result.message}); "
            f"last parameters {np.exp(theta).round(6).tolist()}"
        )
    if at_bound.any() or flat:
        # parameters running off together (e.g. spends that hardly vary between customers)
        # leave a likelihood flat to rounding, where the line search stops short
        logger.warning(
            "%s: the likelihood is flat around %s: the data hardly identify the parameters",
            model,
            np.exp(theta).round(6).tolist(),
        )
    covariance = _log_params_covariance(penalised, theta, total_weight, model)
    with np.errstate(invalid="ignore"):
        standard_errors = np.exp(theta) * np.sqrt(np.diag(covariance))
    penalty = penalizer * float(np.sum(np.exp(theta) ** 2))
    return MleResult(
        params=np.exp(theta),
        log_params_covariance=covariance,
        standard_errors=standard_errors,
        log_likelihood=-(value - penalty) * total_weight,
        iterations=int(result.nit),
    )


def _minimise(objective: ValueAndGradient, start: FloatArray) -> tuple[FloatArray, OptimizeResult]:
    with np.errstate(all="ignore"):
        result = minimize(
            objective,
            start,
            jac=True,
            method="L-BFGS-B",
            bounds=[(-_LOG_BOUND, _LOG_BOUND)] * len(start),
            options={"maxiter": 2000, "ftol": 1e-13, "gtol": 1e-8},
        )
    return np.asarray(result.x, dtype=np.float64), result


def _no_step_improves(objective: ValueAndGradient, theta: FloatArray, total_weight: float) -> bool:
    """Whether no step of 0.1 % or 1 % in any one parameter raises the total log-likelihood by
    more than 0.01: an optimum far inside the parameters' own confidence region (whose edge is
    about 2 log-likelihood units away), where rounding noise stopped L-BFGS-B's line search."""
    with np.errstate(all="ignore"):
        value = objective(theta)[0]
        tolerance = 0.01 / total_weight  # the objective is a mean over total_weight customers
        for index in range(len(theta)):
            for step in (-1e-2, -1e-3, 1e-3, 1e-2):
                moved = theta.copy()
                moved[index] += step
                if objective(moved)[0] < value - tolerance:
                    return False
    return True


def _log_params_covariance(
    objective: ValueAndGradient, theta: FloatArray, total_weight: float, model: str
) -> FloatArray:
    n = len(theta)
    hessian = np.empty((n, n))
    with np.errstate(all="ignore"):
        for i in range(n):
            step = np.zeros(n)
            step[i] = _HESSIAN_STEP
            forward = objective(theta + step)[1]
            backward = objective(theta - step)[1]
            hessian[:, i] = (forward - backward) / (2 * _HESSIAN_STEP)
    hessian = (hessian + hessian.T) / 2 * total_weight
    if np.all(np.isfinite(hessian)):
        eigenvalues = np.linalg.eigvalsh(hessian)
        if eigenvalues.min() > 0:
            return np.asarray(np.linalg.inv(hessian), dtype=np.float64)
    logger.warning(
        "%s: the information matrix is not positive definite; standard errors are NaN", model
    )
    return np.full((n, n), np.nan)


class LikelihoodModel(Estimator):
    """Base of the CLV models: positive parameters fitted by maximum likelihood.

    Learned attributes (after ``fit``): ``params_`` (name -> value), ``standard_errors_``
    (name -> standard error), ``log_likelihood_`` (total, at the optimum, without penalty),
    ``n_customers_`` (customers fitted on) and ``log_params_covariance_`` (covariance matrix of
    the log-parameters, in the order of ``param_names``).
    """

    param_names: ClassVar[tuple[str, ...]]

    params_: dict[str, float]
    standard_errors_: dict[str, float]
    log_likelihood_: float
    n_customers_: int
    log_params_covariance_: FloatArray

    def __init__(self, *, penalizer: float = 0.0) -> None:
        self.penalizer = penalizer

    def _check_penalizer(self) -> float:
        penalizer = float(self.penalizer)
        if not np.isfinite(penalizer) or penalizer < 0:
            raise ConfigurationError(
                f"{type(self).__name__}: penalizer must be a finite number >= 0, "
                f"not {self.penalizer!r}"
            )
        return penalizer

    def _store(self, result: MleResult, n_customers: int) -> None:
        names = self.param_names
        self.params_ = {
            name: float(value) for name, value in zip(names, result.params, strict=True)
        }
        self.standard_errors_ = {
            name: float(value) for name, value in zip(names, result.standard_errors, strict=True)
        }
        self.log_likelihood_ = result.log_likelihood
        self.n_customers_ = n_customers
        self.log_params_covariance_ = result.log_params_covariance
        logger.info(
            "%s fitted on %d customers in %d iterations: %s, log-likelihood %.3f",
            type(self).__name__,
            n_customers,
            result.iterations,
            {name: round(value, 4) for name, value in self.params_.items()},
            result.log_likelihood,
        )

    def _param_vector(self) -> FloatArray:
        self._check_fitted("params_")
        return np.array([self.params_[name] for name in self.param_names])

    def with_params(self, params: Mapping[str, float]) -> Self:
        """A copy of this fitted model predicting with ``params`` instead (e.g. published ones).

        Other learned attributes (standard errors, log-likelihood) are those of the fit.
        """
        self._check_fitted("params_")
        if set(params) != set(self.param_names):
            raise ConfigurationError(
                f"{type(self).__name__} takes parameters {list(self.param_names)}, "
                f"not {sorted(params)}"
            )
        values = {name: float(params[name]) for name in self.param_names}
        bad = [name for name, value in values.items() if not (np.isfinite(value) and value > 0)]
        if bad:
            raise ConfigurationError(
                f"{type(self).__name__}: parameters must be finite and > 0; {bad} are not"
            )
        other = copy.copy(self)
        other.params_ = values
        return other

    def sample_params(self, n_draws: int, random_state: int | np.random.Generator) -> FloatArray:
        """``n_draws`` parameter vectors (rows, in ``param_names`` order) from the asymptotic
        normal distribution of the log-parameters, kept inside the bounds the fit searched (a
        parameter at its bound has a huge variance, and unclipped draws would overflow);
        without a usable covariance all rows are the fitted parameters."""
        mean = np.log(self._param_vector())
        rng = np.random.default_rng(random_state)
        covariance = self.log_params_covariance_
        if not np.all(np.isfinite(covariance)):
            return np.tile(np.exp(mean), (n_draws, 1))
        draws = rng.multivariate_normal(mean, covariance, size=n_draws, method="eigh")
        result: FloatArray = np.exp(np.clip(draws, -_LOG_BOUND, _LOG_BOUND))
        return result

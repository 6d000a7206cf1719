"""Gamma-Gamma: the spend per purchase, independent of how often a customer buys.

Fader, Hardie & Lee (2005), "RFM and CLV: using iso-value curves for customer base analysis",
Journal of Marketing Research 42(4), and Fader & Hardie, "The Gamma-Gamma model of monetary value"
(2013). A customer's purchase amounts are Gamma(p, nu); nu ~ Gamma(q, gamma) across customers.
(The ``lifetimes`` package calls ``gamma`` ``v``.) For a customer with x repeat purchases of mean
value m (x > 0)::

    LL = ln G(px+q) - ln G(px) - ln G(q) + q ln(gamma) + (px-1) ln(m) + px ln(x)
         - (px+q) ln(gamma + x m)

and the expected spend per purchase given its history is
``(gamma + x m) p / (px + q - 1)``, a weighted mean of the population mean ``p gamma / (q - 1)``
and the customer's own mean. The model assumes spend is independent of purchase frequency;
check it (e.g. their correlation among repeat buyers) before trusting CLV.
"""

from __future__ import annotations

import logging
from typing import Self

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import digamma, gammaln

from crmind.analytics.clv.history import (
    MIN_SPEND_REPEAT_BUYERS,
    FloatArray,
    as_float_array,
    check_same_length,
    check_whole,
)
from crmind.analytics.clv.likelihood import (
    LikelihoodModel,
    ValueAndGradient,
    dot,
    maximise_likelihood,
)
from crmind.errors import ModelDataError

logger = logging.getLogger(__name__)


class GammaGammaModel(LikelihoodModel):
    """Gamma-Gamma spend model; parameters ``p``, ``q``, ``gamma``.

    Example::

        model = GammaGammaModel().fit(summary["frequency"], summary["monetary_value"])
        model.expected_spend(summary["frequency"], summary["monetary_value"])
    """

    param_names = ("p", "q", "gamma")

    def fit(self, frequency: ArrayLike, monetary_value: ArrayLike) -> Self:
        """Fit on the repeat buyers (frequency > 0; other rows are ignored); returns self.

        ``monetary_value`` is the mean value of a customer's repeat purchases. Raises
        ModelDataError for invalid arrays, fewer than 10 repeat buyers or a repeat buyer whose
        monetary value is not positive.
        """
        penalizer = self._check_penalizer()
        x, m = _validated(frequency, monetary_value)
        repeat = x > 0
        found = int(repeat.sum())
        if found < MIN_SPEND_REPEAT_BUYERS:
            raise ModelDataError(
                f"{type(self).__name__} needs at least {MIN_SPEND_REPEAT_BUYERS} repeat buyers "
                f"(customers with frequency > 0); found {found} among {len(x)} customers"
            )
        x, m = x[repeat], m[repeat]
        free = m <= 0
        if free.any():
            raise ModelDataError(
                f"monetary_value must be > 0 for repeat buyers; {int(free.sum())} have "
                f"{m[free][0]} (the Gamma-Gamma model needs positive spend)"
            )
        result = maximise_likelihood(
            _objective(x, m),
            n_params=len(self.param_names),
            total_weight=float(len(x)),
            penalizer=penalizer,
            model=type(self).__name__,
        )
        self._store(result, len(x))
        if self.params_["q"] <= 1:
            logger.warning(
                "%s: q = %.3f <= 1, so mean spend is infinite under the model: expected spend "
                "of customers with few purchases is unreliable",
                type(self).__name__,
                self.params_["q"],
            )
        return self

    def expected_spend(self, frequency: ArrayLike, monetary_value: ArrayLike) -> FloatArray:
        """Expected value of each customer's future purchases given x and its mean spend m
        (the population mean for customers with x = 0)."""
        p, q, gamma = self._param_vector()
        x, m = _validated(frequency, monetary_value)
        return spend_given_history(p, q, gamma, x, m)

    def expected_mean_spend(self) -> float:
        """Population mean spend per purchase, ``p gamma / (q - 1)`` (infinite when q <= 1)."""
        p, q, gamma = self._param_vector()
        return float(p * gamma / (q - 1)) if q > 1 else float("inf")


def spend_given_history(
    p: float | FloatArray,
    q: float | FloatArray,
    gamma: float | FloatArray,
    x: FloatArray,
    m: FloatArray,
) -> FloatArray:
    """``(gamma + x m) p / (p x + q - 1)``: the expected spend per purchase of customers with x
    repeat purchases of mean value m; parameters broadcast against customers (e.g. a column of
    bootstrap draws against a row of customers)."""
    result: FloatArray = (gamma + x * m) * p / (p * x + q - 1)
    return result


def _validated(frequency: ArrayLike, monetary_value: ArrayLike) -> tuple[FloatArray, FloatArray]:
    x = as_float_array("frequency", frequency)
    m = as_float_array("monetary_value", monetary_value)
    check_same_length(frequency=x, monetary_value=m)
    check_whole("frequency", x)
    return x, m


def _objective(x: FloatArray, m: FloatArray) -> ValueAndGradient:
    """Mean negative log-likelihood of repeat buyers and its gradient in log-parameters.

    Terms in x alone are evaluated once per distinct x; per customer only
    ``ln(gamma + x m)`` and its derivative remain.
    """
    counts, index = np.unique(x, return_inverse=True)
    per_count = np.bincount(index.ravel(), minlength=len(counts)).astype(np.float64)
    spend = x * m
    n = float(len(x))
    sum_log_m = float(np.log(m).sum())
    sum_x_log_xm = dot(x, np.log(m) + np.log(x))

    def value_and_gradient(theta: FloatArray) -> tuple[float, FloatArray]:
        p, q, gamma = np.exp(theta)
        px = p * counts
        log_shifted = np.log(gamma + spend)
        inverse_shifted = 1 / (gamma + spend)
        sum_log_shifted = float(log_shifted.sum())
        sum_x_log_shifted = dot(x, log_shifted)
        ll = (
            dot(per_count, gammaln(px + q) - gammaln(px))
            - n * gammaln(q)
            + n * q * np.log(gamma)
            + p * sum_x_log_xm
            - sum_log_m
            - p * sum_x_log_shifted
            - q * sum_log_shifted
        )
        psi_pxq = digamma(px + q)
        d_p = dot(per_count, counts * (psi_pxq - digamma(px))) + sum_x_log_xm - sum_x_log_shifted
        d_q = dot(per_count, psi_pxq) - n * digamma(q) + n * np.log(gamma) - sum_log_shifted
        d_gamma = n * q / gamma - p * dot(x, inverse_shifted) - q * float(inverse_shifted.sum())
        gradient = np.array([d_p * p, d_q * q, d_gamma * gamma])
        return -float(ll) / n, -gradient / n

    return value_and_gradient

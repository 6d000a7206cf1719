"""Pareto/NBD: Poisson purchases while active, exponential lifetimes, gamma heterogeneity.

Schmittlein, Morrison & Colombo (1987), "Counting your customers: who are they and what will they
do next?", Management Science 33(1); likelihood in the numerically stable form of Fader & Hardie
(2005), "A note on deriving the Pareto/NBD model and related expressions". Purchase rate
lambda ~ Gamma(r, alpha), dropout rate mu ~ Gamma(s, beta). Per customer::

    L = G(r+x) alpha^r beta^s / G(r)
        * [ (alpha+T)^-(r+x) (beta+T)^-s + s / (r+s+x) * A0 ]
    A0 = F(t_x) - F(T),  F(u) = 2F1(r+s+x, k; r+s+x+1; |alpha-beta| / (m+u)) / (m+u)^(r+s+x)

with ``m = max(alpha, beta)`` and ``k = s+1`` when alpha >= beta, ``k = r+x`` otherwise (so the
hypergeometric argument lies in [0, 1)). ``2F1`` is evaluated through Euler's transformation
``2F1(c-1, k; c; z) = (1-z)^(1-k) 2F1(1, c-k; c; z)``, which has no singularity at z -> 1, once
per distinct (x, t_x) and (x, T); ``A0`` and the bracket are combined in log space.
The likelihood has no closed-form gradient in the parameters of 2F1: the fit uses central
differences.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, gammaln, hyp2f1

from crmind.analytics.clv.history import FloatArray, Pairs, PurchaseHistory
from crmind.analytics.clv.likelihood import ValueAndGradient, dot, with_numeric_gradient
from crmind.analytics.clv.purchase import PurchaseModel


class ParetoNBDModel(PurchaseModel):
    """Pareto/NBD model (Schmittlein, Morrison & Colombo 1987); parameters ``r``, ``alpha``,
    ``s``, ``beta``.

    Example::

        model = ParetoNBDModel().fit(summary["frequency"], summary["recency"], summary["T"])
        model.params_   # {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669} on CDNOW
    """

    param_names = ("r", "alpha", "s", "beta")

    def _objective(self, data: PurchaseHistory) -> ValueAndGradient:
        total = float(data.weight.sum())

        def mean_nll(theta: FloatArray) -> float:
            with np.errstate(divide="ignore"):
                ll = _log_likelihood(np.exp(theta), data)
            return -dot(data.weight, ll) / total

        return with_numeric_gradient(mean_nll)

    def _p_alive(self, params: FloatArray, history: PurchaseHistory) -> FloatArray:
        r, alpha, s, beta = params
        x, age = history.frequency, history.T
        with np.errstate(divide="ignore"):
            log_odds = (
                np.log(s)
                - np.log(r + s + x)
                + (r + x) * np.log(alpha + age)
                + s * np.log(beta + age)
                + _log_a0(params, history)
            )
        alive: FloatArray = expit(-log_odds)
        return alive

    def _discounted_purchases(
        self, params: FloatArray, history: PurchaseHistory, times: FloatArray, weights: FloatArray
    ) -> FloatArray:
        r, alpha, s, beta = params
        ages, age_index = history.by_age
        previous = np.zeros_like(ages)
        total = np.zeros_like(ages)
        for time, weight in zip(times, weights, strict=True):
            current = _growth(s - 1, np.log1p(float(time) / (beta + ages)))
            total += weight * (current - previous)
            previous = current
        age = history.T
        scale = (r + history.frequency) * (beta + age) / (alpha + age)
        result: FloatArray = scale * total[age_index] * self._p_alive(params, history)
        return result

    def _expected_purchases(self, params: FloatArray, t: FloatArray) -> FloatArray:
        r, alpha, s, beta = params
        result: FloatArray = r * beta / alpha * _growth(s - 1, np.log1p(t / beta))
        return result


def _growth(exponent: float, log_ratio: FloatArray) -> FloatArray:
    """``(1 - exp(-exponent * log_ratio)) / exponent``, and its limit ``log_ratio`` at 0."""
    if abs(exponent) < 1e-10:
        return log_ratio
    result: FloatArray = -np.expm1(-exponent * log_ratio) / exponent
    return result


def _log_likelihood(params: FloatArray, data: PurchaseHistory) -> FloatArray:
    r, alpha, s, beta = params
    x, age = data.frequency, data.T
    log_survivor = -(r + x) * np.log(alpha + age) - s * np.log(beta + age)
    log_dropout = np.log(s) - np.log(r + s + x) + _log_a0(params, data)
    result: FloatArray = (
        gammaln(r + x)
        - gammaln(r)
        + r * np.log(alpha)
        + s * np.log(beta)
        + np.logaddexp(log_survivor, log_dropout)
    )
    return result


def _log_a0(params: FloatArray, history: PurchaseHistory) -> FloatArray:
    """``log A0`` per customer (``-inf`` where ``t_x == T``)."""
    at_recency = _log_f(params, history.by_frequency_recency)
    at_age = _log_f(params, history.by_frequency_age)
    upper = at_recency[history.by_frequency_recency.inverse]
    lower = at_age[history.by_frequency_age.inverse]
    gap = np.minimum(lower - upper, 0.0)  # F(T) <= F(t_x); rounding must not flip the sign
    with np.errstate(divide="ignore"):
        result: FloatArray = upper + np.log(-np.expm1(gap))
    return result


def _log_f(params: FloatArray, pairs: Pairs) -> FloatArray:
    """``log F(u)`` for each distinct (x, u) pair (see the module docstring)."""
    r, alpha, s, beta = params
    x, u = pairs.frequency, pairs.value
    if alpha >= beta:
        larger, smaller, k = alpha, beta, s + 1 + 0 * x
    else:
        larger, smaller, k = beta, alpha, r + x
    c = r + s + x + 1
    log_larger = np.log(larger + u)
    log_one_minus_z = np.log(smaller + u) - log_larger
    z = (larger - smaller) / (larger + u)
    result: FloatArray = (
        (1 - k) * log_one_minus_z + np.log(hyp2f1(1.0, c - k, c, z)) - (c - 1) * log_larger
    )
    return result

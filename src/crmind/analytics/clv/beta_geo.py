"""BG/NBD: the beta-geometric / negative-binomial model of repeat purchases.

Fader, Hardie & Lee (2005), "Counting your customers the easy way: an alternative to the
Pareto/NBD model", Marketing Science 24(2). While active, a customer buys as a Poisson process of
rate lambda ~ Gamma(r, alpha); after every purchase it drops out with probability p ~ Beta(a, b).

Per customer with x repeat purchases, the last at t_x, observed for T (equation 6 of the paper)::

    LL = ln G(r+x) - ln G(r) + r ln(alpha) + ln B(a, b+x) - ln B(a, b)
         + ln[ (alpha+T)^-(r+x) + [x>0] a / (b+x-1) (alpha+t_x)^-(r+x) ]

evaluated as a ``logaddexp`` of the two terms, with its analytic gradient. The conditional
expectation (equation 10) uses the Gaussian hypergeometric function in Euler's transformed form
``(1-z)^(r+x) 2F1(r+x, b+x; a+b+x-1; z) = (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z)``, which
stays finite for customers with many purchases; it is evaluated once per distinct (x, T).
"""

from __future__ import annotations

import numpy as np
from scipy.special import digamma, expit, gammaln, hyp2f1

from crmind.analytics.clv.history import FloatArray, PurchaseHistory
from crmind.analytics.clv.likelihood import ValueAndGradient, dot
from crmind.analytics.clv.purchase import PurchaseModel


class BetaGeoModel(PurchaseModel):
    """BG/NBD model (Fader, Hardie & Lee 2005); parameters ``r``, ``alpha``, ``a``, ``b``.

    Example::

        model = BetaGeoModel().fit(summary["frequency"], summary["recency"], summary["T"])
        model.params_          # {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426} on CDNOW
        model.predict_purchases(39, summary["frequency"], summary["recency"], summary["T"])
    """

    param_names = ("r", "alpha", "a", "b")

    def _objective(self, data: PurchaseHistory) -> ValueAndGradient:
        # terms in x alone are summed once per distinct x; customers without repeats only
        # have the first term of the mixture, so only repeat buyers need the log-sum-exp
        counts, count_index = np.unique(data.frequency, return_inverse=True)
        per_count = np.bincount(
            count_index.ravel(), weights=data.weight, minlength=len(counts)
        ).astype(np.float64)
        total = float(data.weight.sum())
        single = data.frequency == 0
        age_0, weight_0 = data.T[single], data.weight[single]
        repeat = ~single
        x, t_x, age, weight = (
            data.frequency[repeat],
            data.recency[repeat],
            data.T[repeat],
            data.weight[repeat],
        )

        def value_and_gradient(theta: FloatArray) -> tuple[float, FloatArray]:
            r, alpha, a, b = np.exp(theta)
            # the customers' terms in x only
            ll = dot(
                per_count, gammaln(r + counts) + gammaln(b + counts) - gammaln(a + b + counts)
            ) + total * (r * np.log(alpha) - gammaln(r) + gammaln(a + b) - gammaln(b))
            psi_abx = digamma(a + b + counts)
            d_r = dot(per_count, digamma(r + counts)) + total * (np.log(alpha) - digamma(r))
            d_alpha = total * r / alpha
            d_a = total * digamma(a + b) - dot(per_count, psi_abx)
            d_b = dot(per_count, digamma(b + counts) - psi_abx) + total * (
                digamma(a + b) - digamma(b)
            )
            # no repeats: ln (alpha+T)^-r
            log_alpha_age_0 = np.log(alpha + age_0)
            ll -= r * dot(weight_0, log_alpha_age_0)
            d_r -= dot(weight_0, log_alpha_age_0)
            d_alpha -= r * dot(weight_0, 1 / (alpha + age_0))
            # repeat buyers: ln[(alpha+T)^-(r+x) + a/(b+x-1) (alpha+t_x)^-(r+x)]
            r_x = r + x
            b_x_1 = b + x - 1
            log_alpha_age = np.log(alpha + age)
            log_alpha_recency = np.log(alpha + t_x)
            gap = np.log(a) - np.log(b_x_1) - r_x * (log_alpha_recency - log_alpha_age)
            # ln(1 + e^gap) and e^gap / (1 + e^gap), from one exponential that cannot overflow
            small = np.exp(-np.abs(gap))
            softplus = np.maximum(gap, 0) + np.log1p(small)
            share_dropout = np.where(gap >= 0, 1, small) / (1 + small)
            share_age = 1 - share_dropout
            ll += dot(weight, softplus - r_x * log_alpha_age)
            d_r -= dot(weight, share_age * log_alpha_age + share_dropout * log_alpha_recency)
            d_alpha -= dot(weight * r_x, share_age / (alpha + age) + share_dropout / (alpha + t_x))
            weighted_dropout = weight * share_dropout
            d_a += weighted_dropout.sum() / a
            d_b -= dot(weighted_dropout, 1 / b_x_1)
            gradient = np.array([d_r * r, d_alpha * alpha, d_a * a, d_b * b])
            return -float(ll) / total, -gradient / total

        return value_and_gradient

    def _p_alive(self, params: FloatArray, history: PurchaseHistory) -> FloatArray:
        r, alpha, a, b = params
        x = history.frequency
        ages, age_index = history.by_age
        recencies, recency_index = history.by_recency
        log_ratio = np.log(alpha + ages)[age_index] - np.log(alpha + recencies)[recency_index]
        odds = np.log(a) - np.log(b + np.maximum(x, 1) - 1) + (r + x) * log_ratio
        alive: FloatArray = np.where(x > 0, expit(-odds), 1.0)
        return alive

    def _discounted_purchases(
        self, params: FloatArray, history: PurchaseHistory, times: FloatArray, weights: FloatArray
    ) -> FloatArray:
        r, alpha, a, b = params
        a = _away_from_one(a)
        pairs = history.by_frequency_age
        x, age = pairs.frequency, pairs.value
        previous = np.ones_like(x)
        total = np.zeros_like(x)
        for time, weight in zip(times, weights, strict=True):
            current = _tail(r, a, b, x, alpha + age, float(time))
            total += weight * (previous - current)
            previous = current
        per_pair = (a + b + x - 1) / (a - 1) * total
        result: FloatArray = per_pair[pairs.inverse] * self._p_alive(params, history)
        return result

    def _expected_purchases(self, params: FloatArray, t: FloatArray) -> FloatArray:
        r, alpha, a, b = params
        a = _away_from_one(a)
        result: FloatArray = (a + b - 1) / (a - 1) * (1 - _tail(r, a, b, 0.0, alpha, t))
        return result


def _tail(
    r: float,
    a: float,
    b: float,
    x: FloatArray | float,
    shifted: FloatArray | float,
    t: FloatArray | float,
) -> FloatArray:
    """``(1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z)`` with ``z = t / (shifted + t)``."""
    z = t / (shifted + t)
    log_one_minus_z = np.log(shifted) - np.log(shifted + t)
    result: FloatArray = np.exp((a - 1) * log_one_minus_z) * hyp2f1(
        a + b - 1 - r, a - 1, a + b + x - 1, z
    )
    return result


def _away_from_one(a: float) -> float:
    """``a`` nudged off 1, where the closed forms are 0/0 (their limit is continuous)."""
    return a if abs(a - 1) > 1e-7 else 1 + 1e-7

"""What the purchase-count models (BG/NBD, Pareto/NBD) share: fitting and the prediction API.

Time is in the unit of the data (weeks or days, as
:func:`~crmind.analytics.clv.summary.purchase_summary` writes it); ``t`` is a span in that unit.
``frequency``, ``recency`` and ``T`` are arrays with one value per customer (lists, numpy arrays
or polars Series), validated by :class:`~crmind.analytics.clv.history.PurchaseHistory`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Self

import numpy as np
from numpy.typing import ArrayLike

from crmind.analytics.clv.history import (
    MIN_CUSTOMERS,
    MIN_PURCHASE_REPEAT_BUYERS,
    FloatArray,
    PurchaseHistory,
)
from crmind.analytics.clv.likelihood import LikelihoodModel, ValueAndGradient, maximise_likelihood
from crmind.errors import ModelDataError


def check_span(name: str, value: float) -> float:
    """``value`` as a finite, non-negative float, or ModelDataError naming it."""
    span = float(value)
    if not np.isfinite(span) or span < 0:
        raise ModelDataError(f"{name} must be a finite number >= 0, not {value!r}")
    return span


class PurchaseModel(LikelihoodModel, ABC):
    """A model of repeat-purchase counts and customer lifetimes (see the module docstring)."""

    def fit(self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> Self:  # noqa: N803
        """Fit by maximum likelihood on one (frequency, recency, T) per customer; returns self.

        Raises ModelDataError for invalid arrays, fewer than 10 customers or fewer than 3
        repeat buyers.
        """
        penalizer = self._check_penalizer()
        history = PurchaseHistory.of(frequency, recency, T)
        history.require(
            type(self).__name__,
            min_customers=MIN_CUSTOMERS,
            min_repeat_buyers=MIN_PURCHASE_REPEAT_BUYERS,
        )
        data = history.compressed()
        result = maximise_likelihood(
            self._objective(data),
            n_params=len(self.param_names),
            total_weight=float(data.weight.sum()),
            penalizer=penalizer,
            model=type(self).__name__,
        )
        self._store(result, history.n_customers)
        return self

    def predict_purchases(
        self,
        t: float,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,  # noqa: N803
    ) -> FloatArray:
        """Expected number of purchases of each customer in the next ``t`` periods, given its
        history (the conditional expectation E[Y(t) | x, t_x, T])."""
        params = self._param_vector()
        history = PurchaseHistory.of(frequency, recency, T)
        times = np.array([check_span("t", t)])
        return self._discounted_purchases(params, history, times, np.ones(1))

    def p_alive(self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> FloatArray:  # noqa: N803
        """Probability that each customer is still active at the end of observation."""
        params = self._param_vector()
        return self._p_alive(params, PurchaseHistory.of(frequency, recency, T))

    def expected_purchases(self, t: ArrayLike) -> FloatArray:
        """Unconditional expected purchases E[X(t)] of a new customer in its first ``t``
        periods (same shape as ``t``)."""
        params = self._param_vector()
        spans = np.asarray(t, dtype=np.float64)
        if not np.all(np.isfinite(spans)) or np.any(spans < 0):
            raise ModelDataError(f"t must be finite numbers >= 0, not {t!r}")
        return self._expected_purchases(params, spans)

    def discounted_purchases(
        self, history: PurchaseHistory, times: FloatArray, weights: FloatArray
    ) -> FloatArray:
        """Per customer, ``sum_k weights[k] * (E[Y(times[k])] - E[Y(times[k-1])])`` with
        ``times[-1] = 0``: the expected purchases of each period between increasing ``times``,
        weighted (e.g. discounted). The building block of customer lifetime value."""
        params = self._param_vector()
        spans = np.asarray(times, dtype=np.float64)
        factors = np.asarray(weights, dtype=np.float64)
        if spans.shape != factors.shape or spans.ndim != 1:
            raise ModelDataError(
                f"times and weights must be 1-D and of one length, not {spans.shape} and "
                f"{factors.shape}"
            )
        if not np.all(np.isfinite(spans)) or np.any(spans < 0) or np.any(np.diff(spans) < 0):
            raise ModelDataError(f"times must be finite, >= 0 and increasing, not {times!r}")
        return self._discounted_purchases(params, history, spans, factors)

    @abstractmethod
    def _objective(self, data: PurchaseHistory) -> ValueAndGradient:
        """Mean negative log-likelihood (and gradient) over ``data`` at log-parameters."""

    @abstractmethod
    def _discounted_purchases(
        self, params: FloatArray, history: PurchaseHistory, times: FloatArray, weights: FloatArray
    ) -> FloatArray:
        """Sum over ``times`` of the expected purchases by each time x its weight, per customer."""

    @abstractmethod
    def _p_alive(self, params: FloatArray, history: PurchaseHistory) -> FloatArray:
        """Probability that each customer is still alive."""

    @abstractmethod
    def _expected_purchases(self, params: FloatArray, t: FloatArray) -> FloatArray:
        """Unconditional expected purchases of a new customer in ``t`` periods."""

"""Customer lifetime value: discounted expected purchases times expected spend, with intervals.

The method of the ``lifetimes`` package (``customer_lifetime_value``), so results compare one to
one: for each month m = 1 .. ``horizon_months``, the purchases a customer is expected to make in
that month (the increase of the purchase model's conditional expectation from month m-1 to m)
times the Gamma-Gamma expected spend per purchase, discounted by ``(1 + discount_rate_monthly)^m``::

    CLV = sum_m  spend * (E[Y(m * P)] - E[Y((m-1) * P)]) / (1 + d)^m

where P is the number of periods per month (:data:`PERIODS_PER_MONTH`, also as in ``lifetimes``:
4.345 weeks or 30 days). The "value" is whatever ``monetary_value`` measures (revenue, or margin
if the summary was built from margins).

:func:`clv_interval` adds a per-customer interval by parametric bootstrap: it draws parameter
vectors of both models from the asymptotic normal distribution of their log-parameters (the
inverse Hessian at the maximum likelihood) and takes quantiles of the CLVs they give. The interval
reflects estimation uncertainty of the population parameters, not the randomness of a customer's
future purchases.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import polars as pl

from crmind.analytics.clv.gamma_gamma import GammaGammaModel, spend_given_history
from crmind.analytics.clv.history import FloatArray, PurchaseHistory, as_float_array
from crmind.analytics.clv.purchase import PurchaseModel
from crmind.analytics.clv.summary import AGE, FREQUENCY, MONETARY_VALUE, RECENCY
from crmind.errors import ConfigurationError, ModelDataError

PERIODS_PER_MONTH: Final[dict[str, float]] = {"week": 4.345, "day": 30.0}
"""Periods of the summary's time unit in one month (the factors of ``lifetimes``)."""

_CELLS_PER_BLOCK: Final = 1 << 22  # draws x customers held at once by clv_interval (32 MB)


def monthly_schedule(
    horizon_months: int, discount_rate_monthly: float, time_unit: str
) -> tuple[FloatArray, FloatArray]:
    """Month ends in periods of ``time_unit`` and their discount factors, months 1 .. horizon."""
    if isinstance(horizon_months, bool) or not isinstance(horizon_months, int | np.integer):
        raise ConfigurationError(f"horizon_months must be a whole number, not {horizon_months!r}")
    if horizon_months < 1:
        raise ConfigurationError(f"horizon_months must be at least 1, not {horizon_months}")
    rate = float(discount_rate_monthly)
    if not np.isfinite(rate) or rate <= -1:
        raise ConfigurationError(
            f"discount_rate_monthly must be a finite number > -1, not {discount_rate_monthly!r}"
        )
    try:
        periods = PERIODS_PER_MONTH[time_unit]
    except KeyError:
        raise ConfigurationError(
            f"time_unit must be one of {sorted(PERIODS_PER_MONTH)}, not {time_unit!r}"
        ) from None
    months = np.arange(1, int(horizon_months) + 1, dtype=np.float64)
    return months * periods, (1 + rate) ** -months


def customer_lifetime_value(
    purchase_model: PurchaseModel,
    spend_model: GammaGammaModel,
    summary: pl.DataFrame,
    *,
    horizon_months: int = 12,
    discount_rate_monthly: float = 0.01,
    time_unit: str = "week",
) -> FloatArray:
    """Discounted CLV of each row of ``summary`` over ``horizon_months`` (module docstring).

    ``summary`` has the columns ``frequency``, ``recency``, ``T`` (in ``time_unit``) and
    ``monetary_value``, as :func:`~crmind.analytics.clv.summary.purchase_summary` writes them;
    both models must be fitted.

    Example::

        bgf = BetaGeoModel().fit(summary["frequency"], summary["recency"], summary["T"])
        ggf = GammaGammaModel().fit(summary["frequency"], summary["monetary_value"])
        clv = customer_lifetime_value(bgf, ggf, summary, horizon_months=12)
    """
    times, weights = monthly_schedule(horizon_months, discount_rate_monthly, time_unit)
    history, monetary = summary_arrays(summary)
    purchases = purchase_model.discounted_purchases(history, times, weights)
    return purchases * spend_model.expected_spend(history.frequency, monetary)


def clv_interval(
    purchase_model: PurchaseModel,
    spend_model: GammaGammaModel,
    summary: pl.DataFrame,
    *,
    horizon_months: int = 12,
    discount_rate_monthly: float = 0.01,
    time_unit: str = "week",
    level: float = 0.9,
    n_draws: int = 200,
    random_state: int = 0,
) -> tuple[FloatArray, FloatArray]:
    """Low and high ends of a ``level`` interval of each customer's CLV (parametric bootstrap
    over ``n_draws`` parameter draws; see the module docstring). Deterministic for a given
    ``random_state``."""
    if not 0 < float(level) < 1:
        raise ConfigurationError(f"level must lie strictly between 0 and 1, not {level!r}")
    if isinstance(n_draws, bool) or not isinstance(n_draws, int | np.integer) or n_draws < 2:
        raise ConfigurationError(f"n_draws must be a whole number >= 2, not {n_draws!r}")
    times, weights = monthly_schedule(horizon_months, discount_rate_monthly, time_unit)
    history, monetary = summary_arrays(summary)
    purchase_rng, spend_rng = (
        np.random.default_rng(seed) for seed in np.random.SeedSequence(random_state).spawn(2)
    )
    purchase_draws = [
        purchase_model.with_params(dict(zip(purchase_model.param_names, row, strict=True)))
        for row in purchase_model.sample_params(n_draws, purchase_rng)
    ]
    p, q, gamma = (column[:, None] for column in spend_model.sample_params(n_draws, spend_rng).T)
    quantiles = [(1 - level) / 2, (1 + level) / 2]

    # customers in (frequency, T) order, so each block holds whole groups of the expensive
    # hypergeometric terms and no group is computed twice
    order = np.lexsort((history.T, history.frequency))
    low = np.empty(len(order))
    high = np.empty(len(order))
    block = max(1, _CELLS_PER_BLOCK // n_draws)
    for start in range(0, len(order), block):
        rows = order[start : start + block]
        part = history.subset(rows)
        purchases = np.stack(
            [model.discounted_purchases(part, times, weights) for model in purchase_draws]
        )
        spend = spend_given_history(p, q, gamma, part.frequency[None, :], monetary[rows][None, :])
        low[rows], high[rows] = _quantiles(purchases * spend, quantiles)
    return low, high


def _quantiles(draws: FloatArray, levels: list[float]) -> list[FloatArray]:
    """Quantiles of each column of ``draws`` (numpy's default "linear" method); sorting the
    transposed block is several times faster than ``np.quantile`` along axis 0."""
    ordered = np.sort(np.ascontiguousarray(draws.T), axis=1)
    n = ordered.shape[1]
    result = []
    for level in levels:
        position = level * (n - 1)
        below = int(np.floor(position))
        above = min(below + 1, n - 1)
        fraction = position - below
        result.append(ordered[:, below] + fraction * (ordered[:, above] - ordered[:, below]))
    return result


def summary_arrays(summary: pl.DataFrame) -> tuple[PurchaseHistory, FloatArray]:
    """The validated purchase history and monetary values of a summary frame."""
    missing = [col for col in (FREQUENCY, RECENCY, AGE, MONETARY_VALUE) if col not in summary]
    if missing:
        raise ModelDataError(
            f"the summary lacks column(s) {missing}; it has {summary.columns} "
            "(build it with purchase_summary)"
        )
    history = PurchaseHistory.of(summary[FREQUENCY], summary[RECENCY], summary[AGE])
    monetary = as_float_array(MONETARY_VALUE, summary[MONETARY_VALUE])
    return history, monetary

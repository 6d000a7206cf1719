"""Score every customer of a BTYD summary: the one call the analysis pipeline makes for CLV.

:func:`score_customers` fits BG/NBD (purchases and dropout) and Gamma-Gamma (spend) on the summary
and returns, per customer, the expected purchases over the horizon, the probability of being
active, the expected spend per purchase and the discounted CLV with a bootstrap interval, plus a
:class:`ClvFit` record of the fit to store with the model run.

It is two halves that an engine scoring on many machines calls apart: :func:`fit_clv` fits once
(on the driver) and :func:`score_clv` scores any batch of customers under the fitted, picklable
:class:`ClvModels` (every per-customer value depends only on that customer's row and the fitted
parameters; the interval's parameter draws come from ``random_state`` alone, so a batch draws the
same ones).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import polars as pl

from crmind.analytics.clv.beta_geo import BetaGeoModel
from crmind.analytics.clv.gamma_gamma import GammaGammaModel
from crmind.analytics.clv.history import PurchaseHistory
from crmind.analytics.clv.lifetime_value import (
    clv_interval,
    customer_lifetime_value,
    monthly_schedule,
    summary_arrays,
)
from crmind.columns import CUSTOMER_ID
from crmind.errors import ModelDataError

logger = logging.getLogger(__name__)

EXPECTED_PURCHASES = "expected_purchases"
P_ALIVE = "p_alive"
EXPECTED_SPEND = "expected_spend"
CLV = "clv"
CLV_LOW = "clv_low"
CLV_HIGH = "clv_high"


@dataclass(frozen=True)
class ClvFit:
    """What :func:`score_customers` fitted: parameters, standard errors, log-likelihoods of
    BG/NBD (r, alpha, a, b) and Gamma-Gamma (p, q, gamma), the data and the settings."""

    bg_nbd_params: dict[str, float]
    bg_nbd_standard_errors: dict[str, float]
    bg_nbd_log_likelihood: float
    gamma_gamma_params: dict[str, float]
    gamma_gamma_standard_errors: dict[str, float]
    gamma_gamma_log_likelihood: float
    n_customers: int
    n_repeat_buyers: int
    time_unit: str
    horizon_months: int
    discount_rate_monthly: float
    interval_level: float
    n_draws: int
    random_state: int
    frequency_spend_correlation: float = field(default=float("nan"))
    """Pearson correlation of frequency and monetary value among repeat buyers; Gamma-Gamma
    assumes it is near 0."""

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready copy (non-finite numbers, e.g. a NaN standard error, become None)."""
        return {key: _json_ready(value) for key, value in asdict(self).items()}


CLV_SCHEMA: dict[str, pl.DataType] = {
    CUSTOMER_ID: pl.Int64(),
    EXPECTED_PURCHASES: pl.Float64(),
    P_ALIVE: pl.Float64(),
    EXPECTED_SPEND: pl.Float64(),
    CLV: pl.Float64(),
    CLV_LOW: pl.Float64(),
    CLV_HIGH: pl.Float64(),
}
"""The columns (and types) of a CLV score frame."""


@dataclass(frozen=True)
class ClvModels:
    """Fitted BG/NBD and Gamma-Gamma models with the scoring settings (picklable: it is what a
    Spark job broadcasts to its workers)."""

    purchases: BetaGeoModel
    spend: GammaGammaModel
    horizon_months: int = 12
    discount_rate_monthly: float = 0.01
    time_unit: str = "week"
    interval_level: float = 0.9
    n_draws: int = 200
    random_state: int = 0


def score_customers(
    summary: pl.DataFrame,
    *,
    horizon_months: int = 12,
    discount_rate_monthly: float = 0.01,
    time_unit: str = "week",
    interval_level: float = 0.9,
    n_draws: int = 200,
    random_state: int = 0,
) -> tuple[pl.DataFrame, ClvFit]:
    """Fit BG/NBD and Gamma-Gamma on ``summary`` and score each of its customers.

    ``summary``: ``customer_id``, ``frequency``, ``recency``, ``T``, ``monetary_value`` (the
    output of :func:`~crmind.analytics.clv.summary.purchase_summary`, times in ``time_unit``).
    Returns one row per customer, in the summary's order: ``customer_id``,
    ``expected_purchases`` (over the next ``horizon_months``), ``p_alive``, ``expected_spend``
    (per purchase), ``clv`` (discounted at ``discount_rate_monthly``) and ``clv_low`` /
    ``clv_high`` (an ``interval_level`` bootstrap interval over ``n_draws`` parameter draws).
    Raises ModelDataError when the summary cannot be fitted, e.g. with fewer than 10 repeat
    buyers for Gamma-Gamma.

    Example::

        scores, fit = score_customers(purchase_summary(orders))
        store_run(params=fit.as_dict(), scores=scores)
    """
    started = time.perf_counter()
    models, fit = fit_clv(
        summary,
        horizon_months=horizon_months,
        discount_rate_monthly=discount_rate_monthly,
        time_unit=time_unit,
        interval_level=interval_level,
        n_draws=n_draws,
        random_state=random_state,
    )
    scores = score_clv(models, summary).with_columns(summary[CUSTOMER_ID])  # ids as given
    logger.info(
        "scored %d customers (CLV over %d months) in %.2f s",
        summary.height,
        horizon_months,
        time.perf_counter() - started,
    )
    return scores, fit


def fit_clv(
    summary: pl.DataFrame,
    *,
    horizon_months: int = 12,
    discount_rate_monthly: float = 0.01,
    time_unit: str = "week",
    interval_level: float = 0.9,
    n_draws: int = 200,
    random_state: int = 0,
) -> tuple[ClvModels, ClvFit]:
    """Fit both models on a BTYD ``summary`` (sorted by customer, as ``purchase_summary`` gives
    it, so the fit sees the same arrays in the same order as the local engine's)."""
    if CUSTOMER_ID not in summary:
        raise ModelDataError(f"the summary lacks column {CUSTOMER_ID!r}; it has {summary.columns}")
    monthly_schedule(horizon_months, discount_rate_monthly, time_unit)  # validates the settings
    history, monetary = summary_arrays(summary)
    x = history.frequency
    purchases = BetaGeoModel().fit(x, history.recency, history.T)
    spend = GammaGammaModel().fit(x, monetary)
    models = ClvModels(
        purchases=purchases,
        spend=spend,
        horizon_months=horizon_months,
        discount_rate_monthly=float(discount_rate_monthly),
        time_unit=time_unit,
        interval_level=float(interval_level),
        n_draws=n_draws,
        random_state=random_state,
    )
    fit = _describe_fit(models, history, monetary)
    return models, fit


def score_clv(models: ClvModels, summary: pl.DataFrame) -> pl.DataFrame:
    """The CLV frame of ``summary``'s customers (any subset of them) under fitted ``models``;
    integer customer ids come out as Int64 (:data:`CLV_SCHEMA`), others as they are."""
    if summary.height == 0:
        return pl.DataFrame(schema=CLV_SCHEMA)
    horizon, rate, unit = models.horizon_months, models.discount_rate_monthly, models.time_unit
    times, _ = monthly_schedule(horizon, rate, unit)
    history, monetary = summary_arrays(summary)
    x, t_x, age = history.frequency, history.recency, history.T
    value = customer_lifetime_value(
        models.purchases,
        models.spend,
        summary,
        horizon_months=horizon,
        discount_rate_monthly=rate,
        time_unit=unit,
    )
    low, high = clv_interval(
        models.purchases,
        models.spend,
        summary,
        horizon_months=horizon,
        discount_rate_monthly=rate,
        time_unit=unit,
        level=models.interval_level,
        n_draws=models.n_draws,
        random_state=models.random_state,
    )
    ids = summary[CUSTOMER_ID]
    return pl.DataFrame(
        {
            CUSTOMER_ID: ids.cast(pl.Int64) if ids.dtype.is_integer() else ids,
            EXPECTED_PURCHASES: models.purchases.predict_purchases(float(times[-1]), x, t_x, age),
            P_ALIVE: models.purchases.p_alive(x, t_x, age),
            EXPECTED_SPEND: models.spend.expected_spend(x, monetary),
            CLV: value,
            CLV_LOW: low,
            CLV_HIGH: high,
        },
        schema_overrides={name: dtype for name, dtype in CLV_SCHEMA.items() if name != CUSTOMER_ID},
    )


def _describe_fit(
    models: ClvModels, history: PurchaseHistory, monetary: np.ndarray[Any, Any]
) -> ClvFit:
    """What a CLV run records of its fit (both engines record the same)."""
    purchases, spend = models.purchases, models.spend
    x = history.frequency
    repeat = x > 0
    return ClvFit(
        bg_nbd_params=purchases.params_,
        bg_nbd_standard_errors=purchases.standard_errors_,
        bg_nbd_log_likelihood=purchases.log_likelihood_,
        gamma_gamma_params=spend.params_,
        gamma_gamma_standard_errors=spend.standard_errors_,
        gamma_gamma_log_likelihood=spend.log_likelihood_,
        n_customers=history.n_customers,
        n_repeat_buyers=history.n_repeat_buyers,
        time_unit=models.time_unit,
        horizon_months=models.horizon_months,
        discount_rate_monthly=models.discount_rate_monthly,
        interval_level=models.interval_level,
        n_draws=models.n_draws,
        random_state=models.random_state,
        frequency_spend_correlation=_correlation(x[repeat], monetary[repeat]),
    )


def _correlation(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> float:
    if len(a) < 2 or np.std(a) == 0 or np.std(b) == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def _json_ready(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _json_ready(item) for key, item in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value

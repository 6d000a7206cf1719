"""Lifetime value split into its two halves: fit once (on the driver), score anywhere.

:func:`crmind.analytics.clv.scoring.score_customers` fits BG/NBD and Gamma-Gamma and scores in one
call. An engine that scores on many machines fits once, ships the fitted models to the workers
and scores each batch of customers there: :func:`fit_clv` is the first half, :func:`score_clv`
the second, and together they give the same frame and :class:`ClvFit` as ``score_customers``
(every per-customer value depends only on that customer's row and the fitted parameters; the
interval's parameter draws come from ``random_state`` alone, so a batch draws the same ones).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from crmind.analytics.clv.beta_geo import BetaGeoModel
from crmind.analytics.clv.gamma_gamma import GammaGammaModel
from crmind.analytics.clv.lifetime_value import (
    clv_interval,
    customer_lifetime_value,
    monthly_schedule,
    summary_arrays,
)
from crmind.analytics.clv.scoring import (
    CLV,
    CLV_HIGH,
    CLV_LOW,
    EXPECTED_PURCHASES,
    EXPECTED_SPEND,
    P_ALIVE,
    ClvFit,
    describe_fit,
)
from crmind.columns import CUSTOMER_ID
from crmind.errors import ModelDataError

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
    fit = describe_fit(
        purchases,
        spend,
        history,
        monetary,
        time_unit=time_unit,
        horizon_months=horizon_months,
        discount_rate_monthly=discount_rate_monthly,
        interval_level=interval_level,
        n_draws=n_draws,
        random_state=random_state,
    )
    return models, fit


def score_clv(models: ClvModels, summary: pl.DataFrame) -> pl.DataFrame:
    """The CLV frame of ``summary``'s customers (any subset of them) under fitted ``models``."""
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
    return pl.DataFrame(
        {
            CUSTOMER_ID: summary[CUSTOMER_ID].cast(pl.Int64),
            EXPECTED_PURCHASES: models.purchases.predict_purchases(float(times[-1]), x, t_x, age),
            P_ALIVE: models.purchases.p_alive(x, t_x, age),
            EXPECTED_SPEND: models.spend.expected_spend(x, monetary),
            CLV: value,
            CLV_LOW: low,
            CLV_HIGH: high,
        },
        schema=CLV_SCHEMA,
    )

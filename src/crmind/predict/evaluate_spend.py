"""Evaluation of next-window spend predictions: metrics and the obvious rule to beat.

Metrics compare actual spend ``y`` with predicted spend ``p`` (negative actuals, net refunds, count
as zero, as :mod:`crmind.predict.spend` trains): :func:`rmse`, :func:`mae`, :func:`spearman` (rank
correlation: does the model order customers by value?) and :func:`top_decile_share` (the share of
all actual spend that the 10 % of customers with the highest predictions bring; 0.10 is no skill).

The rule a spend model must beat is :func:`spend_rate_rule`, "customers keep spending at their
past daily rate": ``monetary_total / max(tenure_days, window_days) * window_days`` (a customer with
less than one window of history counts as having spent it over one window).
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy.stats import spearmanr

from crmind.analytics.profile import MONETARY_TOTAL, TENURE_DAYS
from crmind.errors import ConfigurationError, ModelDataError

FloatArray = npt.NDArray[np.float64]

RMSE: Final = "rmse"
MAE: Final = "mae"
SPEARMAN: Final = "spearman"
TOP_DECILE_SHARE: Final = "top_decile_share"
MEAN_ACTUAL: Final = "mean_actual"
MEAN_PREDICTED: Final = "mean_predicted"


def _amounts(y: npt.ArrayLike, p: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    actual = np.clip(np.asarray(y, dtype=np.float64).ravel(), 0.0, None)
    predicted = np.asarray(p, dtype=np.float64).ravel()
    if actual.size == 0 or actual.size != predicted.size:
        raise ModelDataError(
            f"need as many predictions as actual amounts, at least one: {actual.size} actual, "
            f"{predicted.size} predicted"
        )
    if not (np.isfinite(actual).all() and np.isfinite(predicted).all()):
        raise ModelDataError("amounts must be finite numbers; found NaN or infinity")
    return actual, predicted


def rmse(y: npt.ArrayLike, p: npt.ArrayLike) -> float:
    """Root mean squared error."""
    actual, predicted = _amounts(y, p)
    return float(np.sqrt(np.mean((actual - predicted) ** 2)))


def mae(y: npt.ArrayLike, p: npt.ArrayLike) -> float:
    """Mean absolute error."""
    actual, predicted = _amounts(y, p)
    return float(np.mean(np.abs(actual - predicted)))


def spearman(y: npt.ArrayLike, p: npt.ArrayLike) -> float:
    """Spearman rank correlation of actual and predicted spend (0 when either is constant)."""
    actual, predicted = _amounts(y, p)
    if np.ptp(actual) == 0 or np.ptp(predicted) == 0:
        return 0.0
    return float(spearmanr(actual, predicted).statistic)


def top_decile_share(y: npt.ArrayLike, p: npt.ArrayLike, fraction: float = 0.1) -> float:
    """Share of the total actual spend brought by the top ``fraction`` of predictions.

    The top holds ``ceil(fraction * n)`` rows; rows tied at its boundary count in proportion, so
    a constant prediction scores exactly ``fraction``.
    """
    if not 0 < fraction <= 1:
        raise ConfigurationError(f"fraction must be in (0, 1], not {fraction}")
    actual, predicted = _amounts(y, p)
    total = actual.sum()
    if total == 0:
        raise ModelDataError("the share of spend needs some spend; every actual amount is 0")
    top = math.ceil(fraction * actual.size)
    boundary = np.sort(predicted)[::-1][top - 1]
    above = predicted > boundary
    tied = predicted == boundary
    share = (top - int(above.sum())) / int(tied.sum())
    captured = actual[above].sum() + share * actual[tied].sum()
    return float(captured / total)


def evaluate_spend(y: npt.ArrayLike, p: npt.ArrayLike) -> dict[str, float]:
    """Every metric of this module, with the number of rows and the mean actual and predicted."""
    actual, predicted = _amounts(y, p)
    return {
        "n": float(actual.size),
        MEAN_ACTUAL: float(actual.mean()),
        MEAN_PREDICTED: float(predicted.mean()),
        RMSE: rmse(actual, predicted),
        MAE: mae(actual, predicted),
        SPEARMAN: spearman(actual, predicted),
        TOP_DECILE_SHARE: top_decile_share(actual, predicted),
    }


def spend_rate_rule(features: pl.DataFrame, window_days: int) -> FloatArray:
    """Spend in the next ``window_days`` at the customer's past daily rate (module docstring)."""
    if window_days < 1:
        raise ConfigurationError(f"window_days must be at least 1, not {window_days}")
    missing = [name for name in (MONETARY_TOTAL, TENURE_DAYS) if name not in features.columns]
    if missing:
        raise ModelDataError(f"the spend-rate rule needs column(s) {', '.join(missing)}")
    spent = features[MONETARY_TOTAL].cast(pl.Float64).fill_null(0.0).clip(lower_bound=0.0)
    days = features[TENURE_DAYS].cast(pl.Float64).fill_null(0.0).clip(lower_bound=window_days)
    return (spent / days * window_days).to_numpy().astype(np.float64)


def mean_rule(train_y: npt.ArrayLike, rows: int) -> FloatArray:
    """The no-skill prediction: the training mean spend for every one of ``rows`` customers."""
    mean = float(np.clip(np.asarray(train_y, dtype=np.float64), 0.0, None).mean())
    return np.full(rows, mean)

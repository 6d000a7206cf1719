"""Evaluate the CLV models on transactions: fit on a calibration period, check on a holdout.

:func:`evaluate_clv` is what ``crmind evaluate clv`` runs. It fits BG/NBD, Pareto/NBD and
Gamma-Gamma on the purchase summary at ``calibration_end`` and, given ``holdout_end``, compares
each purchase model's conditional expectation of repeat purchases in the holdout with what every
customer actually did: mean absolute error, Pearson correlation, totals, and the totals and means
by number of calibration repeat purchases 0, 1, ..., 6, 7+ (the conditional-expectation figure of
Fader, Hardie & Lee 2005). The Gamma-Gamma expected spend is compared with the mean holdout spend
of the repeat buyers who bought again in the holdout. The result is a JSON-ready dict.
"""

from __future__ import annotations

import logging
import time
from datetime import date, datetime
from typing import Any, Final

import numpy as np
import polars as pl

from crmind.analytics.clv.beta_geo import BetaGeoModel
from crmind.analytics.clv.gamma_gamma import GammaGammaModel
from crmind.analytics.clv.history import FloatArray
from crmind.analytics.clv.likelihood import LikelihoodModel
from crmind.analytics.clv.pareto_nbd import ParetoNBDModel
from crmind.analytics.clv.purchase import PurchaseModel
from crmind.analytics.clv.summary import (
    AGE,
    DURATION_HOLDOUT,
    FREQUENCY,
    FREQUENCY_HOLDOUT,
    MONETARY_VALUE,
    MONETARY_VALUE_HOLDOUT,
    RECENCY,
    calibration_holdout_summary,
    purchase_summary,
)
from crmind.columns import AMOUNT, CUSTOMER_ID, OCCURRED_AT

logger = logging.getLogger(__name__)

TOP_BIN: Final = 7
"""Calibration repeat purchases from this number up share the last bin ("7+")."""


def evaluate_clv(
    transactions: pl.DataFrame,
    calibration_end: date | datetime | str,
    holdout_end: date | datetime | str | None = None,
    *,
    time_unit: str = "week",
    customer_col: str = CUSTOMER_ID,
    date_col: str = OCCURRED_AT,
    amount_col: str = AMOUNT,
) -> dict[str, Any]:
    """Fit the three CLV models up to ``calibration_end``; check them up to ``holdout_end``.

    Returns ``{"data": ..., "bg_nbd": ..., "pareto_nbd": ..., "gamma_gamma": ...}`` with each
    model's ``params``, ``standard_errors``, ``log_likelihood`` and ``seconds``, plus
    ``"holdout"`` when ``holdout_end`` is given (see the module docstring).

    Example (CDNOW, calibration weeks 1-39, holdout weeks 40-78)::

        evaluate_clv(transactions, "1997-09-30", "1998-06-30",
                     customer_col="customer_id", date_col="date", amount_col="dollar_value")
    """
    if holdout_end is None:
        summary = purchase_summary(
            transactions,
            customer_col=customer_col,
            date_col=date_col,
            amount_col=amount_col,
            observation_end=calibration_end,
            time_unit=time_unit,
        )
    else:
        summary = calibration_holdout_summary(
            transactions,
            calibration_end,
            holdout_end,
            customer_col=customer_col,
            date_col=date_col,
            amount_col=amount_col,
            time_unit=time_unit,
        )
    x = summary[FREQUENCY].to_numpy().astype(np.float64)
    t_x = summary[RECENCY].to_numpy()
    age = summary[AGE].to_numpy()
    monetary = summary[MONETARY_VALUE].to_numpy()
    purchase_models: dict[str, PurchaseModel] = {
        "bg_nbd": BetaGeoModel(),
        "pareto_nbd": ParetoNBDModel(),
    }
    result: dict[str, Any] = {
        "data": {
            "transactions": transactions.height,
            "customers": summary.height,
            "repeat_buyers": int((x > 0).sum()),
            "calibration_end": str(calibration_end),
            "holdout_end": None if holdout_end is None else str(holdout_end),
            "time_unit": time_unit,
        }
    }
    for name, model in purchase_models.items():
        started = time.perf_counter()
        model.fit(x, t_x, age)
        result[name] = _describe(model, time.perf_counter() - started)
    spend = GammaGammaModel()
    started = time.perf_counter()
    spend.fit(x, monetary)
    result["gamma_gamma"] = _describe(spend, time.perf_counter() - started)
    repeat = x > 0
    result["gamma_gamma"]["frequency_spend_correlation"] = _pearson(x[repeat], monetary[repeat])
    if holdout_end is not None:
        result["holdout"] = _holdout(summary, purchase_models, spend)
    logger.info("evaluated CLV models on %d customers", summary.height)
    return result


def _describe(model: LikelihoodModel, seconds: float) -> dict[str, Any]:
    return {
        "params": model.params_,
        "standard_errors": {
            name: (value if np.isfinite(value) else None)
            for name, value in model.standard_errors_.items()
        },
        "log_likelihood": model.log_likelihood_,
        "customers": model.n_customers_,
        "seconds": round(seconds, 4),
    }


def _holdout(
    summary: pl.DataFrame, models: dict[str, PurchaseModel], spend: GammaGammaModel
) -> dict[str, Any]:
    x = summary[FREQUENCY].to_numpy().astype(np.float64)
    t_x = summary[RECENCY].to_numpy()
    age = summary[AGE].to_numpy()
    duration = float(summary[DURATION_HOLDOUT][0])
    actual = summary[FREQUENCY_HOLDOUT].to_numpy().astype(np.float64)
    report: dict[str, Any] = {
        "duration": duration,
        "customers": summary.height,
        "actual_total": float(actual.sum()),
    }
    for name, model in models.items():
        predicted = model.predict_purchases(duration, x, t_x, age)
        report[name] = {
            "predicted_total": float(predicted.sum()),
            "mae": float(np.mean(np.abs(predicted - actual))),
            "correlation": _pearson(predicted, actual),
            "by_calibration_frequency": _by_bin(x, actual, predicted),
        }
    bought = (x > 0) & (actual > 0)
    monetary = summary[MONETARY_VALUE].to_numpy()
    expected = spend.expected_spend(x[bought], monetary[bought])
    observed = summary[MONETARY_VALUE_HOLDOUT].to_numpy()[bought]
    report["gamma_gamma"] = {
        "customers": int(bought.sum()),
        "expected_mean_spend": float(expected.mean()) if bought.any() else None,
        "actual_mean_spend": float(observed.mean()) if bought.any() else None,
        "mae": float(np.mean(np.abs(expected - observed))) if bought.any() else None,
        "correlation": _pearson(expected, observed),
    }
    return report


def _by_bin(x: FloatArray, actual: FloatArray, predicted: FloatArray) -> list[dict[str, Any]]:
    bins = np.minimum(x, TOP_BIN).astype(np.int64)
    rows = []
    for value in range(TOP_BIN + 1):
        members = bins == value
        count = int(members.sum())
        rows.append(
            {
                "frequency": f"{TOP_BIN}+" if value == TOP_BIN else str(value),
                "customers": count,
                "actual_total": float(actual[members].sum()),
                "predicted_total": float(predicted[members].sum()),
                "actual_mean": float(actual[members].mean()) if count else None,
                "predicted_mean": float(predicted[members].mean()) if count else None,
            }
        )
    return rows


def _pearson(a: FloatArray, b: FloatArray) -> float | None:
    if len(a) < 2 or np.std(a) == 0 or np.std(b) == 0:
        return None
    return float(np.corrcoef(a, b)[0, 1])

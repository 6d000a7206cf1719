"""Cross-validated rating prediction: RMSE and MAE of several models on the same folds.

:func:`cross_validate_ratings` splits the ratings into ``folds`` seeded folds
(:func:`crmind.recommend.split.k_fold`, every rating tested once, as Surprise's ``KFold``), fits
a fresh model from each factory on the other folds and predicts the held-out ratings. Every model
sees the same folds, so their figures can be compared pair by pair. Users or items of a test fold
unseen in its training folds get the model's fallback (the baseline), as in Surprise.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import polars as pl

from crmind.errors import ConfigurationError
from crmind.recommend.data import ITEM, USER, VALUE
from crmind.recommend.metrics import mae, rmse
from crmind.recommend.models.rating_baseline import RatingRecommender
from crmind.recommend.split import k_fold

RatingModelFactory = Callable[[], RatingRecommender]


def cross_validate_ratings(
    interactions: pl.DataFrame,
    models: Mapping[str, RatingModelFactory],
    *,
    folds: int = 5,
    seed: int = 0,
) -> dict[str, dict[str, Any]]:
    """Per model name: ``rmse_mean``, ``rmse_sd``, ``mae_mean``, ``mae_sd`` (sd across folds,
    ``ddof=0`` as Surprise prints it), ``fit_seconds_mean`` (fit time per fold),
    ``predict_seconds_mean`` and the per-fold lists ``rmse`` / ``mae`` / ``fit_seconds``."""
    if not models:
        raise ConfigurationError("name at least one rating model to cross-validate")
    per_fold: dict[str, dict[str, list[float]]] = {
        name: {"rmse": [], "mae": [], "fit_seconds": [], "predict_seconds": []} for name in models
    }
    for train, test in k_fold(interactions, folds=folds, seed=seed):
        users, items = test.get_column(USER), test.get_column(ITEM)
        actual = test.get_column(VALUE).to_numpy()
        for name, make in models.items():
            started = time.perf_counter()
            model = make().fit(train)
            fitted = time.perf_counter()
            predicted = model.predict(users, items)
            done = time.perf_counter()
            record = per_fold[name]
            record["rmse"].append(rmse(actual, predicted))
            record["mae"].append(mae(actual, predicted))
            record["fit_seconds"].append(fitted - started)
            record["predict_seconds"].append(done - fitted)
    return {name: _summary(record) for name, record in per_fold.items()}


def _summary(record: dict[str, list[float]]) -> dict[str, Any]:
    summary: dict[str, Any] = {key: list(values) for key, values in record.items()}
    for key in ("rmse", "mae"):
        summary[f"{key}_mean"] = float(np.mean(record[key]))
        summary[f"{key}_sd"] = float(np.std(record[key]))
    summary["fit_seconds_mean"] = float(np.mean(record["fit_seconds"]))
    summary["predict_seconds_mean"] = float(np.mean(record["predict_seconds"]))
    return summary

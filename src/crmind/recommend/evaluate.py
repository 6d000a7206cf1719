"""Several recommenders measured on the same split in one run.

:func:`evaluate_ranking` fits every model on the training interactions, recommends ``k`` items to
every test user and scores the lists with :func:`crmind.recommend.metrics.ranking_metrics`
(coverage over the training catalogue, novelty from training popularity), timing fit and
recommend-for-all separately.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import polars as pl

from crmind.recommend.base import Recommender
from crmind.recommend.data import ITEM, USER
from crmind.recommend.metrics import ranking_metrics


def evaluate_ranking(
    models: Mapping[str, Recommender],
    train: pl.DataFrame,
    test: pl.DataFrame,
    *,
    k: int = 10,
    exclude_seen: bool = True,
    items: pl.DataFrame | None = None,
) -> dict[str, dict[str, Any]]:
    """Metrics, ``fit_seconds`` and ``recommend_seconds`` of each model (by name)."""
    users = test.get_column(USER).unique().sort()
    catalogue = train.get_column(ITEM).n_unique()
    results: dict[str, dict[str, Any]] = {}
    for name, model in models.items():
        started = time.perf_counter()
        model.fit(train, items)
        fitted = time.perf_counter()
        recommendations = model.recommend(users, k, exclude_seen=exclude_seen)
        done = time.perf_counter()
        metrics = ranking_metrics(recommendations, test, k, catalogue_size=catalogue, train=train)
        results[name] = {
            **metrics,
            "fit_seconds": fitted - started,
            "recommend_seconds": done - fitted,
        }
    return results

"""Quality of recommendations against held-out interactions.

Ranking metrics compare each user's top-k list (a :meth:`Recommender.recommend` frame) with the
items that user interacted with in the test period (the *relevant* items), averaged over the
users who have relevant items:

- ``precision@k`` = hits / k; ``recall@k`` = hits / min(k, relevant) (so a perfect list scores 1
  even when a user has more than k relevant items, as in the implicit / RecBole convention);
- ``ndcg@k`` with binary gains, ideal DCG over min(k, relevant) items;
- ``map@k`` = mean over users of the average precision at the hits, divided by min(k, relevant);
- ``hit_rate@k`` = share of users with at least one hit;
- ``coverage`` = share of the catalogue recommended to anyone; ``novelty`` = mean self-information
  ``-log2(popularity)`` of the recommended items (popularity = share of training users).

Rating metrics: :func:`rmse` and :func:`mae` of predicted against actual ratings.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from crmind.errors import ConfigurationError, ModelDataError
from crmind.recommend.base import RANK
from crmind.recommend.data import ITEM, USER


def ranking_metrics(
    recommendations: pl.DataFrame,
    test: pl.DataFrame,
    k: int,
    *,
    catalogue_size: int | None = None,
    train: pl.DataFrame | None = None,
) -> dict[str, Any]:
    """Every ranking metric of the module docstring at ``k`` (``coverage`` needs
    ``catalogue_size``, ``novelty`` needs the ``train`` interactions)."""
    if k < 1:
        raise ConfigurationError(f"k must be at least 1, not {k}")
    for name, frame in (("recommendations", recommendations), ("test", test)):
        missing = [col for col in (USER, ITEM) if col not in frame.columns]
        if missing:
            raise ModelDataError(f"{name} lack column(s) {', '.join(missing)}")
    relevant = test.select(USER, ITEM).unique()
    counts = relevant.group_by(USER).len().rename({"len": "relevant"})
    top = recommendations.filter(pl.col(RANK) <= k).select(USER, ITEM, RANK)
    hits = top.join(relevant, on=[USER, ITEM], how="semi").sort(USER, RANK)
    per_user = (
        hits.with_columns(pl.int_range(1, pl.len() + 1).over(USER).alias("hit_number"))
        .group_by(USER)
        .agg(
            pl.len().alias("hits"),
            (1.0 / (pl.col(RANK) + 1).log(2)).sum().alias("dcg"),
            (pl.col("hit_number") / pl.col(RANK)).sum().alias("precision_sum"),
        )
    )
    users = counts.join(per_user, on=USER, how="left").fill_null(0)
    if users.is_empty():
        raise ModelDataError("the test interactions hold no user: nothing to measure")
    ideal_n = np.minimum(users.get_column("relevant").to_numpy(), k)
    hit_counts = users.get_column("hits").to_numpy().astype(np.float64)
    ideal_dcg = np.cumsum(1.0 / np.log2(np.arange(2, k + 2)))[ideal_n - 1]
    result = {
        f"precision@{k}": float(np.mean(hit_counts / k)),
        f"recall@{k}": float(np.mean(hit_counts / ideal_n)),
        f"ndcg@{k}": float(np.mean(users.get_column("dcg").to_numpy() / ideal_dcg)),
        f"map@{k}": float(np.mean(users.get_column("precision_sum").to_numpy() / ideal_n)),
        f"hit_rate@{k}": float(np.mean(hit_counts > 0)),
        "users": users.height,
    }
    metrics: dict[str, Any] = dict(result)
    if catalogue_size:
        metrics["coverage"] = top.get_column(ITEM).n_unique() / catalogue_size
    if train is not None:
        metrics["novelty"] = novelty(top, train)
    return metrics


def novelty(recommendations: pl.DataFrame, train: pl.DataFrame) -> float:
    """Mean ``-log2`` of the share of training users who had each recommended item."""
    users = train.get_column(USER).n_unique()
    popularity = train.select(USER, ITEM).unique().group_by(ITEM).len()
    joined = recommendations.select(ITEM).join(popularity, on=ITEM, how="left").fill_null(1)
    shares = joined.get_column("len").to_numpy() / max(users, 1)
    return float(np.mean(-np.log2(np.clip(shares, 1e-12, 1.0)))) if len(shares) else 0.0


def rmse(actual: npt.ArrayLike, predicted: npt.ArrayLike) -> float:
    """Root mean squared error of predicted ratings."""
    a, p = _pair(actual, predicted)
    return float(np.sqrt(np.mean((a - p) ** 2)))


def mae(actual: npt.ArrayLike, predicted: npt.ArrayLike) -> float:
    """Mean absolute error of predicted ratings."""
    a, p = _pair(actual, predicted)
    return float(np.mean(np.abs(a - p)))


def _pair(actual: npt.ArrayLike, predicted: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(actual, dtype=np.float64).ravel()
    p = np.asarray(predicted, dtype=np.float64).ravel()
    if a.size == 0 or a.size != p.size:
        raise ModelDataError(f"need as many predictions as ratings: {a.size} vs {p.size}")
    return a, p

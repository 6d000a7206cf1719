"""cross_validate_ratings on synthetic ratings, and the MovieLens 100K figures of
docs/evaluation.md: 5-fold RMSE of BiasedMF at most 0.915, the baseline at Surprise's."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from crmind.errors import ConfigurationError
from crmind.recommend.evaluate_ratings import cross_validate_ratings
from crmind.recommend.metrics import rmse
from crmind.recommend.models.rating_baseline import BaselineRating
from crmind.recommend.models.rating_knn import KNNBaselineRating
from crmind.recommend.models.rating_mf import BiasedMF
from crmind.recommend.split import k_fold
from tests.conftest import shared_data
from tests.recommend.models.rating_data import low_rank_ratings


def test_every_model_is_graded_on_the_same_folds() -> None:
    train, test = low_rank_ratings(users=60, items=30)
    ratings = pl.concat([train, test])
    results = cross_validate_ratings(
        ratings,
        {"baseline": BaselineRating, "mf": lambda: BiasedMF(factors=3, epochs=5)},
        folds=3,
        seed=1,
    )
    assert set(results) == {"baseline", "mf"}
    for summary in results.values():
        assert len(summary["rmse"]) == len(summary["mae"]) == len(summary["fit_seconds"]) == 3
        assert summary["rmse_mean"] == pytest.approx(np.mean(summary["rmse"]))
        assert summary["rmse_sd"] == pytest.approx(np.std(summary["rmse"]))
        assert summary["mae_mean"] <= summary["rmse_mean"]
        assert summary["fit_seconds_mean"] > 0
    # the first fold by hand
    fold_train, fold_test = next(k_fold(ratings, folds=3, seed=1))
    by_hand = BaselineRating().fit(fold_train).predict(fold_test["user_id"], fold_test["item_id"])
    assert results["baseline"]["rmse"][0] == pytest.approx(rmse(fold_test["value"], by_hand))
    assert results["mf"]["rmse_mean"] < results["baseline"]["rmse_mean"]


def test_no_models_is_a_configuration_error() -> None:
    train, _ = low_rank_ratings(users=20, items=10)
    with pytest.raises(ConfigurationError, match="at least one"):
        cross_validate_ratings(train, {})


@pytest.mark.slow
def test_movielens_100k_five_fold_rmse_reaches_the_goal() -> None:
    path = shared_data("movielens_100k/u.data")
    ratings = pl.read_csv(
        path, separator="\t", has_header=False, new_columns=["user_id", "item_id", "value", "ts"]
    ).drop("ts")
    results = cross_validate_ratings(
        ratings, {"baseline": BaselineRating, "mf": BiasedMF}, folds=5, seed=0
    )
    # Surprise's published BaselineOnly: RMSE 0.944, MAE 0.748 (same algorithm and settings)
    assert results["baseline"]["rmse_mean"] == pytest.approx(0.944, abs=0.003)
    assert results["baseline"]["mae_mean"] == pytest.approx(0.748, abs=0.003)
    assert results["mf"]["rmse_mean"] <= 0.915
    assert results["mf"]["mae_mean"] < 0.725
    # item kNN on one fold: better than the baseline, as in docs/evaluation.md
    train, test = next(k_fold(ratings, folds=5, seed=0))
    knn = KNNBaselineRating().fit(train).predict(test["user_id"], test["item_id"])
    assert rmse(test["value"], knn) < results["baseline"]["rmse"][0] - 0.02

"""KNNBaselineRating: the contract, the shrunk pearson-baseline similarity by hand, predictions
against a plain per-rating loop (Surprise's algorithm), reasons and limits."""

from __future__ import annotations

import heapq
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from crmind.errors import ConfigurationError, ModelDataError
from crmind.recommend.metrics import rmse
from crmind.recommend.models import rating_knn
from crmind.recommend.models.rating_baseline import BaselineRating
from crmind.recommend.models.rating_knn import KNNBaselineRating, pearson_baseline
from tests.estimator_contract import check_estimator_contract
from tests.recommend.models.rating_data import low_rank_ratings

TRAIN, TEST = low_rank_ratings(users=60, items=30, density=0.4)


def test_knn_follows_the_estimator_contract(tmp_path: Path) -> None:
    check_estimator_contract(
        make=KNNBaselineRating,
        fit=lambda model: model.fit(TRAIN),
        outputs=lambda model: model.predict(TEST["user_id"], TEST["item_id"]),
        tmp_path=tmp_path,
    )


def test_similarity_is_the_shrunk_correlation_over_common_raters() -> None:
    # item 0: residuals 1, -1, 0.5 from users 0, 1, 2; item 1: 2, -2 from users 0, 1;
    # item 2: 3 from user 2 only
    x = np.array([0, 0, 0, 1, 1, 2])
    y = np.array([0, 1, 2, 0, 1, 2])
    residuals = np.array([1.0, -1.0, 0.5, 2.0, -2.0, 3.0])
    # items 0 and 1 share users 0 and 1: 4 / sqrt(2 * 8) = 1, shrunk by (2-1) / (2-1+1)
    similarity = pearson_baseline(x, y, residuals, 3, 3, shrinkage=1.0)
    np.testing.assert_allclose(similarity[0, 1], 0.5)
    np.testing.assert_allclose(similarity[1, 0], 0.5)
    np.testing.assert_allclose(np.diag(similarity), 1.0)
    # items 0 and 2 share one user: (1 - 1) / (1 - 1 + s) = 0; items 1 and 2 none
    assert similarity[0, 2] == 0.0
    assert similarity[1, 2] == 0.0
    unshrunk = pearson_baseline(x, y, residuals, 3, 3, shrinkage=0.0)
    np.testing.assert_allclose(unshrunk[0, 1], 1.0)


def surprise_loop(model: KNNBaselineRating, users: list[object], items: list[object]) -> np.ndarray:
    """Surprise's KNNBaseline.estimate, one rating at a time, on the model's state."""
    data, biases, ratings = model.data_, model.biases_, model.ratings_
    rows, columns = data.user_rows(users), data.item_columns(items)
    rated: dict[int, list[tuple[int, float]]] = {}
    for row, column, residual in zip(
        ratings.rows.tolist(), ratings.columns.tolist(), model.residuals_.tolist(), strict=True
    ):
        y, x = (column, row) if model.user_based else (row, column)
        rated.setdefault(y, []).append((x, residual))
    result = []
    for row, column in zip(rows.tolist(), columns.tolist(), strict=True):
        estimate = biases.global_mean + biases.user[row] + biases.item[column]
        x, y = (row, column) if model.user_based else (column, row)
        neighbours = [(model.similarity_[x, other], e) for other, e in rated.get(y, [])]
        top = heapq.nlargest(model.neighbours, neighbours, key=lambda pair: pair[0])
        weights = sum(s for s, _ in top if s > 0)
        used = sum(1 for s, _ in top if s > 0)
        if weights > 0 and used >= model.min_neighbours:
            estimate += sum(s * e for s, e in top if s > 0) / weights
        result.append(float(np.clip(estimate, *model.scale_)))
    return np.array(result)


@pytest.mark.parametrize("user_based", [False, True])
def test_predictions_match_surprise_s_algorithm_one_rating_at_a_time(user_based: bool) -> None:
    model = KNNBaselineRating(neighbours=5, min_neighbours=2, user_based=user_based).fit(TRAIN)
    users, items = TEST["user_id"].to_list(), TEST["item_id"].to_list()
    np.testing.assert_allclose(
        model.predict(users, items), surprise_loop(model, users, items), rtol=1e-5
    )
    rows = np.array([0, 3])
    expected = np.vstack(
        [surprise_loop(model, [model.data_.users[r]] * 30, list(model.data_.items)) for r in rows]
    )
    np.testing.assert_allclose(model._score_rows(rows), expected, rtol=1e-5)


def test_it_beats_the_baseline_on_held_out_ratings() -> None:
    train, test = low_rank_ratings()
    actual = test["value"].to_numpy()
    baseline = BaselineRating().fit(train).predict(test["user_id"], test["item_id"])
    for user_based in (False, True):
        model = KNNBaselineRating(shrinkage=10.0, user_based=user_based).fit(train)
        knn = model.predict(test["user_id"], test["item_id"])
        assert rmse(actual, knn) < 0.8 * rmse(actual, baseline)


def test_item_reasons_name_the_similar_item_and_its_rating() -> None:
    items = pl.DataFrame({"item_id": [f"item{j}" for j in range(30)]}).with_columns(
        ("Film " + pl.col("item_id").str.slice(4)).alias("name")
    )
    model = KNNBaselineRating().fit(TRAIN, items)
    top = model.recommend([0], k=5)
    reason = top["reason"][0]
    assert reason.startswith("similar to Film ")
    name, rating = reason.removeprefix("similar to ").split(" you rated ")
    rated = TRAIN.filter((pl.col("user_id") == 0) & (pl.col("item_id") == "item" + name[5:]))
    assert rated["value"][0] == pytest.approx(float(rating), abs=1e-5)


def test_user_based_reasons_name_no_other_customer() -> None:
    model = KNNBaselineRating(user_based=True).fit(TRAIN)
    reasons = model.recommend([0, 1], k=5)["reason"]
    assert reasons.str.starts_with("rated ").all()


def test_limits_and_bad_options() -> None:
    with pytest.raises(ConfigurationError):
        KNNBaselineRating(neighbours=0).fit(TRAIN)
    with pytest.raises(ConfigurationError):
        KNNBaselineRating(shrinkage=-1.0).fit(TRAIN)


def test_too_many_items_for_a_dense_similarity_are_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(rating_knn, "MAX_ENTITIES", 10)
    with pytest.raises(ModelDataError, match="30 items"):
        KNNBaselineRating().fit(TRAIN)
    KNNBaselineRating(user_based=True).fit(TRAIN.filter(pl.col("user_id") < 10))

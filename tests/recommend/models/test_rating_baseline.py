"""BaselineRating and what every rating model shares: biases by hand, clipping, fallbacks,
duplicates, recommendations and errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from crmind.errors import ConfigurationError, ModelDataError
from crmind.recommend.metrics import rmse
from crmind.recommend.models.rating_baseline import BaselineRating
from tests.estimator_contract import check_estimator_contract
from tests.recommend.models.rating_data import low_rank_ratings

# u1 rates a 5 and b 3, u2 rates a 4: mean 4
TINY = pl.DataFrame({"user_id": ["u1", "u1", "u2"], "item_id": ["a", "b", "a"], "value": [5, 3, 4]})


def test_baseline_follows_the_estimator_contract(tmp_path: Path) -> None:
    train, test = low_rank_ratings(users=40, items=20)
    check_estimator_contract(
        make=BaselineRating,
        fit=lambda model: model.fit(train),
        outputs=lambda model: model.predict(test["user_id"], test["item_id"]),
        tmp_path=tmp_path,
    )


def test_biases_match_one_hand_computed_als_round() -> None:
    model = BaselineRating(reg_user=1.0, reg_item=1.0, epochs=1).fit(TINY)
    # items first with b_u = 0: b_a = ((5-4) + (4-4)) / (1+2) = 1/3, b_b = (3-4) / (1+1) = -1/2
    # then users: b_u1 = ((5-4-1/3) + (3-4+1/2)) / (1+2) = 1/18, b_u2 = (4-4-1/3) / (1+1) = -1/6
    biases = model.biases_
    assert biases.global_mean == pytest.approx(4.0)
    np.testing.assert_allclose(biases.item, [1 / 3, -1 / 2])
    np.testing.assert_allclose(biases.user, [1 / 18, -1 / 6])
    predicted = model.predict(["u1", "u2", "u2"], ["a", "a", "b"])
    np.testing.assert_allclose(
        predicted, [4 + 1 / 18 + 1 / 3, 4 - 1 / 6 + 1 / 3, 4 - 1 / 6 - 1 / 2]
    )


def test_unseen_users_and_items_fall_back_to_the_known_biases() -> None:
    model = BaselineRating(reg_user=1.0, reg_item=1.0, epochs=1).fit(TINY)
    predicted = model.predict(["new", "u1", "new"], ["a", "new", "other"])
    np.testing.assert_allclose(predicted, [4 + 1 / 3, 4 + 1 / 18, 4.0])


def test_predictions_are_clipped_to_the_scale_seen_at_fit() -> None:
    frame = pl.DataFrame(
        {
            "user_id": [1, 1, 1, 2, 2, 3],
            "item_id": ["a", "b", "c", "a", "b", "c"],
            "value": [5.0, 5.0, 5.0, 5.0, 4.0, 2.0],
        }
    )
    model = BaselineRating(reg_user=0.0, reg_item=0.0, epochs=5).fit(frame)
    rows = np.repeat(np.arange(3), 3)
    columns = np.tile(np.arange(3), 3)
    raw = model._raw_pairs(rows, columns)
    assert raw.max() > 5.0 or raw.min() < 2.0  # the unclipped model leaves the scale
    predicted = model.predict(model.data_.users[rows], model.data_.items[columns])
    assert predicted.min() >= 2.0
    assert predicted.max() <= 5.0
    np.testing.assert_allclose(predicted, np.clip(raw, 2.0, 5.0))


def test_a_pair_rated_twice_counts_once_with_its_mean_rating() -> None:
    twice = pl.concat([TINY, pl.DataFrame({"user_id": ["u2"], "item_id": ["a"], "value": [2]})])
    model = BaselineRating().fit(twice)
    assert model.biases_.global_mean == pytest.approx((5 + 3 + 3) / 3)
    assert model.ratings_.values.size == 3


def test_it_beats_the_global_mean_on_held_out_ratings() -> None:
    train, test = low_rank_ratings()
    model = BaselineRating().fit(train)
    actual = test["value"].to_numpy()
    mean = np.full(test.height, train["value"].mean())
    assert rmse(actual, model.predict(test["user_id"], test["item_id"])) < rmse(actual, mean)


def test_recommendations_are_the_best_predicted_ratings_with_their_average() -> None:
    train, _ = low_rank_ratings(users=40, items=20)
    model = BaselineRating().fit(train)
    top = model.recommend([0, 999], k=3, exclude_seen=False)
    assert top.height == 6
    first = top.filter(pl.col("user_id") == 0)
    expected = model.predict([0] * 3, first["item_id"])
    np.testing.assert_allclose(first["score"].to_numpy(), expected, rtol=1e-6)
    assert first["reason"].str.contains(r"^rated \d\.\d on average by \d+ people$").all()
    unknown = top.filter(pl.col("user_id") == 999)
    np.testing.assert_allclose(
        unknown["score"].to_numpy(), model.predict([999] * 3, unknown["item_id"]), rtol=1e-6
    )


def test_bad_input_and_options_are_refused() -> None:
    model = BaselineRating().fit(TINY)
    with pytest.raises(ModelDataError, match="one item per user"):
        model.predict(["u1", "u2"], ["a"])
    with pytest.raises(ModelDataError, match="sequence of ids"):
        model.predict("u1", "a")
    with pytest.raises(ModelDataError, match="finite"):
        BaselineRating().fit(TINY.with_columns(pl.Series("value", [1.0, float("nan"), 2.0])))
    with pytest.raises(ConfigurationError, match="regularisation"):
        BaselineRating(reg_user=-1.0).fit(TINY)
    with pytest.raises(ConfigurationError, match="epochs"):
        BaselineRating(epochs=0).fit(TINY)

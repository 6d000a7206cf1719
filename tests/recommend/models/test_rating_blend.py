"""RatingBlend: the contract, weights from held-out training ratings, members indexed as the
blend, reasons and errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from crmind.errors import ConfigurationError, ModelDataError
from crmind.recommend.metrics import rmse
from crmind.recommend.models.rating_baseline import BaselineRating
from crmind.recommend.models.rating_blend import RatingBlend
from crmind.recommend.models.rating_knn import KNNBaselineRating
from crmind.recommend.models.rating_mf import BiasedMF
from tests.estimator_contract import check_estimator_contract
from tests.recommend.models.rating_data import low_rank_ratings

TRAIN, TEST = low_rank_ratings()


def small_blend() -> RatingBlend:
    return RatingBlend(models=[BiasedMF(factors=3, epochs=8, reg=0.05), KNNBaselineRating()])


def test_blend_follows_the_estimator_contract(tmp_path: Path) -> None:
    check_estimator_contract(
        make=lambda: RatingBlend(models=[BaselineRating(), BiasedMF(factors=2, epochs=2)]),
        fit=lambda model: model.fit(TRAIN),
        outputs=lambda model: model.predict(TEST["user_id"], TEST["item_id"]),
        tmp_path=tmp_path,
    )


def test_the_blend_is_at_least_as_good_as_its_best_member() -> None:
    blend = small_blend().fit(TRAIN)
    actual = TEST["value"].to_numpy()
    users, items = TEST["user_id"], TEST["item_id"]
    members = [rmse(actual, model.predict(users, items)) for model in blend.models_]
    assert rmse(actual, blend.predict(users, items)) <= min(members) * 1.02
    assert blend.weights_.shape == (3,)
    assert blend.weights_[1] > blend.weights_[2] > -0.5  # the factor model carries most weight
    assert blend.models is not None
    assert not hasattr(blend.models[0], "ratings_")  # the members given are cloned, not fitted


def test_members_are_indexed_as_the_blend_and_ranking_matches_predict() -> None:
    blend = small_blend().fit(TRAIN)
    for member in blend.models_:
        np.testing.assert_array_equal(member.data_.users, blend.data_.users)
        np.testing.assert_array_equal(member.data_.items, blend.data_.items)
    top = blend.recommend([0, 1, 12345], k=4)
    expected = blend.predict(top["user_id"], top["item_id"])
    np.testing.assert_allclose(top["score"].to_numpy(), expected, rtol=1e-5)
    assert top.height == 12


def test_reasons_come_from_the_member_with_the_largest_weight() -> None:
    blend = small_blend().fit(TRAIN)
    rows, items = np.array([0, 1]), np.array([2, 3])
    leader = blend.models_[int(np.argmax(blend.weights_[1:]))]
    assert blend._explain(rows, items) == leader._explain(rows, items)


def test_bad_options_and_too_little_data() -> None:
    with pytest.raises(ConfigurationError, match="holdout"):
        RatingBlend(holdout=1.0).fit(TRAIN)
    with pytest.raises(ConfigurationError, match="at least one rating model"):
        RatingBlend(models=[]).fit(TRAIN)
    with pytest.raises(ModelDataError, match="too few"):
        RatingBlend(models=[BaselineRating()], holdout=0.01).fit(TRAIN.head(3))

"""BiasedMF: the contract, learning a low-rank matrix, seeds, ranking scores, reasons, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from crmind.errors import ConfigurationError
from crmind.recommend.metrics import rmse
from crmind.recommend.models.rating_baseline import BaselineRating
from crmind.recommend.models.rating_mf import BiasedMF
from tests.estimator_contract import check_estimator_contract
from tests.recommend.models.rating_data import low_rank_ratings

TRAIN, TEST = low_rank_ratings()


def test_biased_mf_follows_the_estimator_contract(tmp_path: Path) -> None:
    check_estimator_contract(
        make=lambda: BiasedMF(factors=4, epochs=3),
        fit=lambda model: model.fit(TRAIN),
        outputs=lambda model: model.predict(TEST["user_id"], TEST["item_id"]),
        tmp_path=tmp_path,
    )


def test_it_learns_a_low_rank_matrix_far_better_than_the_baseline() -> None:
    actual = TEST["value"].to_numpy()
    baseline = rmse(actual, BaselineRating().fit(TRAIN).predict(TEST["user_id"], TEST["item_id"]))
    model = BiasedMF(factors=3, epochs=15, reg=0.05).fit(TRAIN)
    learned = rmse(actual, model.predict(TEST["user_id"], TEST["item_id"]))
    assert learned < 0.5 * baseline
    assert learned < 0.35


def test_the_seed_decides_the_fit() -> None:
    users, items = TEST["user_id"], TEST["item_id"]
    first = BiasedMF(factors=4, epochs=3, random_state=1).fit(TRAIN).predict(users, items)
    again = BiasedMF(factors=4, epochs=3, random_state=1).fit(TRAIN).predict(users, items)
    other = BiasedMF(factors=4, epochs=3, random_state=2).fit(TRAIN).predict(users, items)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_ranking_scores_are_the_clipped_predicted_ratings() -> None:
    model = BiasedMF(factors=4, epochs=5).fit(TRAIN)
    top = model.recommend([0, 1, -5], k=5)
    predicted = model.predict(top["user_id"], top["item_id"])
    np.testing.assert_allclose(top["score"].to_numpy(), predicted, rtol=1e-5)
    low, high = model.scale_
    assert low <= predicted.min()
    assert predicted.max() <= high
    seen = TRAIN.filter(pl.col("user_id") == 0)["item_id"]
    assert not top.filter(pl.col("user_id") == 0)["item_id"].is_in(seen.implode()).any()


def test_unseen_users_get_the_baseline_of_the_item() -> None:
    model = BiasedMF(factors=4, epochs=3).fit(TRAIN)
    item = model.data_.items[0]
    expected = model.biases_.global_mean + model.biases_.item[0]
    assert model.predict([-1], [item])[0] == pytest.approx(np.clip(expected, *model.scale_))


def test_reasons_say_taste_when_the_factors_lift_the_rating() -> None:
    model = BiasedMF(factors=4, epochs=5).fit(TRAIN)
    rows = np.array([0, 0, -1])
    items = np.arange(3)
    reasons = model._explain(rows, items)
    lift = model.user_factors_[0] @ model.item_factors_[:2].T
    for reason, lifted in zip(reasons[:2], lift.tolist(), strict=True):
        assert (reason == "rated highly by people with your taste") == (lifted > 0)
    assert reasons[2].startswith("rated ")
    assert model.similar_items([model.data_.items[0]], k=3).height == 3


@pytest.mark.parametrize(
    "options", [{"factors": 0}, {"epochs": 0}, {"reg": 0.0}, {"reg_bias": -1.0}]
)
def test_bad_options_raise_configuration_error(options: dict[str, float]) -> None:
    with pytest.raises(ConfigurationError):
        BiasedMF(**options).fit(TRAIN)  # type: ignore[arg-type]

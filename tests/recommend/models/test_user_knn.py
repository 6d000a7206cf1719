"""User-kNN: Pearson correlation as numpy computes it, blocks that change nothing, neighbours'
purchases with a counted reason, seen items, unknown users, quality against popularity."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.sparse import csr_matrix

from crmind.errors import ConfigurationError
from crmind.recommend.models import user_knn
from crmind.recommend.models.popularity import PopularityRecommender
from crmind.recommend.models.user_knn import UserKNNRecommender, pearson_neighbours
from tests.estimator_contract import check_estimator_contract
from tests.recommend.models.test_implicit_mf import ITEMS, baskets, hit_rate, taste_groups


def test_follows_the_estimator_contract(tmp_path: Path) -> None:
    check_estimator_contract(
        make=lambda: UserKNNRecommender(neighbours=3),
        fit=lambda model: model.fit(baskets(), ITEMS),
        outputs=lambda model: model.recommend([4, 8], 2),
        tmp_path=tmp_path,
    )


def test_correlation_is_pearson_over_the_whole_row() -> None:
    rng = np.random.default_rng(3)
    dense = (rng.random((12, 9)) < 0.4) * rng.integers(1, 4, (12, 9))
    dense[0] = 0  # a user with nothing correlates with no one
    similarity = pearson_neighbours(csr_matrix(dense.astype(np.float32)), 11, 0.0).toarray()
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = np.nan_to_num(np.corrcoef(dense.astype(np.float64)))
    np.fill_diagonal(expected, 0.0)
    expected[expected < 0] = 0.0
    np.testing.assert_allclose(similarity, expected, atol=1e-5)
    assert not similarity[0].any()
    assert not similarity[:, 0].any()


def test_shrinkage_and_neighbour_count() -> None:
    matrix = csr_matrix(baskets_matrix())
    plain = pearson_neighbours(matrix, 2, 0.0)
    shrunk = pearson_neighbours(matrix, 2, 10.0)
    assert np.diff(plain.indptr).max() <= 2
    assert (shrunk.data < plain.data).all()  # same neighbours, pulled towards 0


def baskets_matrix() -> np.ndarray:
    model = UserKNNRecommender().fit(baskets(), ITEMS)
    return np.asarray(model.user_items_.todense())


def test_blocks_give_the_same_neighbours(monkeypatch: pytest.MonkeyPatch) -> None:
    train, _, items = taste_groups(users=60)
    whole = UserKNNRecommender(neighbours=5, weighting="log").fit(train, items)
    monkeypatch.setattr(user_knn, "BLOCK_CELLS", 7 * 60)  # blocks of 7 users
    blocked = UserKNNRecommender(neighbours=5, weighting="log").fit(train, items)
    np.testing.assert_allclose(whole.similarity_.toarray(), blocked.similarity_.toarray())


def test_recommends_what_similar_customers_bought_with_the_count() -> None:
    model = UserKNNRecommender(neighbours=3).fit(baskets(), ITEMS)
    recs = model.recommend([4, 8], 1)
    assert recs["item_id"].to_list() == ["teapot", "seeds"]
    assert recs["reason"].to_list() == [
        "customers like you bought it (3 of your 3 most similar)",
        "customers like you bought it (3 of your 3 most similar)",
    ]
    assert set(model.recommend([4], 6)["item_id"]).isdisjoint({"mug", "kettle"})


def test_seen_items_can_come_back_and_unknown_users_get_nothing() -> None:
    model = UserKNNRecommender(neighbours=3).fit(baskets(), ITEMS)
    again = model.recommend([4], 3, exclude_seen=False)
    assert set(again["item_id"]) == {"mug", "kettle", "teapot"}
    assert model.recommend(["nobody"], 3).is_empty()


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="neighbours"):
        UserKNNRecommender(neighbours=0).fit(baskets())
    with pytest.raises(ConfigurationError, match="weighting"):
        UserKNNRecommender(weighting="tfidf").fit(baskets())  # type: ignore[arg-type]


def test_beats_popularity_on_taste_groups() -> None:
    train, test, items = taste_groups()
    popular = hit_rate(PopularityRecommender().fit(train, items), train, test)
    knn = hit_rate(UserKNNRecommender(neighbours=20).fit(train, items), train, test)
    assert knn > popular + 0.3

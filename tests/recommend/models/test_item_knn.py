"""Item-kNN: cosine with shrinkage, a sparse top-neighbours model, and reasons that name the
bought item adding most to each recommendation."""

from __future__ import annotations

import numpy as np
import pytest

from crmind.recommend import cooccurrence
from crmind.recommend.models import item_knn
from crmind.recommend.models.item_knn import ItemKNNRecommender
from tests.recommend.models.reason_check import (
    check_reasons_name_the_strongest_bought_item,
    random_baskets,
)


@pytest.mark.parametrize("binary", [True, False])
@pytest.mark.parametrize("catalogue", ["dense", "banded"])
def test_similarity_is_cosine_with_shrinkage_keeping_the_top_neighbours(
    binary: bool, catalogue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if catalogue == "banded":  # a catalogue too large for one dense item x item matrix
        monkeypatch.setattr(cooccurrence, "DENSE_ITEMS", 40)
        monkeypatch.setattr(cooccurrence, "BLOCK_ITEMS", 16)
    model = ItemKNNRecommender(neighbours=5, shrink=2.0, binary=binary).fit(random_baskets())
    values = model.data_.matrix.toarray().astype(np.float64)
    if binary:
        values = (values > 0).astype(np.float64)
    norms = np.sqrt((values**2).sum(axis=0))
    cosine = values.T @ values / (np.outer(norms, norms) + 2.0)
    np.fill_diagonal(cosine, 0.0)
    similarity = model.similarity_.toarray()
    assert (np.count_nonzero(similarity, axis=1) <= 5).all()
    for item in range(similarity.shape[0]):
        kept = np.flatnonzero(similarity[item])
        np.testing.assert_allclose(similarity[item, kept], cosine[item, kept], rtol=1e-5)
        dropped = np.setdiff1d(np.arange(similarity.shape[1]), kept)
        assert cosine[item, dropped].max() <= similarity[item, kept].min() + 1e-6


def test_reasons_name_the_bought_item_adding_most_to_the_score() -> None:
    for binary in (True, False):
        model = ItemKNNRecommender(neighbours=10, binary=binary).fit(random_baskets())
        check_reasons_name_the_strongest_bought_item(
            model, model.user_items_.toarray(), model.similarity_.toarray(), "bought together with"
        )


def test_an_item_bought_before_is_said_so_when_seen_items_are_kept() -> None:
    model = ItemKNNRecommender().fit(random_baskets())
    recommendations = model.recommend(model.data_.users.tolist()[:50], 5, exclude_seen=False)
    rows = model.data_.user_rows(recommendations["user_id"])
    columns = model.data_.item_columns(recommendations["item_id"])
    bought = model.data_.matrix[rows, columns].A1 > 0
    assert bought.any()
    again = recommendations["reason"].to_numpy() == "you bought it before"
    assert (again == bought).all()


@pytest.mark.parametrize(("share", "hubs_at_most"), [(0.2, 60), (0.05, 5), (1e9, 60)])
def test_scores_are_the_bought_items_times_the_similarity_with_or_without_hub_columns(
    share: float, hubs_at_most: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(item_knn, "HUB_SHARE", share)
    monkeypatch.setattr(item_knn, "HUB_BYTES", 4 * 60 * hubs_at_most)
    model = ItemKNNRecommender(neighbours=10, binary=False).fit(random_baskets())
    hubs = model.hub_items_
    assert hubs.size <= hubs_at_most
    assert (hubs.size > 0) == (share < 1)
    if share == 0.05:  # capped: the items most often a neighbour of bought items are kept
        bought = model.user_items_.getnnz(axis=0)
        reach = np.asarray((model.similarity_ > 0).T @ bought).ravel()
        others = np.setdiff1d(np.arange(reach.size), hubs)
        assert reach[hubs].min() >= reach[others].max()
    rows = np.arange(model.data_.users.size)
    expected = model.user_items_.toarray() @ model.similarity_.toarray()
    np.testing.assert_allclose(model._score_rows(rows), expected, rtol=1e-6, atol=1e-7)

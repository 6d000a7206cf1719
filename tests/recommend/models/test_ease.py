"""EASE: Steck's closed form, and reasons that name the bought item adding most to each
recommendation."""

from __future__ import annotations

import numpy as np

from crmind.recommend.models.ease import EASERecommender
from tests.recommend.models.reason_check import (
    check_reasons_name_the_strongest_bought_item,
    random_baskets,
)


def test_weights_are_the_closed_form_solution() -> None:
    model = EASERecommender(l2=30.0).fit(random_baskets())
    binary = (model.data_.matrix.toarray() > 0).astype(np.float64)
    inverse = np.linalg.inv(binary.T @ binary + 30.0 * np.eye(binary.shape[1]))
    expected = -inverse / np.diag(inverse)
    np.fill_diagonal(expected, 0.0)
    np.testing.assert_allclose(model.weights_, expected, atol=1e-6)


def test_reasons_name_the_bought_item_adding_most_to_the_score() -> None:
    model = EASERecommender(l2=30.0).fit(random_baskets())
    check_reasons_name_the_strongest_bought_item(
        model, model.user_items_.toarray(), model.weights_, "bought together with"
    )

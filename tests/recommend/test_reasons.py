"""Reasons: the bought item that explains each recommendation, found in blocks, matches a
brute-force search over every (user, recommended item) pair, for dense and sparse weights."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse import csr_matrix
from scipy.sparse import random as sparse_random

from crmind.recommend import reasons
from crmind.recommend.reasons import SparseWeights, closest_bought, strongest_bought


def test_closest_bought_leaves_the_item_itself_out() -> None:
    user_items = csr_matrix(np.array([[1.0, 1.0, 0.0], [0.0, 0.0, 0.0]], dtype=np.float32))
    vectors = np.array([[1.0, 0.0], [0.6, 0.8], [0.8, 0.6]], dtype=np.float32)
    rows = np.array([0, 0, 1, -1])
    items = np.array([2, 0, 2, 2])
    best, similarity, itself = closest_bought(user_items, vectors, rows, items)
    assert best.tolist() == [1, 1, -1, -1]  # item 2 is closer to item 1 (0.96) than to 0 (0.8)
    np.testing.assert_allclose(similarity[:2], [0.96, 0.6], rtol=1e-6)
    assert itself.tolist() == [False, True, False, False]


def test_segment_best_takes_the_first_of_equal_maxima_and_skips_empty_segments() -> None:
    sizes = np.array([3, 0, 2, 1, 2])
    values = np.array([1.0, 5.0, 5.0, -np.inf, -np.inf, 2.0, -1.0, -3.0], dtype=np.float32)
    winner, largest = reasons._segment_best(sizes, values)
    assert winner.tolist() == [1, -1, -1, 5, 6]
    assert largest.tolist() == [5.0, -np.inf, -np.inf, 2.0, -1.0]


def _brute_force(
    user_items: np.ndarray, weights: np.ndarray, rows: np.ndarray, items: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    best: list[int] = []
    value: list[float] = []
    for row, item in zip(rows.tolist(), items.tolist(), strict=True):
        bought = [j for j in np.flatnonzero(user_items[row]) if j != item] if row >= 0 else []
        if not bought:
            best.append(-1)
            value.append(-np.inf)
            continue
        contributions = user_items[row, bought] * weights[bought, item]
        winner = int(np.argmax(contributions))  # the first (lowest column) of equal maxima
        best.append(int(bought[winner]))
        value.append(float(contributions[winner]))
    return np.array(best), np.array(value, dtype=np.float32)


@pytest.mark.parametrize("block_entries", [7, 1 << 18])
def test_strongest_bought_matches_brute_force_for_dense_and_sparse_weights(
    block_entries: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reasons, "BLOCK_ENTRIES", block_entries)  # many blocks, and one
    rng = np.random.default_rng(3)
    user_items = sparse_random(40, 25, density=0.2, format="csr", random_state=4, dtype=np.float32)
    user_items.data[:] = rng.integers(1, 4, user_items.nnz)  # quantities, with ties
    weights = sparse_random(25, 25, density=0.3, format="csr", random_state=5, dtype=np.float32)
    weights.data[:] = np.round(rng.normal(size=weights.nnz), 1)  # negative weights too
    rows = rng.integers(-1, 40, 300)
    items = rng.integers(0, 25, 300)
    expected_best, expected_value = _brute_force(
        user_items.toarray(), weights.toarray(), rows, items
    )
    adds = expected_value > 0  # what a reason names; below, sparse weights see stored entries only
    for stored in (weights.toarray(), SparseWeights.of(weights)):
        best, value, itself = strongest_bought(user_items, stored, rows, items)
        np.testing.assert_array_equal(
            np.where(value > 0, best, -1), np.where(adds, expected_best, -1)
        )
        np.testing.assert_allclose(value[adds], expected_value[adds], rtol=1e-6)
        pairs = zip(rows.tolist(), items.tolist(), strict=True)
        assert itself.tolist() == [row >= 0 and user_items[row, item] > 0 for row, item in pairs]

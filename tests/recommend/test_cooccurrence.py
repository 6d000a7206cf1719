"""Co-occurrence blocks: heavy users through dense products, light users through the sparse
upper triangle (or item bands for large catalogues); every route gives exactly ``XᵀX``."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse import csr_matrix

from crmind.recommend import cooccurrence
from crmind.recommend.cooccurrence import cooccurrence_blocks


def _users(seed: int, users: int = 200, items: int = 48, binary: bool = True) -> csr_matrix:
    """Mostly short baskets, some long ones (heavy users), some empty."""
    rng = np.random.default_rng(seed)
    sizes = np.where(
        rng.random(users) < 0.15, rng.integers(10, items, users), rng.integers(0, 4, users)
    )
    dense = np.zeros((users, items), dtype=np.float32)
    for user, size in enumerate(sizes):
        dense[user, rng.choice(items, size=size, replace=False)] = 1.0
    if not binary:
        dense *= rng.integers(1, 7, dense.shape).astype(np.float32)
    return csr_matrix(dense)


def _stacked(matrix: csr_matrix) -> np.ndarray:
    parts = list(cooccurrence_blocks(matrix))
    assert [start for start, _ in parts] == list(
        range(0, matrix.shape[1], cooccurrence.BLOCK_ITEMS)
    )
    return np.vstack([block for _, block in parts])


@pytest.mark.parametrize("binary", [True, False])
@pytest.mark.parametrize("catalogue", ["dense", "banded"])
def test_blocks_are_the_exact_item_item_product(
    binary: bool, catalogue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cooccurrence, "BLOCK_ITEMS", 20)
    monkeypatch.setattr(cooccurrence, "HEAVY_BLOCK", 7)
    if catalogue == "banded":
        monkeypatch.setattr(cooccurrence, "DENSE_ITEMS", 30)
    matrix = _users(0, binary=binary)
    counts = np.diff(matrix.indptr)
    heavy = counts * cooccurrence.HEAVY_SHARE > matrix.shape[1]
    assert 7 < heavy.sum() < len(heavy) // 2  # both routes and several heavy chunks are used
    dense = matrix.toarray().astype(np.float64)
    expected = dense.T @ dense
    result = _stacked(matrix)
    assert result.dtype == np.float32
    if binary:
        np.testing.assert_array_equal(result, expected)
    else:
        np.testing.assert_allclose(result, expected, rtol=1e-6)


@pytest.mark.parametrize("share", [1, 10_000])
def test_only_light_or_only_heavy_users_give_the_same_product(
    share: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cooccurrence, "HEAVY_SHARE", share)
    matrix = _users(1)
    dense = matrix.toarray().astype(np.float64)
    np.testing.assert_array_equal(_stacked(matrix), dense.T @ dense)


def test_more_triangle_parts_than_items_and_empty_users() -> None:
    matrix = csr_matrix(np.array([[1, 0, 1], [0, 0, 0], [1, 1, 1]], dtype=np.float32))
    np.testing.assert_array_equal(
        _stacked(matrix), np.array([[2, 1, 2], [1, 1, 1], [2, 1, 2]], dtype=np.float32)
    )


def test_a_changed_block_leaves_the_next_blocks_right(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cooccurrence, "BLOCK_ITEMS", 10)
    matrix = _users(2)
    dense = matrix.toarray().astype(np.float64)
    expected = dense.T @ dense
    for start, block in cooccurrence_blocks(matrix):
        np.testing.assert_array_equal(block, expected[start : start + block.shape[0]])
        block[:] = -1.0

"""Top-k: the grouped shortcut for wide rows picks columns with the same scores as a full
argpartition, best first, ties, -inf and NaN included."""

from __future__ import annotations

import numpy as np
import pytest

from crmind.recommend import topk
from crmind.recommend.topk import plain_top_k, top_k


def _wide_scores(seed: int, width: int) -> np.ndarray:
    """Sparse-looking scores: many zeros and ties, seen items at -inf, some rows nearly empty,
    one row all -inf, one row with its best scores in a single group of columns."""
    rng = np.random.default_rng(seed)
    scores = np.round(rng.random((300, width)), 2).astype(np.float32)
    scores[rng.random(scores.shape) < 0.6] = 0.0
    scores[rng.random(scores.shape) < 0.05] = -np.inf
    scores[10, :] = -np.inf
    scores[11, :] = -np.inf
    scores[11, [3, width // 2, width - 1]] = [0.5, 0.7, 0.1]
    scores[12, :] = 0.0
    groups = width // topk.GROUP_SIZE
    scores[13, 5 + groups * np.arange(topk.GROUP_SIZE)] = 2.0 + np.arange(topk.GROUP_SIZE)
    return scores


def _check_same_as_plain(scores: np.ndarray, k: int) -> None:
    fast, plain = top_k(scores, k), plain_top_k(scores, k)
    assert fast.shape == plain.shape == (scores.shape[0], min(k, scores.shape[1]))
    assert fast.dtype == np.int64
    picked = np.take_along_axis(scores, fast, axis=1)
    np.testing.assert_array_equal(picked, np.take_along_axis(scores, plain, axis=1))
    assert (picked[:, :-1] >= picked[:, 1:]).all()  # best first
    assert all(len(set(row)) == len(row) for row in fast.tolist())


@pytest.mark.parametrize(
    ("width", "k"), [(3649, 1), (3649, 10), (1682, 10), (1682, 13), (4096, 32)]
)
def test_grouped_top_k_gives_the_scores_of_the_full_top_k(width: int, k: int) -> None:
    scores = _wide_scores(width + k, width)
    assert width // topk.GROUP_SIZE >= topk.MIN_GROUPS_PER_K * k  # the shortcut runs
    _check_same_as_plain(scores, k)
    best = top_k(scores, k)
    assert best[13, 0] == 5 + (width // topk.GROUP_SIZE) * (topk.GROUP_SIZE - 1)
    assert best[11, 0] == width // 2


def test_rows_with_nan_and_narrow_rows_take_the_plain_path() -> None:
    scores = _wide_scores(5, 2000)
    scores[7, 100] = np.nan
    np.testing.assert_array_equal(top_k(scores, 10), plain_top_k(scores, 10))
    narrow = _wide_scores(6, 200)
    np.testing.assert_array_equal(top_k(narrow, 10), plain_top_k(narrow, 10))


def test_k_larger_than_the_width_or_zero() -> None:
    scores = np.array([[0.1, 0.3, 0.2]], dtype=np.float32)
    assert top_k(scores, 5).tolist() == [[1, 2, 0]]
    assert top_k(scores, 0).shape == (1, 0)

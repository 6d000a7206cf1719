"""The E5 probe and the stacked blend of a sentiment model with embeddings."""

from __future__ import annotations

import numpy as np

from crmind.text.sentiment_blend import (
    PROBE_CS,
    Blend,
    EmbeddingProbe,
    inner_folds,
    log_loss,
    out_of_fold,
)


def _planted(n: int = 200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Vectors whose first number tells the class (codes 0 and 2, as sentiment labels are)."""
    rng = np.random.default_rng(seed)
    target = np.repeat([0, 2], n // 2).astype(np.intp)
    vectors = rng.normal(size=(n, 8))
    vectors[:, 0] += np.where(target == 2, 1.5, -1.5)
    return vectors, target


def test_the_probe_learns_the_planted_direction() -> None:
    vectors, target = _planted()
    probe = EmbeddingProbe().fit(vectors, target)
    assert probe.C_ in PROBE_CS
    assert list(probe.classes_) == [0, 2]
    predicted = probe.classes_[probe.log_proba(vectors).argmax(axis=1)]
    assert (predicted == target).mean() > 0.85


def test_out_of_fold_log_probabilities_are_honest() -> None:
    vectors, target = _planted()
    held_out = out_of_fold(vectors, target, 5, 1.0, 0)
    assert held_out.shape == (200, 2)
    np.testing.assert_allclose(np.exp(held_out).sum(axis=1), 1.0, atol=1e-6)
    assert log_loss(held_out, target) < np.log(2)  # better than a coin


def test_the_blend_trusts_the_reader_that_knows() -> None:
    vectors, target = _planted()
    knows = out_of_fold(vectors, target, 5, 1.0, 0)
    noise = np.log(np.random.default_rng(1).dirichlet([1, 1], size=200))
    blend = Blend().fit([noise, knows], target)
    weights = np.abs(blend.model_.coef_[0])
    assert weights[2:].sum() > 2 * weights[:2].sum()
    assert (blend.proba([noise, knows]).argmax(axis=1) == (target == 2)).mean() > 0.85


def test_inner_folds_shrink_to_the_smallest_class() -> None:
    assert inner_folds(np.array([0] * 10 + [2] * 10, dtype=np.intp), 5) == 5
    assert inner_folds(np.array([0] * 10 + [2] * 3, dtype=np.intp), 5) == 3
    assert inner_folds(np.array([0] * 10 + [2], dtype=np.intp), 5) == 1

"""Joining the fine-tuned network's view of a message with the SVM's."""

from __future__ import annotations

import numpy as np
from scipy.special import log_softmax

from crmind.assistant.intent_mixing import Mixture, choose_mixture


def _views(
    rng: np.random.Generator, n: int = 600, classes: int = 5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    target = rng.integers(0, classes, n)
    informed = rng.normal(0, 1, (n, classes))
    informed[np.arange(n), target] += 4.0  # reads the class
    noise = rng.normal(0, 1, (n, classes))  # reads nothing
    return target, informed, noise


def test_the_view_that_reads_the_classes_gets_the_weight() -> None:
    target, informed, noise = _views(np.random.default_rng(0))
    assert choose_mixture(log_softmax(noise, axis=1), informed, target).weight >= 0.9
    assert choose_mixture(log_softmax(informed, axis=1), noise, target).weight == 0.0


def test_two_views_with_different_errors_are_better_joined() -> None:
    rng = np.random.default_rng(1)
    target, first, _ = _views(rng)
    second = rng.normal(0, 1, first.shape)
    second[np.arange(len(target)), target] += 4.0
    mixture = choose_mixture(log_softmax(first, axis=1), second, target)
    assert 0.0 < mixture.weight < 1.0
    joined = mixture.probabilities(log_softmax(first, axis=1), second)
    np.testing.assert_allclose(joined.sum(axis=1), 1.0)
    assert (joined.argmax(axis=1) == target).mean() > (first.argmax(axis=1) == target).mean()


def test_an_intent_the_svm_never_saw_stays_impossible() -> None:
    svm = log_softmax(np.array([[1.0, 0.0, -np.inf]]), axis=1)
    joined = Mixture(1.0, 0.5, 1.0).probabilities(svm, np.array([[0.0, 0.0, 9.0]]))
    assert joined[0, 2] == 0.0
    np.testing.assert_allclose(joined.sum(), 1.0)

from __future__ import annotations

import numpy as np
from scipy.special import softmax

from crmind.assistant.intent_calibration import (
    budget_threshold,
    fit_temperature,
    in_scope_score,
    probabilities,
)


def test_fit_temperature_recovers_the_temperature_the_labels_were_drawn_with() -> None:
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(20_000, 5))
    true_probabilities = softmax(scores / 0.4, axis=1)
    targets = np.array([rng.choice(5, p=row) for row in true_probabilities])
    assert abs(fit_temperature(scores, targets) - 0.4) < 0.02


def test_probabilities_are_a_softmax_of_scaled_scores() -> None:
    scores = np.array([[2.0, 0.0], [0.0, 0.0]])
    result = probabilities(scores, 1.0)
    np.testing.assert_allclose(result.sum(axis=1), 1.0)
    assert result[0, 0] > probabilities(scores, 2.0)[0, 0]
    assert result[1, 0] == 0.5


def test_budget_threshold_refuses_at_most_the_budget_of_right_answers() -> None:
    # ten held-out messages: eight read right (confidences 0.2 .. 0.9), two wrong
    confidence = np.array([0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.25, 0.35])
    right = np.array([True] * 8 + [False] * 2)
    assert budget_threshold(confidence, right, baseline=0.8, max_loss=0.0) == 0.0
    one = budget_threshold(confidence, right, baseline=0.8, max_loss=0.1)
    assert one == 0.25  # midway between 0.2 (refused) and 0.3 (kept)
    assert ((confidence >= one) & right).mean() == 0.7
    two = budget_threshold(confidence, right, baseline=0.8, max_loss=0.2)
    assert two == 0.35
    assert budget_threshold(confidence, right, baseline=0.9, max_loss=0.05) == 0.0


def test_budget_threshold_of_nothing_is_zero() -> None:
    assert budget_threshold(np.array([]), np.array([], dtype=bool), 1.0, 0.01) == 0.0


def test_in_scope_score_sums_the_best_intents_probabilities() -> None:
    probs = np.array([[0.45, 0.45, 0.05, 0.05], [0.3, 0.2, 0.25, 0.25]])
    np.testing.assert_allclose(in_scope_score(probs, 1), [0.45, 0.3])
    # torn between two intents: together they are sure; spread thin: still unsure
    np.testing.assert_allclose(in_scope_score(probs, 2), [0.9, 0.55])
    np.testing.assert_allclose(in_scope_score(probs, 3), [0.95, 0.8])
    np.testing.assert_allclose(in_scope_score(probs, 10), [1.0, 1.0])

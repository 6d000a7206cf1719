from __future__ import annotations

import numpy as np
import numpy.typing as npt

from crmind.assistant import intent_neighbours
from crmind.assistant.intent_neighbours import NeighbourScores, choose_scale


def unit(rows: list[list[float]]) -> npt.NDArray[np.float64]:
    array = np.array(rows, dtype=np.float64)
    return np.asarray(array / np.linalg.norm(array, axis=1, keepdims=True), dtype=np.float64)


TRAIN = unit([[1, 0, 0], [1, 0.1, 0], [0, 1, 0], [0, 1, 0.1], [0, 0, 1]])
TARGETS = np.array([0, 0, 1, 1, 2])


def test_each_label_scores_the_similarity_of_its_nearest_messages_over_k() -> None:
    scores = NeighbourScores(neighbours=2).fit(TRAIN, TARGETS, 4).scores(unit([[1, 0, 0]]))
    expected = (1.0 + TRAIN[1] @ [1, 0, 0]) / 2
    np.testing.assert_allclose(scores, [[expected, 0.0, 0.0, 0.0]], atol=1e-6)


def test_labels_share_the_neighbours_a_message_sits_between() -> None:
    scores = NeighbourScores(neighbours=3).fit(TRAIN, TARGETS, 3).scores(unit([[1, 1, 0]]))
    assert scores[0, 0] > scores[0, 1] > 0
    assert scores[0, 2] == 0


def test_more_neighbours_than_messages_reads_them_all() -> None:
    scores = NeighbourScores(neighbours=50).fit(TRAIN, TARGETS, 3).scores(unit([[0, 0, 1]]))
    assert scores.shape == (1, 3)
    assert scores.argmax() == 2


def test_blocks_of_queries_give_the_rows_of_one_pass(monkeypatch: object) -> None:
    rng = np.random.default_rng(0)
    queries = unit(rng.normal(size=(7, 3)).tolist())
    whole = NeighbourScores(neighbours=2).fit(TRAIN, TARGETS, 3).scores(queries)
    monkeypatch.setattr(intent_neighbours, "BLOCK", 3)  # type: ignore[attr-defined]
    blocked = NeighbourScores(neighbours=2).fit(TRAIN, TARGETS, 3).scores(queries)
    np.testing.assert_allclose(blocked, whole)


def test_choose_scale_adds_the_neighbours_only_when_they_mend_mistakes() -> None:
    targets = np.array([0, 1, 0, 1, 0, 1])
    svm = np.array([[1.0, 0.0], [0.0, 1.0], [0.4, 0.6], [0.0, 1.0], [1.0, 0.0], [0.6, 0.4]])
    helpful = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]])
    assert choose_scale(svm, helpful, targets) > 0
    harmful = 1.0 - helpful
    assert choose_scale(svm, harmful, targets) == 0.0

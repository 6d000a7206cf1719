"""Pairwise and cluster-level scores, counted by hand."""

from __future__ import annotations

import numpy as np
import pytest

from crmind.errors import ModelDataError
from crmind.identity.evaluate import cluster_scores, pairwise_scores


def test_pairwise_scores_on_a_hand_counted_example() -> None:
    predicted = [0, 0, 0, 3, 3, 5]
    truth = ["a", "a", "b", "b", "b", "b"]
    # predicted pairs: {0,1,2} -> 01 02 12, {3,4} -> 34: 4
    # true pairs: a {0,1} -> 01, b {2,3,4,5} -> 23 24 25 34 35 45: 7
    # both: 01 and 34: 2
    scores = pairwise_scores(predicted, truth)
    assert scores["predicted_pairs"] == 4
    assert scores["true_pairs"] == 7
    assert scores["correct_pairs"] == 2
    assert scores["precision"] == pytest.approx(2 / 4)
    assert scores["recall"] == pytest.approx(2 / 7)
    assert scores["f1"] == pytest.approx(2 * 0.5 * (2 / 7) / (0.5 + 2 / 7))  # 4/11
    assert scores["f1"] == pytest.approx(4 / 11)


def test_perfect_clusters_score_one_whatever_the_labels() -> None:
    scores = pairwise_scores(np.array([7, 7, 1, 9, 9, 9]), ["x", "x", "y", "z", "z", "z"])
    assert (scores["precision"], scores["recall"], scores["f1"]) == (1.0, 1.0, 1.0)
    assert scores["true_pairs"] == scores["correct_pairs"] == 4


def test_with_a_source_only_cross_source_pairs_count() -> None:
    predicted = [0, 0, 2, 2]
    truth = ["a", "a", "a", "b"]
    source = [1, 2, 1, 2]
    # across sources: predicted 01, 23; true 01, 12 (02 is within source 1); both: 01
    across = pairwise_scores(predicted, truth, source)
    assert (across["predicted_pairs"], across["true_pairs"], across["correct_pairs"]) == (2, 2, 1)
    assert (across["precision"], across["recall"]) == (0.5, 0.5)
    # every pair: predicted 01, 23; true 01, 02, 12; both: 01
    every = pairwise_scores(predicted, truth)
    assert (every["predicted_pairs"], every["true_pairs"], every["correct_pairs"]) == (2, 3, 1)
    assert every["recall"] == pytest.approx(1 / 3)


def test_no_pairs_count_as_perfect_precision_or_recall() -> None:
    alone = pairwise_scores([0, 1, 2], ["a", "a", "b"])
    assert (alone["precision"], alone["recall"], alone["f1"]) == (1.0, 0.0, 0.0)
    nothing_true = pairwise_scores([0, 0, 2], ["a", "b", "c"])
    assert (nothing_true["precision"], nothing_true["recall"], nothing_true["f1"]) == (
        0.0,
        1.0,
        0.0,
    )


def test_cluster_scores_count_exactly_found_entities() -> None:
    predicted = [0, 0, 2, 3, 3, 5, 6, 6]
    truth = ["a", "a", "b", "c", "c", "c", "d", "e"]
    # a {0,1}: one cluster of exactly those two -> found; b alone; c {3,4,5} split in two;
    # d and e are alone but share cluster 6 (not multi-record entities)
    scores = cluster_scores(predicted, truth)
    assert scores == {
        "true_clusters": 5,
        "predicted_clusters": 5,
        "multi_record_entities": 2,
        "exactly_found": 1,
        "exact_cluster_rate": 0.5,
    }


def test_an_entity_in_one_cluster_with_an_extra_record_is_not_found_exactly() -> None:
    scores = cluster_scores([0, 0, 0], ["a", "a", "b"])
    assert scores["multi_record_entities"] == 1
    assert scores["exactly_found"] == 0
    assert scores["exact_cluster_rate"] == 0.0


def test_without_multi_record_entities_the_rate_is_one() -> None:
    scores = cluster_scores([0, 1], ["a", "b"])
    assert scores["exact_cluster_rate"] == 1.0
    assert scores["multi_record_entities"] == 0


def test_lengths_that_differ_are_model_data_errors() -> None:
    with pytest.raises(ModelDataError, match=r"differ in length: \[1, 2\]"):
        pairwise_scores([0, 1], ["a"])
    with pytest.raises(ModelDataError, match="differ in length"):
        pairwise_scores([0, 1], ["a", "b"], source=[1, 2, 3])
    with pytest.raises(ModelDataError, match="differ in length"):
        cluster_scores([0, 1, 2], ["a", "b"])

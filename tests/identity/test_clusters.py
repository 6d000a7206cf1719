"""cluster_records: connected components above a threshold, and cannot-link pairs."""

from __future__ import annotations

import numpy as np
import pytest

from crmind.errors import ConfigurationError
from crmind.identity.clusters import cluster_records


def clusters(
    n: int,
    links: list[tuple[int, int, float]],
    threshold: float = 0.9,
    cannot_link: list[tuple[int, int]] | None = None,
) -> list[int]:
    left = [a for a, _, _ in links]
    right = [b for _, b, _ in links]
    probability = [p for _, _, p in links]
    labels = cluster_records(n, left, right, probability, threshold, cannot_link or [])
    assert labels.shape == (n,)
    return [int(x) for x in labels]


def test_links_are_transitive_and_weak_links_are_ignored() -> None:
    links = [(0, 1, 0.95), (1, 2, 0.91), (3, 4, 0.99), (4, 5, 0.5), (2, 6, 0.89)]
    assert clusters(7, links) == [0, 0, 0, 3, 3, 5, 6]


def test_the_threshold_is_inclusive_and_moves_the_cut() -> None:
    links = [(0, 1, 0.9), (1, 2, 0.7)]
    assert clusters(3, links, threshold=0.9) == [0, 0, 2]
    assert clusters(3, links, threshold=0.7) == [0, 0, 0]
    assert clusters(3, links, threshold=0.95) == [0, 1, 2]
    assert clusters(3, links, threshold=0.0) == [0, 0, 0]
    assert clusters(3, links, threshold=1.0) == [0, 1, 2]


def test_labels_are_the_smallest_member_whatever_the_pair_order() -> None:
    assert clusters(6, [(5, 2, 1.0), (4, 5, 1.0)]) == [0, 1, 2, 3, 2, 2]
    assert clusters(5, [(4, 3, 1.0), (3, 1, 1.0)]) == [0, 1, 2, 1, 1]


def test_no_pairs_leave_every_record_alone() -> None:
    assert clusters(4, []) == [0, 1, 2, 3]
    np.testing.assert_array_equal(cluster_records(3, [], [], [], 0.5), [0, 1, 2])


def test_cannot_link_drops_the_weaker_link_of_a_chain() -> None:
    # a - b - c with (a, c) marked apart; (3, 4) is another component and stays as it is
    strong_first = [(0, 1, 0.99), (1, 2, 0.95), (3, 4, 0.97)]
    assert clusters(5, strong_first) == [0, 0, 0, 3, 3]
    assert clusters(5, strong_first, cannot_link=[(0, 2)]) == [0, 0, 2, 3, 3]
    strong_second = [(0, 1, 0.92), (1, 2, 0.99), (3, 4, 0.97)]
    assert clusters(5, strong_second, cannot_link=[(2, 0)]) == [0, 1, 1, 3, 3]


def test_cannot_link_holds_through_clusters_already_merged() -> None:
    # {0, 1} and {2, 3} are built first; the link 1 - 2 would put 0 and 3 together
    links = [(0, 1, 0.99), (2, 3, 0.98), (1, 2, 0.97), (3, 4, 0.96)]
    assert clusters(5, links, cannot_link=[(0, 3)]) == [0, 0, 2, 2, 2]
    # a link directly between records marked apart is refused too
    assert clusters(2, [(0, 1, 0.99)], cannot_link=[(1, 0)]) == [0, 1]


def test_cannot_link_between_separate_clusters_changes_nothing() -> None:
    links = [(0, 1, 0.99), (2, 3, 0.99)]
    assert clusters(4, links, cannot_link=[(0, 3), (1, 2)]) == [0, 0, 2, 2]


def test_several_conflicted_components_are_rebuilt_independently() -> None:
    links = [(0, 1, 0.99), (1, 2, 0.95), (3, 4, 0.93), (4, 5, 0.98), (6, 7, 0.99)]
    assert clusters(8, links, cannot_link=[(0, 2), (3, 5)]) == [0, 0, 2, 3, 4, 4, 6, 6]


@pytest.mark.parametrize("threshold", [-0.1, 1.5])
def test_a_threshold_outside_zero_one_is_a_configuration_error(threshold: float) -> None:
    with pytest.raises(ConfigurationError, match="threshold must be in"):
        cluster_records(2, [0], [1], [1.0], threshold)

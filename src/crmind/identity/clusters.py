"""From matched pairs to clusters of records that are one person.

:func:`cluster_records` links every pair at or above a probability threshold and returns the
connected components (scipy's sparse-graph routine; linear in records plus pairs). Pairs a user
marked "not the same" (``cannot_link``) are honoured: the components that contain such a pair are
rebuilt greedily, strongest link first, and a link that would join two records marked apart is
skipped — so they never end up in one cluster, even through a chain of others.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from crmind.errors import ConfigurationError

IntArray = npt.NDArray[np.int64]


def cluster_records(
    n_records: int,
    left: npt.ArrayLike,
    right: npt.ArrayLike,
    probability: npt.ArrayLike,
    threshold: float,
    cannot_link: Iterable[tuple[int, int]] = (),
) -> IntArray:
    """Cluster label of each record: the smallest record number in its cluster."""
    if not 0 <= threshold <= 1:
        raise ConfigurationError(f"threshold must be in [0, 1], not {threshold}")
    lefts = np.asarray(left, dtype=np.int64)
    rights = np.asarray(right, dtype=np.int64)
    scores = np.asarray(probability, dtype=np.float64)
    linked = scores >= threshold
    lefts, rights, scores = lefts[linked], rights[linked], scores[linked]
    labels = _components(n_records, lefts, rights)
    apart = [(int(a), int(b)) for a, b in cannot_link]
    conflicted = {int(labels[a]) for a, b in apart if labels[a] == labels[b]}
    if conflicted:
        inside = np.isin(labels[lefts], list(conflicted))
        order = np.argsort(-scores[inside], kind="stable")
        edges = zip(lefts[inside][order].tolist(), rights[inside][order].tolist(), strict=True)
        members = np.flatnonzero(np.isin(labels, list(conflicted)))
        _rebuild(labels, members, edges, apart)
    return _smallest_member_labels(labels)


def _components(n: int, lefts: IntArray, rights: IntArray) -> IntArray:
    graph = coo_matrix((np.ones(lefts.size, dtype=np.int8), (lefts, rights)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return np.asarray(labels, dtype=np.int64)


def _rebuild(
    labels: IntArray,
    members: IntArray,
    edges: Iterable[tuple[int, int]],
    apart: list[tuple[int, int]],
) -> None:
    """Greedy union-find over ``members``, refusing unions across a cannot-link pair."""
    parent = {int(m): int(m) for m in members}
    forbidden: dict[int, set[int]] = {int(m): set() for m in members}
    for a, b in apart:
        if a in forbidden and b in forbidden:
            forbidden[a].add(b)
            forbidden[b].add(a)

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = root(a), root(b)
        if ra == rb or rb in forbidden[ra]:
            continue
        parent[rb] = ra
        for other in forbidden.pop(rb):
            forbidden[ra].add(other)
            forbidden[other].discard(rb)
            forbidden[other].add(ra)
    offset = int(labels.max()) + 1
    for m in members.tolist():
        labels[m] = offset + root(m)


def _smallest_member_labels(labels: IntArray) -> IntArray:
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_labels)) + 1]
    first = order[starts]  # smallest record number of each label (stable sort of 0..n-1)
    result = np.empty_like(labels)
    sizes = np.diff(np.r_[starts, labels.size])
    result[order] = np.repeat(first, sizes)
    return result

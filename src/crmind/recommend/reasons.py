"""Reasons in words: which of a customer's bought items explains each recommendation.

Every model that explains itself through a bought item ("bought together with X", "similar to
X you bought") asks the same question for many (user, recommended item) pairs at once: over
the user's bought items, which one has the largest weight towards the recommended item?
:func:`best_bought` answers it for all pairs in blocks — the bought items of every pair laid
out in one flat array, each pair's weights gathered in one vectorised call, and the winner per
pair found by one sort — so explaining every customer's top 10 costs about as much as
scoring them. Models differ only in the weight: a dot product of item vectors
(:func:`closest_bought`) or a learned item-item weight (:func:`strongest_bought`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix

from crmind.recommend.base import FloatArray, IntArray, Recommender

BLOCK_ENTRIES = 1 << 18
BOUGHT_BEFORE = "you bought it before"

Weigh = Callable[[IntArray, IntArray, FloatArray], FloatArray]
"""``weigh(bought, recommended, value)``: the weight of each bought column towards each
recommended column, given the user's interaction ``value`` with the bought item."""


def best_bought(
    user_items: csr_matrix, rows: IntArray, items: IntArray, weigh: Weigh
) -> tuple[IntArray, FloatArray, npt.NDArray[np.bool_]]:
    """For each (user row, item column) pair: the column of the user's bought item with the
    largest ``weigh`` towards the item, leaving the item itself out; that weight; and whether
    the user bought the item itself. Column -1 (weight -inf) when the row is -1 or the user
    bought nothing else. Ties go to the lowest column. Vectorised over blocks of pairs holding
    about ``BLOCK_ENTRIES`` bought items."""
    user_items = _with_sorted_indices(user_items)
    best, weight, itself = _no_answers(len(items))
    counts = np.diff(user_items.indptr)
    for chunk in _known_chunks(rows, counts):
        sizes = counts[rows[chunk]]
        pair, column, value = _expanded(user_items, rows[chunk], sizes)
        target = items[chunk][pair]
        weights = np.asarray(weigh(column, target, value), dtype=np.float32)
        same = column == target
        itself[chunk[pair[same]]] = True
        weights[same] = -np.inf
        winner, largest = _segment_best(sizes, weights)
        found = winner >= 0
        best[chunk[found]] = column[winner[found]]
        weight[chunk[found]] = largest[found]
    return best, weight, itself


def closest_bought(
    user_items: csr_matrix, vectors: csr_matrix | FloatArray, rows: IntArray, items: IntArray
) -> tuple[IntArray, FloatArray, npt.NDArray[np.bool_]]:
    """:func:`best_bought` by similarity: the dot product of ``vectors``' rows (pass unit rows
    for the cosine) of the bought and the recommended item."""

    def dot(bought: IntArray, recommended: IntArray, _value: FloatArray) -> FloatArray:
        if isinstance(vectors, np.ndarray):
            return np.asarray(np.einsum("ij,ij->i", vectors[bought], vectors[recommended]))
        return np.asarray(vectors[bought].multiply(vectors[recommended]).sum(axis=1)).ravel()

    return best_bought(user_items, rows, items, dot)


def strongest_bought(
    user_items: csr_matrix, weights: SparseWeights | FloatArray, rows: IntArray, items: IntArray
) -> tuple[IntArray, FloatArray, npt.NDArray[np.bool_]]:
    """:func:`best_bought` by contribution to a linear item-item model's score
    ``user_items @ weights``: the user's value for the bought item times
    ``weights[bought, recommended]``. Dense weights are gathered entry by entry; sparse ones
    (:class:`SparseWeights`) multiply each user's row by the recommended item's incoming
    weights, which touches only the stored entries."""
    if isinstance(weights, SparseWeights):
        return _strongest_sparse(user_items, weights.towards, rows, items)
    dense = weights

    def contribution(bought: IntArray, recommended: IntArray, value: FloatArray) -> FloatArray:
        return value * dense[bought, recommended]

    return best_bought(user_items, rows, items, contribution)


def _strongest_sparse(
    user_items: csr_matrix, towards: csr_matrix, rows: IntArray, items: IntArray
) -> tuple[IntArray, FloatArray, npt.NDArray[np.bool_]]:
    best, weight, itself = _no_answers(len(items))
    for chunk in _known_chunks(rows, np.diff(user_items.indptr)):
        bought = user_items[rows[chunk]]
        recommended = items[chunk]
        itself[chunk] = np.asarray(bought[np.arange(len(chunk)), recommended]).ravel() > 0
        contributions = csr_matrix(bought.multiply(towards[recommended]), dtype=np.float32)
        contributions.sort_indices()
        sizes = np.diff(contributions.indptr)
        values = contributions.data.copy()
        values[contributions.indices == np.repeat(recommended, sizes)] = -np.inf
        winner, largest = _segment_best(sizes, values)
        found = winner >= 0
        best[chunk[found]] = contributions.indices[winner[found]]
        weight[chunk[found]] = largest[found]
    return best, weight, itself


def explain_by_closest(
    model: Recommender,
    user_items: csr_matrix,
    vectors: csr_matrix | FloatArray,
    rows: IntArray,
    items: IntArray,
    phrase: str,
    suffix: str = " you bought",
) -> list[str]:
    """ "<phrase> <item><suffix>" naming :func:`closest_bought` 's item when it is similar at
    all, "you bought it before" for an item the user already has (recommended again when seen
    items are not excluded), else the model's default reason."""
    best, similarity, itself = closest_bought(user_items, vectors, rows, items)
    return name_reasons(model, np.where(similarity > 0, best, -1), itself, phrase, suffix)


def explain_by_strongest(
    model: Recommender,
    user_items: csr_matrix,
    weights: SparseWeights | FloatArray,
    rows: IntArray,
    items: IntArray,
    phrase: str,
) -> list[str]:
    """ "<phrase> <item>" naming :func:`strongest_bought` 's item when it adds to the score,
    "you bought it before" for an item the user already has, else the model's default
    reason."""
    best, contribution, itself = strongest_bought(user_items, weights, rows, items)
    return name_reasons(model, np.where(contribution > 0, best, -1), itself, phrase)


def name_reasons(
    model: Recommender,
    best: IntArray,
    itself: npt.NDArray[np.bool_],
    phrase: str,
    suffix: str = "",
) -> list[str]:
    """One reason per pair: "you bought it before" where ``itself``, "<phrase> <name of best
    item><suffix>" where ``best`` is a column, else the model's default reason."""
    named = (best >= 0) & ~itself
    names = iter(model.item_name(best[named]) if named.any() else [])
    reasons: list[str] = []
    for again, has in zip(itself.tolist(), named.tolist(), strict=True):
        if again:
            reasons.append(BOUGHT_BEFORE)
        elif has:
            reasons.append(f"{phrase} {next(names)}{suffix}")
        else:
            reasons.append(model.default_reason)
    return reasons


def _expanded(
    user_items: csr_matrix, rows: IntArray, sizes: IntArray
) -> tuple[IntArray, IntArray, FloatArray]:
    """The bought items of each of ``rows`` (holding ``sizes`` items) in one flat layout: the
    position in ``rows`` each entry belongs to, its column and its value (a row gather of a
    CSR matrix, without building one)."""
    pair = np.repeat(np.arange(len(rows), dtype=np.int64), sizes)
    starts = np.repeat(user_items.indptr[rows].astype(np.int64) - np.cumsum(sizes) + sizes, sizes)
    positions = starts + np.arange(len(pair), dtype=np.int64)
    column = user_items.indices[positions].astype(np.int64)
    return pair, column, user_items.data[positions].astype(np.float32)


@dataclass(frozen=True)
class SparseWeights:
    """A sparse items x items weight matrix kept for explaining: ``towards`` is its transpose
    in CSR, so that row ``i`` holds the weights from every item into item ``i`` and one
    recommended item's weights are one fast row gather. Build it once at fit with :meth:`of`."""

    towards: csr_matrix

    @classmethod
    def of(cls, weights: csr_matrix) -> SparseWeights:
        return cls(csr_matrix(weights.T, dtype=np.float32))


def _segment_best(sizes: IntArray, values: FloatArray) -> tuple[IntArray, FloatArray]:
    """For ``values`` laid out in consecutive segments of ``sizes``: the position of each
    segment's largest value (the first of equals) and that value; position -1 for a segment
    that is empty or holds only -inf."""
    largest = np.full(len(sizes), -np.inf, dtype=np.float32)
    filled = sizes > 0
    starts = np.cumsum(sizes) - sizes
    if filled.any():
        largest[filled] = np.maximum.reduceat(values, starts[filled])
    at_max = np.flatnonzero(values == np.repeat(largest, sizes))
    segment = np.repeat(np.arange(len(sizes)), sizes)[at_max]
    first = np.r_[True, segment[1:] != segment[:-1]] if len(segment) else np.zeros(0, bool)
    winner = np.full(len(sizes), -1, dtype=np.int64)
    winner[segment[first]] = at_max[first]
    winner[np.isneginf(largest)] = -1
    return winner, largest


def _with_sorted_indices(matrix: csr_matrix) -> csr_matrix:
    return matrix if matrix.has_sorted_indices else matrix.sorted_indices()


def _no_answers(count: int) -> tuple[IntArray, FloatArray, npt.NDArray[np.bool_]]:
    """Best column -1, weight -inf, not bought itself: for ``count`` pairs."""
    return (
        np.full(count, -1, dtype=np.int64),
        np.full(count, -np.inf, dtype=np.float32),
        np.zeros(count, dtype=bool),
    )


def _known_chunks(rows: IntArray, counts: IntArray) -> list[IntArray]:
    """The positions of the pairs of known users (row >= 0), in chunks (:func:`_chunks`)."""
    known = np.flatnonzero(rows >= 0)
    return _chunks(known, counts[rows[known]])


def _chunks(pairs: IntArray, sizes: IntArray) -> list[IntArray]:
    """``pairs`` cut into consecutive runs whose ``sizes`` add up to about ``BLOCK_ENTRIES``."""
    if not len(pairs):
        return []
    run = np.cumsum(sizes) // BLOCK_ENTRIES
    cuts = np.flatnonzero(np.diff(run)) + 1
    return [part for part in np.split(pairs, cuts) if len(part)]

"""The ``k`` best columns of every row of a block of scores, best first.

Ranking every customer's top 10 is a top-k over each row of a users x items block. A plain
``np.argpartition`` over a 2,048 x 3,649 block costs more than scoring the block with item-kNN,
because it reorders every row. Wide rows take a shortcut instead: the columns are split into
``GROUP_SIZE``-column groups (column ``c`` in group ``c mod groups``, so that one reduction
over contiguous memory gives every group's maximum), the ``k`` groups with the highest maxima
are kept per row, and the top k is taken among their columns only (plus the few columns left
over when the width is not a multiple of the group size).

Why it is exact: let ``t`` be the smallest of the kept groups' maxima. Every column outside the
kept groups scores at most its group's maximum, which is at most ``t``; the kept groups hold
``k`` columns scoring at least ``t`` (their maxima). So the k best candidates are k best columns
of the row: the same scores as a full ``argpartition``, and only the order among equal scores,
arbitrary in both, may differ. Rows holding NaN take the plain path (a NaN maximum would hide a
group).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

GROUP_SIZE = 32
MIN_GROUPS_PER_K = 4
"""The shortcut runs when there are at least this many groups per wanted column; with fewer,
the kept groups cover much of the row and the plain top-k is as fast."""

Scores = npt.NDArray[np.floating]
Columns = npt.NDArray[np.int64]


def top_k(scores: Scores, k: int) -> Columns:
    """Columns of the ``k`` highest scores per row, best first (-inf scores may be included when
    a row has fewer than ``k`` finite ones; NaN counts as the lowest score)."""
    n_rows, width = scores.shape
    k = min(k, width)
    groups = width // GROUP_SIZE
    if k == 0 or groups < MIN_GROUPS_PER_K * k:
        return plain_top_k(scores, k)
    grouped = scores[:, : groups * GROUP_SIZE].reshape(n_rows, GROUP_SIZE, groups)
    maxima = grouped.max(axis=1)
    if np.isnan(maxima).any():
        return plain_top_k(scores, k)
    kept = np.argpartition(-maxima, k - 1, axis=1)[:, :k]
    members = groups * np.arange(GROUP_SIZE, dtype=np.int64)
    candidates = (kept[:, :, None] + members).reshape(n_rows, k * GROUP_SIZE)
    leftover = np.arange(groups * GROUP_SIZE, width, dtype=np.int64)
    if leftover.size:
        candidates = np.hstack([candidates, np.broadcast_to(leftover, (n_rows, leftover.size))])
    flat = candidates + width * np.arange(n_rows, dtype=np.int64)[:, None]
    best = plain_top_k(np.ascontiguousarray(scores).reshape(-1).take(flat), k)
    return np.take_along_axis(candidates, best, axis=1)


def plain_top_k(scores: Scores, k: int) -> Columns:
    """:func:`top_k` by one ``argpartition`` of every row, then a sort of the k kept."""
    k = min(k, scores.shape[1])
    if k == 0:
        return np.empty((scores.shape[0], 0), dtype=np.int64)
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1, kind="stable")
    return np.asarray(np.take_along_axis(part, order, axis=1), dtype=np.int64)

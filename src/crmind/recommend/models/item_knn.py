"""Item-kNN: recommend what is bought together with what the customer bought.

Item-item cosine similarity of the (binarised, optionally BM25/TF-IDF-free) user columns, with
shrinkage ``sim = dot / (norm_i * norm_j + shrink)`` so that pairs seen by few users count less,
and only each item's ``neighbours`` most similar items kept (a sparse model). A user's score for
an item is the sum of its similarities to the items the user has. The reason names the bought
item that contributed most: "bought together with <item>".

The item-item dot products come in dense blocks of item rows from
:mod:`crmind.recommend.cooccurrence` (long baskets through BLAS, short ones sparse on one
triangle); each block is scaled and cut to its top neighbours at once. Scoring splits the
similarity by column: *hub* items, the neighbours of many popular items, are scored by a
sparse-times-dense product (one multiply-add per bought item and hub, no bookkeeping), the rest
by the sparse product; both sum in the same order, so the scores are the same to the bit.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy.sparse import csr_matrix

from crmind.errors import ConfigurationError
from crmind.recommend.base import FloatArray, IntArray, Recommender
from crmind.recommend.cooccurrence import cooccurrence_blocks
from crmind.recommend.reasons import SparseWeights, explain_by_strongest

HUB_SHARE = 0.05
"""An item is a hub when, per bought item, it is a neighbour more often than this on average: a
dense column then costs less than the sparse product's per-entry bookkeeping (measured on
Online Retail: 0.04-0.08 equally good)."""
HUB_BYTES = 32 << 20
"""At most this much memory for the dense hub columns (items x hubs float32)."""


class ItemKNNRecommender(Recommender):
    """Item-item cosine kNN with shrinkage (see the module docstring).

    Learned attributes: those of :class:`Recommender`, ``similarity_`` (items x items CSR,
    ``neighbours`` per row at most), ``explained_similarity_`` (its transpose, for the reasons),
    and for scoring ``hub_items_`` (columns), ``hub_similarity_`` (their columns of
    ``similarity_``, dense) and ``other_similarity_`` (``similarity_`` without them).
    """

    default_reason = "bought together with items you bought"

    def __init__(self, *, neighbours: int = 100, shrink: float = 10.0, binary: bool = True) -> None:
        self.neighbours = neighbours
        self.shrink = shrink
        self.binary = binary

    def _fit_model(self, interactions: pl.DataFrame) -> None:
        if self.neighbours < 1 or self.shrink < 0:
            raise ConfigurationError("neighbours must be at least 1 and shrink at least 0")
        self.user_items_: csr_matrix = _prepared(self.data_.matrix, self.binary)
        self.similarity_: csr_matrix = _knn_similarity(
            self.user_items_, self.neighbours, self.shrink
        )
        self.explained_similarity_ = SparseWeights.of(self.similarity_)
        self.hub_items_, self.hub_similarity_, self.other_similarity_ = _split_hubs(
            self.similarity_, self.user_items_
        )

    def _score_rows(self, rows: IntArray) -> FloatArray:
        users = self.user_items_[rows]
        scores = np.asarray((users @ self.other_similarity_).toarray(), dtype=np.float32)
        if self.hub_items_.size:
            scores[:, self.hub_items_] = users @ self.hub_similarity_
        return scores

    def _explain(self, rows: IntArray, items: IntArray) -> list[str]:
        return explain_by_strongest(
            self, self.user_items_, self.explained_similarity_, rows, items, "bought together with"
        )

    def _item_vectors(self) -> csr_matrix:
        return csr_matrix(self.user_items_.T)


def _prepared(matrix: csr_matrix, binary: bool) -> csr_matrix:
    prepared = csr_matrix(matrix, dtype=np.float32, copy=True)
    if binary:
        prepared.data[:] = 1.0
    return prepared


def _knn_similarity(user_items: csr_matrix, neighbours: int, shrink: float) -> csr_matrix:
    """Cosine with shrinkage between the item columns of ``user_items``, top ``neighbours``
    per item, computed in blocks of items."""
    norms = np.sqrt(np.asarray(user_items.multiply(user_items).sum(axis=0)).ravel())
    n_items = user_items.shape[1]
    keep = min(neighbours, n_items - 1)
    if keep <= 0:
        return csr_matrix((n_items, n_items), dtype=np.float32)
    rows, cols, values = [], [], []
    for start, dots in cooccurrence_blocks(user_items):
        stop = start + dots.shape[0]
        scale = np.outer(norms[start:stop], norms)
        scale += shrink
        scale += 1e-12
        dots /= scale
        dots[np.arange(stop - start), np.arange(start, stop)] = 0.0
        top = np.argpartition(-dots, keep - 1, axis=1)[:, :keep]
        picked = np.take_along_axis(dots, top, axis=1)
        nonzero = picked > 0
        block_rows = np.repeat(np.arange(start, stop), keep).reshape(-1, keep)
        rows.append(block_rows[nonzero])
        cols.append(top[nonzero])
        values.append(picked[nonzero])
    return csr_matrix(
        (np.concatenate(values), (np.concatenate(rows), np.concatenate(cols))),
        shape=(n_items, n_items),
        dtype=np.float32,
    )


def _split_hubs(
    similarity: csr_matrix, user_items: csr_matrix
) -> tuple[IntArray, FloatArray, csr_matrix]:
    """The hub columns of ``similarity`` (:data:`HUB_SHARE`; the highest-reaching ones within
    :data:`HUB_BYTES`), those columns as a dense items x hubs array, and ``similarity`` without
    them."""
    n_items = similarity.shape[0]
    bought = np.bincount(user_items.indices, minlength=n_items).astype(np.float64)
    reach = np.bincount(
        similarity.indices,
        weights=np.repeat(bought, np.diff(similarity.indptr)),
        minlength=n_items,
    ) / max(user_items.nnz, 1)
    hubs = np.flatnonzero(reach > HUB_SHARE)
    limit = HUB_BYTES // (4 * max(n_items, 1))
    if hubs.size > limit:
        hubs = np.sort(hubs[np.argsort(-reach[hubs], kind="stable")[:limit]])
    is_hub = np.zeros(n_items, dtype=bool)
    is_hub[hubs] = True
    dense = np.ascontiguousarray(similarity[:, hubs].toarray(), dtype=np.float32)
    other = csr_matrix(similarity, dtype=np.float32, copy=True)
    other.data[is_hub[other.indices]] = 0.0
    other.eliminate_zeros()
    return hubs.astype(np.int64), dense, other

"""Item-kNN: recommend what is bought together with what the customer bought.

Item-item cosine similarity of the (binarised, optionally BM25/TF-IDF-free) user columns, with
shrinkage ``sim = dot / (norm_i * norm_j + shrink)`` so that pairs seen by few users count less,
and only each item's ``neighbours`` most similar items kept (a sparse model). A user's score for
an item is the sum of its similarities to the items the user has. The reason names the bought
item that contributed most: "bought together with <item>".

The item-item dot products come in dense blocks of item rows from
:mod:`crmind.recommend.cooccurrence` (long baskets through BLAS, short ones sparse on one
triangle); each block is scaled and cut to its top neighbours at once.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy.sparse import csr_matrix

from crmind.errors import ConfigurationError
from crmind.recommend.base import FloatArray, IntArray, Recommender
from crmind.recommend.cooccurrence import cooccurrence_blocks
from crmind.recommend.reasons import SparseWeights, explain_by_strongest


class ItemKNNRecommender(Recommender):
    """Item-item cosine kNN with shrinkage (see the module docstring).

    Learned attributes: those of :class:`Recommender`, ``similarity_`` (items x items CSR,
    ``neighbours`` per row at most) and ``explained_similarity_`` (its transpose, for the reasons).
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

    def _score_rows(self, rows: IntArray) -> FloatArray:
        scores = self.user_items_[rows] @ self.similarity_
        return np.asarray(scores.toarray(), dtype=np.float32)

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
        dots /= np.outer(norms[start:stop], norms) + shrink + 1e-12
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

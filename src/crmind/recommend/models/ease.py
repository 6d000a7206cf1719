"""EASE: a closed-form linear item-item model (Steck 2019, "Embarrassingly Shallow Autoencoders").

``B = I - P / diag(P)`` with ``P = (XᵀX + λI)⁻¹`` over the binarised user x item matrix ``X``;
a user's scores are ``x_u B``. One dense inversion of items x items: fine up to some tens of
thousands of items (memory ``8 n²`` bytes), a strong baseline on every public benchmark. The
reason names the bought item with the largest weight towards the recommendation.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy.linalg import lapack
from scipy.sparse import csr_matrix

from crmind.errors import ConfigurationError, ModelDataError
from crmind.recommend.base import FloatArray, IntArray, Recommender
from crmind.recommend.reasons import explain_by_strongest

MAX_ITEMS = 40_000


class EASERecommender(Recommender):
    """EASE with L2 strength ``l2`` (see the module docstring).

    Learned attributes: those of :class:`Recommender`, ``user_items_`` (binarised) and
    ``weights_`` (items x items, zero diagonal).
    """

    default_reason = "often bought with items you bought"

    def __init__(self, *, l2: float = 500.0) -> None:
        self.l2 = l2

    def _fit_model(self, interactions: pl.DataFrame) -> None:
        if self.l2 <= 0:
            raise ConfigurationError(f"l2 must be positive, not {self.l2}")
        n_items = self.data_.items.size
        if n_items > MAX_ITEMS:
            raise ModelDataError(
                f"EASE inverts an items x items matrix; {n_items:,} items need "
                f"{8 * n_items**2 / 2**30:.1f} GiB (limit {MAX_ITEMS:,} items): use item-kNN or ALS"
            )
        user_items = csr_matrix(self.data_.matrix, dtype=np.float32, copy=True)
        user_items.data[:] = 1.0
        gram = np.asarray((user_items.T @ user_items).todense(), dtype=np.float64)
        gram[np.diag_indices(n_items)] += self.l2
        inverse = _spd_inverse(gram)
        weights = -inverse / np.diag(inverse)
        weights[np.diag_indices(n_items)] = 0.0
        self.user_items_: csr_matrix = user_items
        self.weights_: np.ndarray = weights.astype(np.float32)

    def _score_rows(self, rows: IntArray) -> FloatArray:
        return np.asarray(self.user_items_[rows] @ self.weights_, dtype=np.float32)

    def _explain(self, rows: IntArray, items: IntArray) -> list[str]:
        return explain_by_strongest(
            self, self.user_items_, self.weights_, rows, items, "bought together with"
        )


def _spd_inverse(matrix: np.ndarray) -> np.ndarray:
    """Inverse of a symmetric positive-definite matrix by Cholesky (about twice as fast as a
    general inverse)."""
    factor, info = lapack.dpotrf(matrix, lower=False)
    if info != 0:
        raise ModelDataError(f"EASE: the regularised Gram matrix is not positive definite ({info})")
    inverse, info = lapack.dpotri(factor, lower=False)
    if info != 0:
        raise ModelDataError(f"EASE: inverting the Gram matrix failed ({info})")
    upper = np.triu(inverse)
    return np.asarray(upper + np.triu(upper, 1).T)

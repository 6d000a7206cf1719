"""User-kNN: recommend what the customers most like this one bought (classic CRM filtering).

Two customers are alike by the **Pearson correlation** of their rows of the user x item matrix
(over the whole catalogue, so a product neither bought counts as agreement too: each row is
centred on its own mean, then the cosine is taken). It is computed without ever densifying the
rows — ``cov(u, v) = x_u·x_v − s_u s_v / n`` and ``var(u) = |x_u|² − s_u² / n`` with ``s`` the
row sums and ``n`` the number of items — and **shrunk** towards 0 by the number of items the two
share, ``r · common / (common + shrink)``, so that two customers who agree on one product are
not "neighbours" as much as two who agree on twenty (Herlocker et al. 1999, Koren 2008).

Each customer keeps their ``neighbours`` most correlated customers (positive correlation only);
a product's score is the sum of the neighbours' correlations times their interaction with it.
Correlations are computed for blocks of customers at once (a sparse product, then dense
arithmetic on the block), so memory stays at one block x all customers (about 64 MB): 10⁵
customers with 2.9 million purchases took 6.6 minutes on two busy cores, 10⁴ take seconds.

Defaults (100 neighbours, no shrinkage, binary) are the best on a validation month of UCI Online
Retail before its test month: shrinkage 2 / 5 / 10 lowered hit_rate@10 from 0.707 to 0.687 /
0.681 / 0.669 there — with Pearson over whole rows a short overlap already counts little, and
shrinkage then favours heavy buyers as everyone's neighbours. It stays available for sparser
data. The reason is "customers like you bought it", with how many of the neighbours did.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy.sparse import csc_matrix, csr_matrix

from crmind.errors import ConfigurationError
from crmind.recommend.base import FloatArray, IntArray, Recommender
from crmind.recommend.models.content import Weighting, weighted

BLOCK_CELLS = 16_000_000
BLOCK_PAIRS = 4096


class UserKNNRecommender(Recommender):
    """User-user Pearson kNN with shrinkage (see the module docstring).

    ``weighting`` of the interactions before correlating and scoring: ``"binary"`` (bought or
    not) or ``"log"`` (``log1p`` of the value). Learned attributes: those of
    :class:`Recommender`, ``user_items_`` (weighted users x items) and ``similarity_`` (users x
    users CSR, at most ``neighbours`` positive correlations per row, none with oneself).
    """

    default_reason = "customers like you bought it"

    def __init__(
        self, *, neighbours: int = 100, shrink: float = 0.0, weighting: Weighting = "binary"
    ) -> None:
        self.neighbours = neighbours
        self.shrink = shrink
        self.weighting = weighting

    def _fit_model(self, interactions: pl.DataFrame) -> None:
        if self.neighbours < 1 or self.shrink < 0:
            raise ConfigurationError("neighbours must be at least 1 and shrink at least 0")
        if self.weighting not in ("binary", "log"):
            raise ConfigurationError(f"weighting must be binary or log, not {self.weighting!r}")
        self.user_items_: csr_matrix = weighted(self.data_.matrix, self.weighting)
        self.similarity_: csr_matrix = pearson_neighbours(
            self.user_items_, self.neighbours, self.shrink
        )

    def _score_rows(self, rows: IntArray) -> FloatArray:
        return np.asarray((self.similarity_[rows] @ self.user_items_).todense(), dtype=np.float32)

    def _explain(self, rows: IntArray, items: IntArray) -> list[str]:
        """How many of each user's neighbours bought each recommended item."""
        counts = np.zeros(len(items), dtype=np.int64)
        known = np.flatnonzero(rows >= 0)
        buyers = csc_matrix(self.user_items_, copy=True)
        buyers.data[:] = 1.0
        for start in range(0, len(known), BLOCK_PAIRS):
            chunk = known[start : start + BLOCK_PAIRS]
            neighbours = self.similarity_[rows[chunk]]
            neighbours.data[:] = 1.0
            bought = csr_matrix(buyers[:, items[chunk]].T)
            counts[chunk] = np.asarray(neighbours.multiply(bought).sum(axis=1)).ravel()
        return [
            f"customers like you bought it ({n} of your {self.neighbours} most similar)"
            if n
            else self.default_reason
            for n in counts.tolist()
        ]


def pearson_neighbours(user_items: csr_matrix, neighbours: int, shrink: float) -> csr_matrix:
    """Each user's ``neighbours`` most positively correlated other users (Pearson over all
    items, shrunk by shared items), as a users x users CSR; computed in blocks of users."""
    n_users, n_items = user_items.shape
    sums = np.asarray(user_items.sum(axis=1), dtype=np.float64).ravel()
    squares = np.asarray(user_items.multiply(user_items).sum(axis=1), dtype=np.float64).ravel()
    spread = np.sqrt(np.maximum(squares - sums**2 / n_items, 0.0))
    spread[spread == 0] = np.inf  # a user with nothing (or everything) correlates with no one
    presence = csr_matrix(user_items, copy=True)
    presence.data[:] = 1.0
    binary = bool(np.all(user_items.data == 1.0))
    transposed = csr_matrix(user_items.T)
    presence_t = transposed if binary else csr_matrix(presence.T)
    keep = min(neighbours, n_users - 1)
    block = max(1, BLOCK_CELLS // max(n_users, 1))
    rows, cols, values = [], [], []
    for start in range(0, n_users if keep > 0 else 0, block):
        stop = min(start + block, n_users)
        correlation = np.asarray((user_items[start:stop] @ transposed).todense(), np.float32)
        common = (
            correlation.copy()
            if binary
            else np.asarray((presence[start:stop] @ presence_t).todense(), np.float32)
        )
        correlation -= np.outer(sums[start:stop], sums / n_items).astype(np.float32)
        correlation /= np.outer(spread[start:stop], spread).astype(np.float32)
        correlation *= common / (common + np.float32(shrink + 1e-12))
        correlation[np.arange(stop - start), np.arange(start, stop)] = 0.0
        top = np.argpartition(-correlation, keep - 1, axis=1)[:, :keep]
        picked = np.take_along_axis(correlation, top, axis=1)
        positive = picked > 0
        rows.append(np.repeat(np.arange(start, stop), keep).reshape(-1, keep)[positive])
        cols.append(top[positive])
        values.append(picked[positive])
    if not rows:
        return csr_matrix((n_users, n_users), dtype=np.float32)
    return csr_matrix(
        (np.concatenate(values), (np.concatenate(rows), np.concatenate(cols))),
        shape=(n_users, n_users),
        dtype=np.float32,
    )

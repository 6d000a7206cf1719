"""Neighbourhood rating prediction on baseline residuals (Koren 2010, "Factor in the neighbors",
section 2.2; Surprise's ``KNNBaseline`` with ``pearson_baseline`` similarity).

Item-based (the default): the predicted rating of user ``u`` for item ``i`` is the baseline
``b_ui = μ + b_u + b_i`` plus the similarity-weighted mean of the user's residuals
``r_uj - b_uj`` on the ``neighbours`` items ``j`` they rated that are most similar to ``i``
(only positive similarities count; with fewer than ``min_neighbours`` of them the baseline
stands). ``user_based=True`` swaps the roles: the residuals of the users most like ``u`` who
rated ``i``.

Similarity is the Pearson correlation of the residuals over the users who rated both items,
shrunk towards 0 when they are few: ``sim = Σ e_ui e_uj / sqrt(Σ e_ui² · Σ e_uj²) · (n - 1) /
(n - 1 + shrinkage)``, ``n`` the common users. It is kept dense (items x items, float32), so the
model is for catalogues up to :data:`MAX_ENTITIES` items (or users, user-based). Biases are
:class:`BaselineRating`'s, with its regularisation.

Reasons name the item that adds most to a recommendation: "similar to <item> you rated 5"
(item-based). User-based reasons never name other customers.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_matrix

from crmind.errors import ConfigurationError, ModelDataError
from crmind.recommend.base import IntArray
from crmind.recommend.models.rating_baseline import (
    Biases,
    Float64Array,
    RatingRecommender,
    Ratings,
    fit_biases,
    rated_on_average,
)

MAX_ENTITIES = 20_000
BLOCK = 2048


class KNNBaselineRating(RatingRecommender):
    """kNN on baseline residuals with shrunk pearson-baseline similarity (module docstring).

    Learned attributes: those of :class:`RatingRecommender`, ``similarity_`` (items x items, or
    users x users when ``user_based``) and ``residuals_`` (one per rating, in ``ratings_`` order).
    """

    def __init__(
        self,
        *,
        neighbours: int = 40,
        min_neighbours: int = 1,
        shrinkage: float = 100.0,
        user_based: bool = False,
        reg_user: float = 15.0,
        reg_item: float = 10.0,
        baseline_epochs: int = 10,
    ) -> None:
        self.neighbours = neighbours
        self.min_neighbours = min_neighbours
        self.shrinkage = shrinkage
        self.user_based = user_based
        self.reg_user = reg_user
        self.reg_item = reg_item
        self.baseline_epochs = baseline_epochs

    def _fit_ratings(self, ratings: Ratings) -> None:
        if self.neighbours < 1 or self.min_neighbours < 0 or self.shrinkage < 0:
            raise ConfigurationError(
                "neighbours must be at least 1, min_neighbours and shrinkage at least 0; got "
                f"{self.neighbours}, {self.min_neighbours} and {self.shrinkage}"
            )
        size = ratings.n_users if self.user_based else ratings.n_items
        if size > MAX_ENTITIES:
            kind = "users" if self.user_based else "items"
            raise ModelDataError(
                f"kNN keeps a dense similarity of {size:,} {kind} ({4 * size**2 / 2**30:.1f} GiB; "
                f"limit {MAX_ENTITIES:,}): use BiasedMF"
            )
        self.biases_: Biases = fit_biases(
            ratings, reg_user=self.reg_user, reg_item=self.reg_item, epochs=self.baseline_epochs
        )
        self.residuals_: Float64Array = ratings.values - self.biases_.pairs(
            ratings.rows, ratings.columns
        )
        x, y = self._sides(ratings.rows, ratings.columns)
        n_y = ratings.n_items if self.user_based else ratings.n_users
        self.similarity_: np.ndarray = pearson_baseline(
            x, y, self.residuals_, size, n_y, self.shrinkage
        )
        order = np.argsort(y, kind="stable")
        self._by_y = (
            np.concatenate([[0], np.cumsum(np.bincount(y, minlength=n_y))]).astype(np.int64),
            x[order],
            self.residuals_[order],
            ratings.values[order],
        )

    def _sides(self, rows: IntArray, columns: IntArray) -> tuple[IntArray, IntArray]:
        """(x, y): x = the side compared by similarity, y = the side whose ratings are pooled."""
        return (rows, columns) if self.user_based else (columns, rows)

    def _raw_pairs(self, rows: IntArray, columns: IntArray) -> Float64Array:
        predictions = self.biases_.pairs(rows, columns)
        both = np.flatnonzero((rows >= 0) & (columns >= 0))
        x, y = self._sides(rows[both], columns[both])
        adjustment, _ = self._neighbourhood(x, y, best=False)
        predictions[both] += adjustment
        return predictions

    def _neighbourhood(
        self, x: IntArray, y: IntArray, *, best: bool
    ) -> tuple[Float64Array, IntArray]:
        """The residual adjustment of each (x, y) pair and, with ``best``, the position (in the
        order of ratings by y) of the neighbour that adds most, -1 for none."""
        start, neighbour_x, residual, _ = self._by_y
        adjustment = np.zeros(len(x))
        strongest = np.full(len(x), -1, dtype=np.int64)
        order = np.argsort(y, kind="stable")
        bounds = np.flatnonzero(np.diff(y[order])) + 1
        for group in np.split(order, bounds) if len(order) else []:
            first, last = start[y[group[0]]], start[y[group[0]] + 1]
            if first == last:
                continue
            similar = self.similarity_[np.ix_(x[group], neighbour_x[first:last])]
            position = np.broadcast_to(np.arange(first, last), similar.shape)
            if last - first > self.neighbours:
                top = np.argpartition(-similar, self.neighbours - 1, axis=1)[:, : self.neighbours]
                similar = np.take_along_axis(similar, top, axis=1)
                position = top + first
            weight = np.maximum(similar, 0.0).astype(np.float64)
            contribution = weight * residual[position]
            total = weight.sum(axis=1)
            enough = (total > 0) & ((weight > 0).sum(axis=1) >= self.min_neighbours)
            adjustment[group[enough]] = contribution.sum(axis=1)[enough] / total[enough]
            if best:
                pick = np.argmax(contribution, axis=1)
                useful = enough & (np.take_along_axis(contribution, pick[:, None], 1)[:, 0] > 0)
                strongest[group[useful]] = position[np.arange(len(group)), pick][useful]
        return adjustment, strongest

    def _explain(self, rows: IntArray, items: IntArray) -> list[str]:
        averages = rated_on_average(self, items)
        if self.user_based:
            return averages
        reasons = list(averages)
        known = np.flatnonzero(rows >= 0)
        _, strongest = self._neighbourhood(items[known], rows[known], best=True)
        found = strongest >= 0
        if found.any():
            _, neighbour_x, _, values = self._by_y
            names = self.item_name(neighbour_x[strongest[found]])
            for index, name, rating in zip(
                known[found].tolist(), names, values[strongest[found]].tolist(), strict=True
            ):
                reasons[index] = f"similar to {name} you rated {rating:g}"
        return reasons


def pearson_baseline(
    x: IntArray, y: IntArray, residuals: Float64Array, n_x: int, n_y: int, shrinkage: float
) -> np.ndarray:
    """Shrunk Pearson correlation of the residuals between every two x over their common y
    (module docstring), x x x float32, 1 on the diagonal; 0 for pairs with no common y."""
    ones = np.ones(len(residuals))
    common = csr_matrix((ones, (x, y)), shape=(n_x, n_y))
    errors = csr_matrix((residuals, (x, y)), shape=(n_x, n_y))
    squares = csr_matrix((residuals**2, (x, y)), shape=(n_x, n_y))
    common_t, errors_t, squares_t = (csr_matrix(m.T) for m in (common, errors, squares))
    similarity = np.zeros((n_x, n_x), dtype=np.float32)
    for first in range(0, n_x, BLOCK):
        last = min(first + BLOCK, n_x)
        products = (errors[first:last] @ errors_t).toarray()
        own = (squares[first:last] @ common_t).toarray()
        other = (common[first:last] @ squares_t).toarray()
        support = (common[first:last] @ common_t).toarray() - 1.0
        denominator = np.sqrt(own * other) * (support + shrinkage)
        numerator = products * np.maximum(support, 0.0)
        block = np.divide(
            numerator, denominator, out=np.zeros_like(numerator), where=denominator > 0
        )
        similarity[first:last] = block
    similarity[np.diag_indices(n_x)] = 1.0
    return similarity

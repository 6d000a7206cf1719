"""Explicit ratings: what every rating model shares, and the baseline (mean + user and item biases).

A rating model learns from interactions whose ``value`` is a rating (stars, 1–5 or any scale) and
predicts the rating a user would give an item: :meth:`RatingRecommender.predict` for pairs,
and the predicted ratings of every item as the ranking scores of :meth:`Recommender.recommend`.
Predictions are clipped to the lowest and highest rating seen at fit; a user or an item not seen
at fit falls back to the baseline without it (the global mean plus the bias that is known), so
every pair gets a rating.

A user who rated one item twice counts once, with the mean of the ratings (the interaction
matrix of :func:`crmind.recommend.data.build_matrix` sums them, which is right for quantities
and wrong for stars).

:class:`BaselineRating` is ``mean + b_user + b_item`` fitted by alternating least squares as
Surprise's ``BaselineOnly`` (Koren 2010, "Factor in the neighbors", section 2.1): ``epochs``
rounds of ``b_i = Σ(r - μ - b_u) / (reg_item + n_i)`` then ``b_u = Σ(r - μ - b_i) / (reg_user +
n_u)``. It is the yardstick of rating prediction, and the other models start from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy.sparse import csr_matrix

from crmind.errors import ConfigurationError, ModelDataError
from crmind.recommend.base import FloatArray, IntArray, Recommender
from crmind.recommend.data import ITEM, USER, VALUE

Float64Array = npt.NDArray[np.float64]
Ids = Sequence[object] | pl.Series | npt.NDArray[Any]
"""User or item ids: a sequence, a polars Series or a numpy array."""


@dataclass(frozen=True)
class Ratings:
    """The ratings of a fit as parallel arrays (one entry per user and item, duplicates averaged):
    the user's row and the item's column in the model's interaction matrix, and the rating."""

    rows: IntArray
    columns: IntArray
    values: Float64Array
    n_users: int
    n_items: int

    def user_counts(self) -> IntArray:
        """Ratings per user row."""
        return np.bincount(self.rows, minlength=self.n_users).astype(np.int64)

    def item_counts(self) -> IntArray:
        """Ratings per item column."""
        return np.bincount(self.columns, minlength=self.n_items).astype(np.int64)

    def matrix(self, values: Float64Array | None = None) -> csr_matrix:
        """Users x items CSR of ``values`` (default: the ratings), explicit zeros kept."""
        data = self.values if values is None else values
        return csr_matrix(
            (data, (self.rows, self.columns)), shape=(self.n_users, self.n_items), dtype=np.float64
        )


@dataclass(frozen=True)
class Biases:
    """``global_mean + user[row] + item[column]``: the baseline of every rating model."""

    global_mean: float
    user: Float64Array
    item: Float64Array

    def pairs(self, rows: IntArray, columns: IntArray) -> Float64Array:
        """Baseline of each pair; a row or column of -1 (not seen at fit) adds no bias."""
        user = np.where(rows >= 0, self.user[np.maximum(rows, 0)], 0.0)
        item = np.where(columns >= 0, self.item[np.maximum(columns, 0)], 0.0)
        return np.asarray(self.global_mean + user + item, dtype=np.float64)


def fit_biases(ratings: Ratings, *, reg_user: float, reg_item: float, epochs: int) -> Biases:
    """Surprise's ``BaselineOnly`` ALS (module docstring), vectorised with ``bincount``."""
    if reg_user < 0 or reg_item < 0:
        raise ConfigurationError(
            f"bias regularisation must be at least 0, not reg_user={reg_user}, reg_item={reg_item}"
        )
    if epochs < 1:
        raise ConfigurationError(f"epochs must be at least 1, not {epochs}")
    mean = float(ratings.values.mean())
    user_count = ratings.user_counts()
    item_count = ratings.item_counts()
    user = np.zeros(ratings.n_users)
    item = np.zeros(ratings.n_items)
    for _ in range(epochs):
        residual = ratings.values - mean - user[ratings.rows]
        item = _shrunk_mean(ratings.columns, residual, item_count, reg_item)
        residual = ratings.values - mean - item[ratings.columns]
        user = _shrunk_mean(ratings.rows, residual, user_count, reg_user)
    return Biases(global_mean=mean, user=user, item=item)


def _shrunk_mean(
    index: IntArray, residual: Float64Array, counts: IntArray, reg: float
) -> Float64Array:
    sums = np.bincount(index, weights=residual, minlength=counts.size)
    denominator = counts + reg
    shrunk: Float64Array = np.divide(
        sums, denominator, out=np.zeros_like(sums), where=denominator > 0
    )
    return shrunk


class RatingRecommender(Recommender):
    """Base class of the explicit-rating models (see the module docstring).

    A subclass implements :meth:`_fit_ratings` (which sets ``biases_`` and its own state) and
    :meth:`_raw_pairs` (unclipped predictions for any pairs, rows / columns -1 for unseen users /
    items); it may override :meth:`_raw_rows` (every item for known users) for speed.

    Learned attributes: those of :class:`Recommender`, ``ratings_`` (:class:`Ratings`),
    ``scale_`` (lowest and highest rating seen) and ``biases_`` (:class:`Biases`).
    """

    default_reason = "rated highly by people with your taste"

    def _fit_model(self, interactions: pl.DataFrame) -> None:
        self.ratings_: Ratings = _ratings(self, interactions)
        self.scale_: tuple[float, float] = (
            float(self.ratings_.values.min()),
            float(self.ratings_.values.max()),
        )
        self._fit_ratings(self.ratings_)

    def _fit_ratings(self, ratings: Ratings) -> None:
        """Learn ``biases_`` and the model's own state from the ratings."""
        raise NotImplementedError

    # -------------------------------------------------------------- predict
    def predict(self, user_ids: Ids, item_ids: Ids) -> Float64Array:
        """The predicted rating of each (user, item) pair, clipped to the scale seen at fit;
        unseen users or items get the baseline without them (module docstring)."""
        self._check_fitted("ratings_")
        users = _series(user_ids)
        items = _series(item_ids)
        if users.len() != items.len():
            raise ModelDataError(
                f"need one item per user: {users.len()} user ids, {items.len()} item ids"
            )
        rows = self.data_.user_rows(users)
        columns = self.data_.item_columns(items)
        return self._clip(self._raw_pairs(rows, columns))

    def _raw_pairs(self, rows: IntArray, columns: IntArray) -> Float64Array:
        """Unclipped predictions of pairs; rows / columns -1 are users / items unseen at fit."""
        raise NotImplementedError

    def _raw_rows(self, rows: IntArray) -> Float64Array:
        """Unclipped predictions of every item for known user rows (users x items)."""
        n_items = self.data_.items.size
        pairs = self._raw_pairs(np.repeat(rows, n_items), np.tile(np.arange(n_items), len(rows)))
        return pairs.reshape(len(rows), n_items)

    def _clip(self, predictions: Float64Array) -> Float64Array:
        low, high = self.scale_
        return np.clip(predictions, low, high)

    # ------------------------------------------------------------ recommend
    def _score_rows(self, rows: IntArray) -> FloatArray:
        return self._clip(self._raw_rows(rows)).astype(np.float32)

    def _score_unknown(self, count: int) -> FloatArray:
        n_items = self.data_.items.size
        unknown = np.full(n_items, -1, dtype=np.int64)
        scores = self._clip(self._raw_pairs(unknown, np.arange(n_items, dtype=np.int64)))
        return np.tile(scores.astype(np.float32), (count, 1))

    def _explain(self, rows: IntArray, items: IntArray) -> list[str]:
        return rated_on_average(self, items)


class BaselineRating(RatingRecommender):
    """Global mean + user bias + item bias by ALS (see the module docstring).

    Learned attributes: those of :class:`RatingRecommender`.
    """

    def __init__(self, *, reg_user: float = 15.0, reg_item: float = 10.0, epochs: int = 10) -> None:
        self.reg_user = reg_user
        self.reg_item = reg_item
        self.epochs = epochs

    def _fit_ratings(self, ratings: Ratings) -> None:
        self.biases_: Biases = fit_biases(
            ratings, reg_user=self.reg_user, reg_item=self.reg_item, epochs=self.epochs
        )

    def _raw_pairs(self, rows: IntArray, columns: IntArray) -> Float64Array:
        return self.biases_.pairs(rows, columns)

    def _raw_rows(self, rows: IntArray) -> Float64Array:
        biases = self.biases_
        return np.asarray(
            biases.global_mean + biases.user[rows][:, None] + biases.item[None, :],
            dtype=np.float64,
        )


def rated_on_average(model: RatingRecommender, items: IntArray) -> list[str]:
    """ "rated <mean> on average by <n> people" for each item column (its ratings at fit)."""
    ratings = model.ratings_
    counts = ratings.item_counts()
    sums = np.bincount(ratings.columns, weights=ratings.values, minlength=ratings.n_items)
    means = np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)
    return [
        f"rated {means[item]:.1f} on average by {counts[item]:,} people"
        if counts[item]
        else model.default_reason
        for item in items.tolist()
    ]


def _ratings(model: Recommender, interactions: pl.DataFrame) -> Ratings:
    """The checked interactions as :class:`Ratings` in ``model.data_``'s rows and columns."""
    frame = interactions.group_by(USER, ITEM, maintain_order=True).agg(pl.col(VALUE).mean())
    values = frame.get_column(VALUE).to_numpy().astype(np.float64)
    if not np.isfinite(values).all():
        raise ModelDataError("ratings must be finite numbers; some are NaN or infinite")
    return Ratings(
        rows=model.data_.user_rows(frame.get_column(USER)),
        columns=model.data_.item_columns(frame.get_column(ITEM)),
        values=values,
        n_users=model.data_.users.size,
        n_items=model.data_.items.size,
    )


def _series(ids: Ids) -> pl.Series:
    if isinstance(ids, pl.Series):
        return ids
    if isinstance(ids, np.ndarray):
        return pl.Series(ids)
    if isinstance(ids, str | bytes):
        raise ModelDataError(f"expected a sequence of ids, not the single id {ids!r}")
    return pl.Series(list(ids))

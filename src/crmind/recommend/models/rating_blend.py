"""A linear blend of rating models, its weights learned on ratings the models did not see.

Factor models and neighbourhood models make different errors (global tastes against local
similarities), so a weighted sum of their predictions beats each of them — the lesson of the
Netflix Prize, here in its smallest form. The fit holds out a seeded ``holdout`` share of the
training ratings, fits a copy of each member on the rest, and fits ``rating ≈ w_0 + Σ w_m ·
prediction_m`` by least squares on the held-out ratings; then it refits every member on all the
training ratings and keeps the weights. Nothing of the data the blend is later graded on is
used. It costs the members' fits twice.

Default members: :class:`BiasedMF` and item-based :class:`KNNBaselineRating`. Reasons are those
of the member with the largest weight.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl
from sklearn.base import clone

from crmind.errors import ConfigurationError, ModelDataError
from crmind.recommend.base import IntArray
from crmind.recommend.data import ITEM, USER, VALUE
from crmind.recommend.models.rating_baseline import (
    Biases,
    Float64Array,
    RatingRecommender,
    Ratings,
)
from crmind.recommend.models.rating_knn import KNNBaselineRating
from crmind.recommend.models.rating_mf import BiasedMF


class RatingBlend(RatingRecommender):
    """Least-squares blend of rating models (see the module docstring).

    Learned attributes: those of :class:`RatingRecommender` (``biases_`` is the first member's),
    ``models_`` (the members fitted on all ratings) and ``weights_`` (intercept, then one weight
    per member).
    """

    def __init__(
        self,
        *,
        models: Sequence[RatingRecommender] | None = None,
        holdout: float = 0.1,
        random_state: int = 0,
    ) -> None:
        self.models = models
        self.holdout = holdout
        self.random_state = random_state

    def _members(self) -> list[RatingRecommender]:
        members = (
            list(self.models) if self.models is not None else [BiasedMF(), KNNBaselineRating()]
        )
        if not members or not all(isinstance(m, RatingRecommender) for m in members):
            raise ConfigurationError("a blend needs at least one rating model (RatingRecommender)")
        return [clone(member) for member in members]

    def _fit_model(self, interactions: pl.DataFrame) -> None:
        if not 0 < self.holdout < 1:
            raise ConfigurationError(f"holdout must be in (0, 1), not {self.holdout}")
        super()._fit_model(interactions)
        rng = np.random.default_rng(self.random_state)
        held = pl.Series(rng.random(interactions.height) < self.holdout)
        train, test = interactions.filter(~held), interactions.filter(held)
        if train.is_empty() or test.is_empty():
            raise ModelDataError(
                f"{interactions.height} ratings are too few to hold out {self.holdout:.0%} "
                "for the blend"
            )
        # the items frame in the blend's column order: every member indexes items as the blend
        catalogue = self.items_frame_
        predictions = [
            member.fit(train, catalogue).predict(test.get_column(USER), test.get_column(ITEM))
            for member in self._members()
        ]
        design = np.column_stack([np.ones(test.height), *predictions])
        actual = test.get_column(VALUE).to_numpy().astype(np.float64)
        weights, *_ = np.linalg.lstsq(design, actual, rcond=None)
        self.weights_: Float64Array = np.asarray(weights, dtype=np.float64)
        self.models_: list[RatingRecommender] = [
            member.fit(interactions, catalogue) for member in self._members()
        ]
        self.biases_: Biases = self.models_[0].biases_

    def _fit_ratings(self, ratings: Ratings) -> None:
        """Nothing of its own: the members learn in :meth:`_fit_model`."""

    def _raw_pairs(self, rows: IntArray, columns: IntArray) -> Float64Array:
        total = np.full(len(rows), self.weights_[0])
        for weight, model in zip(self.weights_[1:], self.models_, strict=True):
            total += weight * model._clip(model._raw_pairs(rows, columns))
        return total

    def _raw_rows(self, rows: IntArray) -> Float64Array:
        total = np.full((len(rows), self.data_.items.size), self.weights_[0])
        for weight, model in zip(self.weights_[1:], self.models_, strict=True):
            total += weight * model._clip(model._raw_rows(rows))
        return total

    def _explain(self, rows: IntArray, items: IntArray) -> list[str]:
        return self.models_[int(np.argmax(self.weights_[1:]))]._explain(rows, items)

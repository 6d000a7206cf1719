"""Popularity: the items most customers interacted with, overall or recently.

The baseline every personalised model must beat ("top products"). With ``recent_days`` only
interactions in the last ``recent_days`` days before the newest one count (needs
``occurred_at``). Popularity counts users, not quantities, so one wholesale buyer does not make
an item popular. Unknown users get the same list.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import polars as pl

from crmind.errors import ConfigurationError, ModelDataError
from crmind.recommend.base import FloatArray, IntArray, Recommender
from crmind.recommend.data import ITEM, TIME, USER


class PopularityRecommender(Recommender):
    """Items ranked by how many users had them (see the module docstring).

    Learned attributes: those of :class:`Recommender` and ``popularity_`` (users per item).
    """

    default_reason = "popular with customers"

    def __init__(self, *, recent_days: int | None = None) -> None:
        self.recent_days = recent_days

    def _fit_model(self, interactions: pl.DataFrame) -> None:
        frame = interactions
        if self.recent_days is not None:
            if self.recent_days < 1:
                raise ConfigurationError(f"recent_days must be at least 1, not {self.recent_days}")
            if TIME not in frame.columns:
                raise ModelDataError(f"recent popularity needs {TIME!r} in the interactions")
            last = frame.get_column(TIME).max()
            assert isinstance(last, datetime)
            frame = frame.filter(pl.col(TIME) > last - timedelta(days=self.recent_days))
        users = frame.group_by(ITEM).agg(pl.col(USER).n_unique().alias("users"))
        columns = self.data_.item_columns(users.get_column(ITEM))
        popularity = np.zeros(self.data_.items.size, dtype=np.float32)
        popularity[columns] = users.get_column("users").to_numpy()
        self.popularity_: FloatArray = popularity

    def _score_rows(self, rows: IntArray) -> FloatArray:
        return np.tile(self.popularity_, (len(rows), 1))

    def _score_unknown(self, count: int) -> FloatArray:
        return np.tile(self.popularity_, (count, 1))

    def _explain(self, rows: IntArray, items: IntArray) -> list[str]:
        when = f" in the last {self.recent_days} days" if self.recent_days else ""
        counts = self.popularity_[items].astype(np.int64)
        return [f"popular: bought by {n:,} customers{when}" for n in counts.tolist()]

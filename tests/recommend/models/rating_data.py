"""Synthetic explicit ratings for the rating-model tests: a known low-rank taste matrix."""

from __future__ import annotations

import numpy as np
import polars as pl


def low_rank_ratings(
    users: int = 150, items: int = 80, rank: int = 3, density: float = 0.3, seed: int = 0
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(train, test) ratings on a 1–5 scale from ``3 + user bias + item bias + u·v`` plus a
    little noise; a seeded ``density`` share of the pairs is observed, a fifth of them tested.
    Every user and item has training ratings."""
    rng = np.random.default_rng(seed)
    tastes = rng.normal(0.0, 0.7, (users, rank))
    traits = rng.normal(0.0, 0.7, (items, rank))
    truth = (
        3.0
        + rng.normal(0.0, 0.3, (users, 1))
        + rng.normal(0.0, 0.3, (1, items))
        + tastes @ traits.T
        + rng.normal(0.0, 0.1, (users, items))
    )
    observed = rng.random((users, items)) < density
    observed[np.arange(users), rng.integers(0, items, users)] = True
    observed[rng.integers(0, users, items), np.arange(items)] = True
    user, item = np.nonzero(observed)
    frame = pl.DataFrame(
        {
            "user_id": user.astype(np.int64),
            "item_id": [f"item{j}" for j in item],
            "value": np.clip(truth[user, item], 1.0, 5.0),
        }
    )
    tested = pl.Series(rng.random(frame.height) < 0.2)
    train, test = frame.filter(~tested), frame.filter(tested)
    seen_users = train.get_column("user_id").unique().implode()
    seen_items = train.get_column("item_id").unique().implode()
    test = test.filter(pl.col("user_id").is_in(seen_users) & pl.col("item_id").is_in(seen_items))
    return train, test

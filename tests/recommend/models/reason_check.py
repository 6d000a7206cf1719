"""Shared check for linear item-item models: every reason names the bought item that adds most
to the recommendation's score, found by brute force over the model's own weights."""

from __future__ import annotations

import numpy as np
import polars as pl

from crmind.recommend.base import Recommender


def random_baskets(seed: int = 0, users: int = 300, items: int = 60) -> pl.DataFrame:
    """Users drawn to one of three item groups, with quantities (so contributions differ)."""
    rng = np.random.default_rng(seed)
    rows = []
    for user in range(users):
        group = rng.integers(0, 3)
        size = int(rng.integers(1, 9))
        home = rng.choice(np.arange(group * 20, group * 20 + 20), size=size, replace=False)
        stray = rng.choice(items, size=int(rng.integers(0, 3)), replace=False)
        for item in set(home.tolist()) | set(stray.tolist()):
            rows.append((f"u{user}", f"p{item}", float(rng.integers(1, 5))))
    return pl.DataFrame(rows, schema=["user_id", "item_id", "value"], orient="row")


def check_reasons_name_the_strongest_bought_item(
    model: Recommender, user_items: np.ndarray, weights: np.ndarray, phrase: str
) -> None:
    """``user_items`` and ``weights`` as the model scores with them (``user_items @ weights``)."""
    data = model.data_
    recommendations = model.recommend(data.users.tolist(), 5)
    rows = data.user_rows(recommendations["user_id"])
    columns = data.item_columns(recommendations["item_id"])
    named = 0
    for row, column, reason in zip(rows, columns, recommendations["reason"], strict=True):
        contributions = user_items[row] * weights[:, column]
        contributions[column] = 0.0
        if contributions.max() <= 0:
            assert reason == model.default_reason
            continue
        strongest = np.flatnonzero(contributions == contributions.max())
        expected = {f"{phrase} {name}" for name in model.item_name(strongest)}
        assert reason in expected, (row, column, reason, expected)
        named += 1
    assert named > len(recommendations) // 2

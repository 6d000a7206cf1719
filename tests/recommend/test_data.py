"""Interactions from order lines and the user x item matrix."""

from __future__ import annotations

from datetime import datetime

import polars as pl
import pytest

from crmind.errors import ModelDataError
from crmind.recommend.data import build_matrix, check_interactions, interactions_from_lines


def lines() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "customer_id": [1, 1, 1, 2, 2, None],
            "product_id": [10, 10, 11, 10, 12, 10],
            "order_id": [100, 101, 101, 102, 103, 104],
            "quantity": [2, 3, 1, 1, -1, 5],
            "is_return": [False, False, False, False, True, False],
            "occurred_at": [datetime(2024, 1, d) for d in (1, 2, 2, 3, 4, 5)],
        }
    )


def test_quantities_are_summed_and_returns_netted() -> None:
    frame = interactions_from_lines(lines())
    assert frame.select("user_id", "item_id", "value").rows() == [
        (1, 10, 5.0),
        (1, 11, 1.0),
        (2, 10, 1.0),
    ]
    assert frame.filter(pl.col("item_id") == 10, pl.col("user_id") == 1)["occurred_at"][
        0
    ] == datetime(2024, 1, 2)


def test_orders_strength_counts_orders() -> None:
    frame = interactions_from_lines(lines(), strength="orders")
    assert frame.filter(pl.col("user_id") == 1, pl.col("item_id") == 10)["value"][0] == 2.0


def test_matrix_sums_duplicates_and_keeps_catalogue_items() -> None:
    interactions = pl.DataFrame(
        {"user_id": ["u2", "u1", "u1"], "item_id": ["b", "a", "a"], "value": [1.0, 2.0, 3.0]}
    )
    data = build_matrix(interactions, items=["z", "a"])
    assert data.users.tolist() == ["u1", "u2"]
    assert data.items.tolist() == ["z", "a", "b"]
    assert data.matrix.toarray().tolist() == [[0.0, 5.0, 0.0], [0.0, 0.0, 1.0]]
    assert data.user_rows(["u2", "nobody"]).tolist() == [1, -1]
    assert data.item_columns(["b"]).tolist() == [2]


def test_bad_interactions_are_named() -> None:
    with pytest.raises(ModelDataError, match="lack column"):
        check_interactions(pl.DataFrame({"user_id": [1], "item_id": [2]}))
    with pytest.raises(ModelDataError, match="missing values"):
        check_interactions(pl.DataFrame({"user_id": [1, None], "item_id": [2, 3], "value": [1, 1]}))
    with pytest.raises(ModelDataError, match="empty"):
        check_interactions(
            pl.DataFrame(schema={"user_id": pl.Int64, "item_id": pl.Int64, "value": pl.Float64})
        )
    with pytest.raises(ModelDataError, match="lack column"):
        interactions_from_lines(lines().drop("is_return"))

"""Ranking and rating metrics on hand-computed cases."""

from __future__ import annotations

import math

import polars as pl
import pytest

from crmind.errors import ConfigurationError, ModelDataError
from crmind.recommend.metrics import mae, novelty, ranking_metrics, rmse


def recs(rows: list[tuple[int, str, int]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=["user_id", "item_id", "rank"], orient="row")


def truth(rows: list[tuple[int, str]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=["user_id", "item_id"], orient="row")


def test_ranking_metrics_by_hand() -> None:
    # user 1: relevant {a, b}; list a(1) x(2) b(3) -> hits at 1 and 3
    # user 2: relevant {c}; list y(1) z(2) w(3) -> no hit
    recommendations = recs(
        [(1, "a", 1), (1, "x", 2), (1, "b", 3), (2, "y", 1), (2, "z", 2), (2, "w", 3)]
    )
    test = truth([(1, "a"), (1, "b"), (2, "c")])
    m = ranking_metrics(recommendations, test, 3)
    assert m["precision@3"] == pytest.approx((2 / 3 + 0) / 2)
    assert m["recall@3"] == pytest.approx((2 / 2 + 0) / 2)
    dcg = 1 / math.log2(2) + 1 / math.log2(4)
    idcg = 1 / math.log2(2) + 1 / math.log2(3)
    assert m["ndcg@3"] == pytest.approx((dcg / idcg + 0) / 2)
    assert m["map@3"] == pytest.approx(((1 / 1 + 2 / 3) / 2 + 0) / 2)
    assert m["hit_rate@3"] == pytest.approx(0.5)
    assert m["users"] == 2


def test_only_the_first_k_count_and_recall_caps_at_k() -> None:
    recommendations = recs([(1, "x", 1), (1, "a", 2), (1, "b", 3)])
    test = truth([(1, "a"), (1, "b"), (1, "c"), (1, "d")])
    m = ranking_metrics(recommendations, test, 2)
    assert m["precision@2"] == pytest.approx(0.5)
    assert m["recall@2"] == pytest.approx(0.5)  # 1 hit of min(2, 4) possible


def test_coverage_and_novelty() -> None:
    recommendations = recs([(1, "a", 1), (2, "a", 1), (2, "b", 2)])
    train = truth([(1, "a"), (2, "a"), (3, "a"), (4, "b")])
    m = ranking_metrics(recommendations, truth([(1, "a")]), 2, catalogue_size=4, train=train)
    assert m["coverage"] == pytest.approx(0.5)
    assert novelty(recommendations.select("item_id"), train) == pytest.approx(
        (2 * -math.log2(3 / 4) + -math.log2(1 / 4)) / 3
    )


def test_bad_inputs_are_named() -> None:
    with pytest.raises(ConfigurationError):
        ranking_metrics(recs([(1, "a", 1)]), truth([(1, "a")]), 0)
    with pytest.raises(ModelDataError, match="test lack column"):
        ranking_metrics(recs([(1, "a", 1)]), pl.DataFrame({"user_id": [1]}), 1)
    empty = pl.DataFrame(schema={"user_id": pl.Int64, "item_id": pl.String})
    with pytest.raises(ModelDataError, match="no user"):
        ranking_metrics(recs([(1, "a", 1)]), empty, 1)


def test_rating_errors() -> None:
    assert rmse([1, 2, 3], [1, 2, 5]) == pytest.approx(math.sqrt(4 / 3))
    assert mae([1, 2, 3], [2, 2, 5]) == pytest.approx(1.0)
    with pytest.raises(ModelDataError):
        rmse([1, 2], [1])

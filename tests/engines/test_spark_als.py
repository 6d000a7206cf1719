"""MLlib ALS on Spark against the local ALS (``implicit``) on the same time split of Online
Retail: the interactions are identical, and the quality of the top-10 lists is within a
documented tolerance (docs/spark.md): precision@10 and hit_rate@10 on the last 30 days at least
85 % of the local model's, for the exact top-k UDF and for the recommender interface (MLlib
factors, lists on the driver) that ``crmind recommend --engine spark`` uses.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine

from crmind.engines import AnalysisTables
from crmind.engines.spark.als import (
    SparkALS,
    SparkALSRecommender,
    recommend_top_k,
    spark_interactions,
)
from crmind.engines.spark.frames import to_polars, to_spark
from crmind.errors import ConfigurationError
from crmind.recommend.data import ITEM, USER, interactions_from_lines
from crmind.recommend.metrics import ranking_metrics
from crmind.recommend.models.implicit_mf import ALSRecommender
from crmind.services.recommendation import RecommendOptions, train_and_recommend

K = 10
TEST_DAYS = 30
SHARE_OF_LOCAL_AT_LEAST = 0.85


@pytest.fixture(scope="module")
def split(retail_tables: AnalysisTables) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Training lines, training interactions and test interactions (returning customers, only
    products they had not bought before)."""
    lines = retail_tables.lines
    last = lines["occurred_at"].max()
    assert isinstance(last, datetime)
    cutoff = last - timedelta(days=TEST_DAYS)
    past = lines.filter(pl.col("occurred_at") <= cutoff)
    train = interactions_from_lines(past)
    test = interactions_from_lines(lines.filter(pl.col("occurred_at") > cutoff))
    test = test.join(train.select(USER).unique(), on=USER, how="semi").join(
        train.select(USER, ITEM), on=[USER, ITEM], how="anti"
    )
    return past, train, test


def test_interactions_match_the_local_ones(
    spark: object, split: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]
) -> None:
    past, train, _ = split
    remote = to_polars(spark_interactions(to_spark(spark, past)).orderBy(USER, ITEM))  # type: ignore[arg-type]
    assert remote.equals(train.select(USER, ITEM, "value"))


def test_spark_als_quality_is_close_to_the_local_als(
    spark: object, split: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]
) -> None:
    past, train, test = split
    users = test.select(USER).unique().sort(USER)
    local_lists = ALSRecommender().fit(train).recommend(users[USER], K, exclude_seen=True)
    local = ranking_metrics(local_lists, test, K)
    interactions = spark_interactions(to_spark(spark, past)).persist()  # type: ignore[arg-type]
    model = SparkALS().fit(interactions)
    remote_lists = to_polars(
        recommend_top_k(model, interactions, to_spark(spark, users), K)  # type: ignore[arg-type]
    )
    interactions.unpersist()
    remote = ranking_metrics(remote_lists, test, K)
    adapter_lists = SparkALSRecommender().fit(train).recommend(users[USER], K, exclude_seen=True)
    adapter = ranking_metrics(adapter_lists, test, K)
    bought = remote_lists.join(train, on=[USER, ITEM], how="semi")
    assert bought.is_empty()  # nothing a customer already bought is recommended
    assert remote_lists.group_by(USER).len()["len"].max() == K
    for metric in (f"precision@{K}", f"hit_rate@{K}"):
        assert remote[metric] >= SHARE_OF_LOCAL_AT_LEAST * local[metric], metric
        assert adapter[metric] >= SHARE_OF_LOCAL_AT_LEAST * local[metric], metric


def test_recommend_service_stores_spark_als_lists(retail_store: Engine, tmp_path: Path) -> None:
    options = RecommendOptions(model="als", engine="spark", k=K)
    result = train_and_recommend(retail_store, options, tmp_path)
    assert set(result.metrics["models"]) == {"als", "popularity"}
    assert result.stored > 0
    assert result.customers > 1000
    assert Path(result.model_path).exists()  # the factors pickle without Spark


def test_only_als_runs_on_spark(retail_store: Engine, tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="recommender is als"):
        train_and_recommend(retail_store, RecommendOptions(engine="spark"), tmp_path)

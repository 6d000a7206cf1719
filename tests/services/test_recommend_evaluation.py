"""``evaluate recommend`` on files: splits, models in one run, clear errors."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from crmind.errors import ConfigurationError, MappingError, ModelDataError
from crmind.services.recommend_evaluation import evaluate_recommenders_file, read_interactions
from tests.conftest import shared_data
from tests.services.test_recommendation import orders


@pytest.fixture
def purchases(tmp_path: Path) -> Path:
    path = tmp_path / "purchases.csv"
    orders().select("customer_id", "sku", "date").write_csv(path)
    return path


@pytest.mark.parametrize("split", ["random", "time", "user-last"])
def test_every_model_is_measured_on_the_same_split(purchases: Path, split: str) -> None:
    report = evaluate_recommenders_file(
        purchases,
        user_col="customer_id",
        item_col="sku",
        time_col="date",
        split=split,
        models=["item-knn", "ease"],
        k=3,
        exclude_seen=split != "user-last",  # a customer's last purchase is mostly a rebuy
    )
    assert list(report["models"]) == ["popularity", "item-knn", "ease"]
    assert report["test_users"] > 0
    if split != "user-last":  # rebuys favour popularity there; the hybrid's repeat part helps
        best = max(report["models"].values(), key=lambda m: m["hit_rate@3"])
        assert best["hit_rate@3"] > report["models"]["popularity"]["hit_rate@3"]


def test_repeated_rows_add_up_and_unix_times_are_read(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    pl.DataFrame(
        {"u": [1, 1, 2], "i": ["a", "a", "b"], "t": [881250949, 891717742, 878887116]}
    ).write_csv(path)
    frame = read_interactions(path, "u", "i", time_col="t")
    assert frame["value"].to_list() == [1.0, 1.0, 1.0]
    assert frame["occurred_at"].dt.year().to_list() == [1997, 1998, 1997]


def test_errors_name_the_file_and_column(purchases: Path, tmp_path: Path) -> None:
    with pytest.raises(MappingError, match="no column"):
        evaluate_recommenders_file(purchases, user_col="user", item_col="sku")
    with pytest.raises(ModelDataError, match="--include-seen"):
        evaluate_recommenders_file(
            purchases, user_col="customer_id", item_col="sku", time_col="date", split="user-last"
        )
    with pytest.raises(ConfigurationError, match="split"):
        evaluate_recommenders_file(purchases, user_col="customer_id", item_col="sku", split="x")
    with pytest.raises(ConfigurationError, match="unknown recommender"):
        evaluate_recommenders_file(
            purchases, user_col="customer_id", item_col="sku", models=["magic"]
        )
    bad = tmp_path / "bad.csv"
    pl.DataFrame({"u": [1, 2], "i": ["a", "b"], "r": ["5", "five"]}).write_csv(bad)
    with pytest.raises(MappingError, match=r"not numbers \(first at row 3\)"):
        read_interactions(bad, "u", "i", rating_col="r")


@pytest.mark.slow
def test_movielens_ranking_beats_popularity(tmp_path: Path) -> None:
    source = shared_data("movielens_100k/u.data")
    path = tmp_path / "ml.csv"  # a local copy in tmp; MovieLens never enters the project
    pl.read_csv(
        source, separator="\t", has_header=False, new_columns=["user", "item", "rating", "ts"]
    ).write_csv(path)
    report = evaluate_recommenders_file(
        path, user_col="user", item_col="item", rating_col="rating", models=["ease"]
    )
    ease, popularity = report["models"]["ease"], report["models"]["popularity"]
    assert ease["ndcg@10"] > 1.5 * popularity["ndcg@10"]


def test_rating_models_also_get_rmse_and_mae(tmp_path: Path) -> None:
    path = tmp_path / "ratings.csv"
    frame = orders().select("customer_id", "sku").unique()
    stars = (frame["sku"].str.extract(r"-(\d+)$").cast(pl.Int64) % 5 + 1).alias("stars")
    frame.with_columns(stars).write_csv(path)
    report = evaluate_recommenders_file(
        path, user_col="customer_id", item_col="sku", rating_col="stars", models=["rating-baseline"]
    )
    baseline = report["models"]["rating-baseline"]
    assert baseline["rmse"] < 1.0  # the stars follow the item, which item biases learn
    assert "rmse" not in report["models"]["popularity"]

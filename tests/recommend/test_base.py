"""The Recommender interface, through the simple models: top-k, seen items, filters, diversity,
unknown users, similar items, save / load."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from crmind.errors import ConfigurationError, ModelDataError
from crmind.recommend.models.ease import EASERecommender
from crmind.recommend.models.item_knn import ItemKNNRecommender
from crmind.recommend.models.popularity import PopularityRecommender
from tests.estimator_contract import check_estimator_contract

# baskets: kitchen people buy mug+kettle+teapot, garden people trowel+gloves+seeds
BASKETS = {
    1: ["mug", "kettle", "teapot"],
    2: ["mug", "kettle"],
    3: ["mug", "teapot"],
    4: ["kettle", "teapot"],
    5: ["trowel", "gloves", "seeds"],
    6: ["trowel", "gloves"],
    7: ["gloves", "seeds"],
    8: ["mug"],
}
ITEMS = pl.DataFrame(
    {
        "item_id": ["mug", "kettle", "teapot", "trowel", "gloves", "seeds", "apron"],
        "name": ["Mug", "Kettle", "Teapot", "Trowel", "Gloves", "Seeds", "Apron"],
        "category": ["kitchen"] * 3 + ["garden"] * 3 + ["kitchen"],
    }
)


def interactions() -> pl.DataFrame:
    rows = [(user, item, 1.0) for user, items in BASKETS.items() for item in items]
    return pl.DataFrame(rows, schema=["user_id", "item_id", "value"], orient="row")


@pytest.mark.parametrize("make", [PopularityRecommender, ItemKNNRecommender, EASERecommender])
def test_recommenders_follow_the_estimator_contract(make: type, tmp_path: Path) -> None:
    check_estimator_contract(
        make=make,
        fit=lambda model: model.fit(interactions(), ITEMS),
        outputs=lambda model: model.recommend([1, 2, 8], 3),
        tmp_path=tmp_path,
    )


@pytest.mark.parametrize("make", [ItemKNNRecommender, EASERecommender])
def test_collaborative_models_recommend_from_the_same_basket(make: type) -> None:
    model = make().fit(interactions(), ITEMS)
    recs = model.recommend([8, 6], 2)
    mug_buyer = recs.filter(pl.col("user_id") == 8)["item_id"].to_list()
    assert set(mug_buyer) == {"kettle", "teapot"}
    assert recs.filter(pl.col("user_id") == 6)["item_id"][0] == "seeds"
    reason = recs.filter(pl.col("user_id") == 6)["reason"][0]
    assert reason in ("bought together with Trowel", "bought together with Gloves")
    assert recs["rank"].to_list() == [1, 2, 1, 2]


def test_seen_items_are_excluded_unless_asked() -> None:
    model = PopularityRecommender().fit(interactions(), ITEMS)
    assert "mug" not in model.recommend([1], 3)["item_id"].to_list()
    assert model.recommend([1], 1, exclude_seen=False)["item_id"].to_list() == ["mug"]


def test_filters_and_diversity() -> None:
    model = PopularityRecommender().fit(interactions(), ITEMS)
    garden = model.recommend([8], 5, filter=pl.col("category") == "garden")
    assert set(garden["item_id"]) <= {"trowel", "gloves", "seeds"}
    allowed = model.recommend([8], 5, filter=["seeds", "apron"])
    assert allowed["item_id"].to_list() == ["seeds", "apron"]  # apron has no buyer: ranked last
    diverse = model.recommend([8], 4, max_per_category=1)
    assert sorted(
        ITEMS.filter(pl.col("item_id").is_in(diverse["item_id"].implode()))["category"]
    ) == ["garden", "kitchen"]


def test_unknown_users_get_popular_items_or_nothing() -> None:
    popular = PopularityRecommender().fit(interactions(), ITEMS).recommend(["stranger"], 2)
    assert popular["item_id"].to_list() == ["mug", "gloves"] or popular.height == 2
    assert popular["reason"][0].startswith("popular: bought by")
    assert ItemKNNRecommender().fit(interactions(), ITEMS).recommend(["stranger"], 2).is_empty()


def test_similar_items() -> None:
    model = ItemKNNRecommender().fit(interactions(), ITEMS)
    similar = model.similar_items(["trowel"], 2)
    assert set(similar["similar_item_id"]) == {"gloves", "seeds"}
    assert similar["rank"].to_list() == [1, 2]
    with pytest.raises(ModelDataError, match="unknown item"):
        model.similar_items(["anvil"], 2)


def test_bad_arguments() -> None:
    model = PopularityRecommender().fit(interactions())
    with pytest.raises(ConfigurationError):
        model.recommend([1], 0)
    with pytest.raises(ConfigurationError, match="category"):
        model.recommend([1], 2, max_per_category=1)
    with pytest.raises(ConfigurationError):
        EASERecommender(l2=0).fit(interactions())
    with pytest.raises(ModelDataError, match="item_id"):
        PopularityRecommender().fit(interactions(), pl.DataFrame({"sku": ["mug"]}))

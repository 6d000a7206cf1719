"""Content-based TF-IDF: needs item text, recommends and explains by the closest bought item,
reaches new products, finds similar items by text, and beats popularity on taste groups."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from crmind.errors import ConfigurationError, ModelDataError
from crmind.recommend.models.content import ContentRecommender
from crmind.recommend.models.popularity import PopularityRecommender
from tests.estimator_contract import check_estimator_contract
from tests.recommend.models.test_implicit_mf import hit_rate, taste_groups

# "yellow-mug" and "t-light" are new: nobody has bought them yet
PRODUCTS = pl.DataFrame(
    {
        "item_id": ["red-mug", "blue-mug", "trowel", "gloves", "yellow-mug", "t-light"],
        "name": [
            "Red ceramic mug",
            "Blue glass mug",
            "Garden trowel",
            "Garden gloves",
            "Yellow ceramic mug",
            "Tlight holder",
        ],
        "description": [None, None, "steel", "leather", None, "glass candle tealight"],
        "category": ["kitchen", "kitchen", "garden", "garden", "kitchen", "home"],
    }
)
PURCHASES = pl.DataFrame(
    {
        "user_id": [1, 1, 2, 2, 3],
        "item_id": ["red-mug", "blue-mug", "trowel", "gloves", "blue-mug"],
        "value": [1.0, 3.0, 2.0, 1.0, 1.0],
    }
)


def test_follows_the_estimator_contract(tmp_path: Path) -> None:
    check_estimator_contract(
        make=lambda: ContentRecommender(char_ngrams=(3, 4)),
        fit=lambda model: model.fit(PURCHASES, PRODUCTS),
        outputs=lambda model: model.recommend([1, 2, 3], 2),
        tmp_path=tmp_path,
    )


def test_needs_an_items_frame_with_text() -> None:
    with pytest.raises(ModelDataError, match="items frame with text"):
        ContentRecommender().fit(PURCHASES)
    with pytest.raises(ModelDataError, match="no terms"):
        ContentRecommender().fit(PURCHASES, PRODUCTS.select("item_id", pl.lit("").alias("name")))
    with pytest.raises(ConfigurationError, match="weighting"):
        ContentRecommender(weighting="tfidf").fit(PURCHASES, PRODUCTS)  # type: ignore[arg-type]


def test_a_new_product_reaches_the_customer_with_the_closest_bought_item_as_reason() -> None:
    model = ContentRecommender().fit(PURCHASES, PRODUCTS)
    recs = model.recommend([1], 1)
    assert recs["item_id"].to_list() == ["yellow-mug"]  # never bought by anyone
    # "ceramic" makes the red mug closer than the blue glass one
    assert recs["reason"].to_list() == ["similar to Red ceramic mug you bought"]
    garden = model.recommend([2], 4)
    assert garden["item_id"][0] not in ("trowel", "gloves")  # seen items are excluded
    again = model.recommend([3], 1, exclude_seen=False)
    assert again.select("item_id", "reason").row(0) == ("blue-mug", "you bought it before")


def test_profile_weighting_follows_the_quantities() -> None:
    log = ContentRecommender(weighting="log").fit(PURCHASES, PRODUCTS)
    binary = ContentRecommender(weighting="binary").fit(PURCHASES, PRODUCTS)
    assert log.user_items_[0, 1] > log.user_items_[0, 0]  # 3 blue mugs, 1 red
    assert binary.user_items_[0, 1] == binary.user_items_[0, 0] == 1.0
    assert log.recommend([1], 1)["score"][0] != binary.recommend([1], 1)["score"][0]


def test_similar_items_by_text_include_new_products() -> None:
    model = ContentRecommender().fit(PURCHASES, PRODUCTS)
    similar = model.similar_items(["yellow-mug"], 2)
    assert similar["similar_item_id"].to_list() == ["red-mug", "blue-mug"]
    words = ContentRecommender().fit(PURCHASES, PRODUCTS).similar_items(["blue-mug"], 5)
    chars = ContentRecommender(char_ngrams=(3, 5)).fit(PURCHASES, PRODUCTS)
    assert "t-light" in chars.similar_items(["blue-mug"], 5)["similar_item_id"].to_list()
    assert chars.vocabulary_size_ > model.vocabulary_size_
    assert words.height >= 2


def test_beats_popularity_on_taste_groups() -> None:
    train, test, items = taste_groups()
    popular = hit_rate(PopularityRecommender().fit(train, items), train, test)
    content = hit_rate(ContentRecommender().fit(train, items), train, test)
    assert content > popular + 0.4

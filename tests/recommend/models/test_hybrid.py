"""The hybrid and its repeat-purchase component: contract, default components, fusion, the
reason of the component that ranked an item highest, cold-start customers (overall and segment
favourites), new products through content, and quality against popularity."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from crmind.errors import ConfigurationError, ModelDataError
from crmind.recommend.models.content import ContentRecommender
from crmind.recommend.models.hybrid import HybridRecommender, RepeatRecommender
from crmind.recommend.models.implicit_mf import ALSRecommender
from crmind.recommend.models.popularity import PopularityRecommender
from tests.estimator_contract import check_estimator_contract
from tests.recommend.models.test_implicit_mf import hit_rate, taste_groups

ITEMS = pl.DataFrame(
    {
        "item_id": ["mug", "kettle", "teapot", "trowel", "gloves", "seeds", "big-mug"],
        "name": [
            "Blue mug",
            "Steel kettle",
            "Blue teapot",
            "Garden trowel",
            "Garden gloves",
            "Flower seeds",
            "Large blue mug",  # new: nobody has bought it yet
        ],
    }
)
# user -> [(item, month of the last purchase in 2024)]; 10-12 make the mug the best-seller
HISTORY = {
    1: [("mug", 1), ("kettle", 3), ("teapot", 2)],
    2: [("mug", 2), ("kettle", 2), ("teapot", 2)],
    3: [("mug", 3), ("kettle", 1), ("teapot", 3)],
    4: [("mug", 3), ("kettle", 3)],
    5: [("trowel", 1), ("gloves", 2), ("seeds", 3)],
    6: [("trowel", 2), ("gloves", 2), ("seeds", 2)],
    7: [("trowel", 3), ("gloves", 1), ("seeds", 1)],
    8: [("trowel", 1), ("gloves", 3)],
    10: [("mug", 1)],
    11: [("mug", 2)],
    12: [("mug", 3)],
}
SEGMENTS = pl.DataFrame(
    {
        "user_id": [1, 2, 3, 4, 5, 6, 7, 8, 9],  # 9 has a segment but no purchase
        "segment": [0, 0, 0, 0, 1, 1, 1, 1, 1],
        "segment_name": ["Tea lovers"] * 4 + ["Gardeners"] * 5,
    }
)


def history() -> pl.DataFrame:
    rows = [
        (user, item, 1.0, datetime(2024, month, 1))
        for user, bought in HISTORY.items()
        for item, month in bought
    ]
    return pl.DataFrame(rows, schema=["user_id", "item_id", "value", "occurred_at"], orient="row")


def small_als() -> ALSRecommender:
    return ALSRecommender(factors=4, regularization=1.0, iterations=20)


def test_follows_the_estimator_contract(tmp_path: Path) -> None:
    check_estimator_contract(
        make=HybridRecommender,
        fit=lambda model: model.fit(history(), ITEMS, segments=SEGMENTS),
        outputs=lambda model: model.recommend([1, 4, 8, 9, 99], 3, exclude_seen=False),
        tmp_path=tmp_path,
    )


def test_repeat_component_follows_the_estimator_contract(tmp_path: Path) -> None:
    check_estimator_contract(
        make=RepeatRecommender,
        fit=lambda model: model.fit(history(), ITEMS),
        outputs=lambda model: model.recommend([1, 8], 3, exclude_seen=False),
        tmp_path=tmp_path,
    )


def test_default_components_depend_on_the_items_text() -> None:
    with_text = HybridRecommender().fit(history(), ITEMS)
    assert [name for name, _, _ in with_text.components_] == [
        "repeat",
        "als",
        "content",
        "popularity",
    ]
    without = HybridRecommender().fit(history())
    assert [name for name, _, _ in without.components_] == ["repeat", "als", "popularity"]
    assert HybridRecommender().components is None  # the hyperparameter is left alone


def test_repeat_ranks_own_products_by_recency_then_popularity() -> None:
    model = RepeatRecommender().fit(history(), ITEMS)
    recs = model.recommend([1, 2], 3, exclude_seen=False)
    first = recs.filter(pl.col("user_id") == 1)
    assert first["item_id"].to_list() == ["kettle", "teapot", "mug"]
    assert first["reason"].to_list() == [
        "you bought it before, last on 2024-03-01",
        "you bought it before, last on 2024-02-01",
        "you bought it before, last on 2024-01-01",
    ]
    # user 2 bought all three on one day: the mug, bought by the most customers, comes first
    assert recs.filter(pl.col("user_id") == 2)["item_id"][0] == "mug"
    assert model.recommend([1], 3).is_empty()  # nothing but their own products
    assert model.recommend([4], 5, exclude_seen=False).height == 2
    timeless = RepeatRecommender().fit(history().drop("occurred_at"), ITEMS)
    assert set(timeless.recommend([1], 3, exclude_seen=False)["reason"]) == {"you bought it before"}


def test_each_recommendation_has_the_reason_of_the_component_that_ranked_it_highest() -> None:
    model = HybridRecommender(
        components=[
            ("repeat", RepeatRecommender(), 1.0),
            ("popularity", PopularityRecommender(), 1.0),
        ]
    ).fit(history(), ITEMS)
    recs = model.recommend([8], 3, exclude_seen=False)
    assert recs["item_id"].to_list()[:2] == ["gloves", "trowel"]
    assert recs["reason"].to_list() == [
        "you bought it before, last on 2024-03-01",
        "you bought it before, last on 2024-01-01",
        "popular: bought by 7 customers",
    ]


def test_unknown_customers_get_the_best_sellers() -> None:
    model = HybridRecommender().fit(history(), ITEMS)
    recs = model.recommend(["stranger"], 2)
    assert recs["item_id"].to_list() == ["mug", "kettle"]
    assert set(recs["reason"]) == {"popular with customers"}


def test_segments_give_their_favourites_and_a_reason() -> None:
    model = HybridRecommender(
        components=[("popularity", PopularityRecommender(), 0.1)], segment_weight=1.0
    ).fit(history(), ITEMS, segments=SEGMENTS)
    newcomer = model.recommend([9], 3)  # a gardener who has bought nothing yet
    assert set(newcomer["item_id"]) == {"trowel", "gloves", "seeds"}
    assert set(newcomer["reason"]) == {"popular in your segment Gardeners"}
    gardener = model.recommend([8], 1)
    assert gardener.select("item_id", "reason").row(0) == (
        "seeds",
        "popular in your segment Gardeners",
    )
    assert model.recommend([99], 1)["item_id"].to_list() == ["mug"]
    with pytest.raises(ModelDataError, match="segment"):
        model.fit(history(), ITEMS, segments=SEGMENTS.drop("segment"))


def test_a_new_product_reaches_customers_through_content() -> None:
    model = HybridRecommender(
        components=[("als", small_als(), 1.0), ("content", ContentRecommender(), 1.0)]
    ).fit(history(), ITEMS)
    recs = model.recommend([4], 2)
    assert "big-mug" in recs["item_id"].to_list()
    reason = recs.filter(pl.col("item_id") == "big-mug")["reason"][0]
    assert reason == "similar to Blue mug you bought"
    similar = model.similar_items(["big-mug"], 1)  # alike in words, though nobody bought it
    assert similar["similar_item_id"].to_list() == ["mug"]


def test_components_rank_only_what_may_be_recommended() -> None:
    model = HybridRecommender(
        components=[("popularity", PopularityRecommender(), 1.0)], depth=1
    ).fit(history(), ITEMS)
    # the best-seller (mug) is user 4's own: the list's one place goes to the best unseen item
    unseen = model.recommend([4], 1)
    assert unseen["item_id"][0] in ("trowel", "gloves")
    assert unseen["reason"][0] == "popular: bought by 4 customers"
    assert unseen["score"][0] == pytest.approx(1 / 11, rel=1e-3)
    garden = model.recommend([4], 1, filter=["seeds", "gloves"])
    assert garden["score"][0] == pytest.approx(1 / 11, rel=1e-3)
    assert model.recommend([4], 1, exclude_seen=False)["item_id"].to_list() == ["mug"]


@pytest.mark.parametrize("fusion", ["rrf", "scores"])
def test_both_fusions_rank_the_basket_completion_first(fusion: str) -> None:
    model = HybridRecommender(fusion=fusion).fit(history(), ITEMS)  # type: ignore[arg-type]
    assert model.recommend([4, 8], 1)["item_id"].to_list() == ["teapot", "seeds"]


def test_bad_settings_are_refused() -> None:
    popular = PopularityRecommender()
    cases: list[tuple[HybridRecommender, str]] = [
        (HybridRecommender(components=[]), "at least one"),
        (HybridRecommender(components=[("a", popular, 1.0), ("a", popular, 1.0)]), "unique"),
        (HybridRecommender(components=[("a", popular, -1.0)]), "negative"),
        (HybridRecommender(components=[("h", HybridRecommender(), 1.0)]), "non-hybrid"),
        (HybridRecommender(fusion="vote"), "fusion"),  # type: ignore[arg-type]
        (HybridRecommender(depth=0), "depth"),
    ]
    for model, message in cases:
        with pytest.raises(ConfigurationError, match=message):
            model.fit(history(), ITEMS)


def test_beats_popularity_on_taste_groups() -> None:
    train, test, items = taste_groups()
    popular = hit_rate(PopularityRecommender().fit(train, items), train, test)
    hybrid = hit_rate(HybridRecommender().fit(train, items), train, test)
    assert hybrid > popular + 0.5

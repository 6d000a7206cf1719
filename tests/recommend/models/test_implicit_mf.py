"""ALS and BPR (the ``implicit`` library): contract, seen items, reasons, unknown users, factors
kept as numpy, and quality on synthetic taste groups against popularity.

:func:`taste_groups` (synthetic purchases with a known structure) and :func:`hit_rate` are shared
by the other implicit-feedback model tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from crmind.errors import ConfigurationError
from crmind.recommend.base import Recommender
from crmind.recommend.metrics import ranking_metrics
from crmind.recommend.models.implicit_mf import ALSRecommender, BPRRecommender
from crmind.recommend.models.popularity import PopularityRecommender
from tests.estimator_contract import check_estimator_contract


def taste_groups(
    users: int = 240, groups: int = 6, per_group: int = 10, seed: int = 0
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(train, test, items): each user belongs to a taste group and buys about half of the
    group's ``per_group`` products, rarely anything else, and often one of five best-sellers
    that belong to no group (so popularity alone is a weak guide). One of each user's group
    products is held out as the test. Products are named after their group ("Garden 3")."""
    rng = np.random.default_rng(seed)
    themes = ["Garden", "Kitchen", "Candle", "Party", "Travel", "Office", "Baby", "Toy"][:groups]
    names = [f"{theme} {j}" for theme in themes for j in range(per_group)]
    names += [f"Bestseller {j}" for j in range(5)]
    n_group_items = groups * per_group
    rows: list[tuple[int, int, float]] = []
    held_out: list[tuple[int, int, float]] = []
    for user in range(users):
        group = user % groups
        own = np.arange(group * per_group, (group + 1) * per_group)
        chosen = own[rng.random(per_group) < 0.5]
        if len(chosen) < 2:
            chosen = rng.choice(own, 2, replace=False)
        held = int(rng.choice(chosen))
        held_out.append((user, held, 1.0))
        others = np.flatnonzero(rng.random(n_group_items) < 0.01)
        best = n_group_items + np.flatnonzero(rng.random(5) < 0.6)
        for item in [*chosen[chosen != held], *others, *best]:
            rows.append((user, int(item), float(rng.integers(1, 6))))
    schema = {"user_id": pl.Int64, "item_id": pl.Int64, "value": pl.Float64}
    train = pl.DataFrame(rows, schema=schema, orient="row").unique(["user_id", "item_id"])
    test = pl.DataFrame(held_out, schema=schema, orient="row")
    test = test.join(train, on=["user_id", "item_id"], how="anti")
    items = pl.DataFrame({"item_id": np.arange(len(names), dtype=np.int64), "name": names})
    return train, test, items


def hit_rate(model: Recommender, train: pl.DataFrame, test: pl.DataFrame, k: int = 5) -> float:
    """hit_rate@k of ``model`` (already fitted on ``train``) on the held-out ``test``."""
    recs = model.recommend(test.get_column("user_id").unique(), k)
    return float(ranking_metrics(recs, test, k)[f"hit_rate@{k}"])


# two shops' worth of baskets: kitchen people and garden people
BASKETS = {
    1: ["mug", "kettle", "teapot"],
    2: ["mug", "kettle", "teapot"],
    3: ["mug", "kettle", "teapot"],
    4: ["mug", "kettle"],
    5: ["trowel", "gloves", "seeds"],
    6: ["trowel", "gloves", "seeds"],
    7: ["trowel", "gloves", "seeds"],
    8: ["trowel", "gloves"],
}
ITEMS = pl.DataFrame(
    {
        "item_id": ["mug", "kettle", "teapot", "trowel", "gloves", "seeds"],
        "name": ["Mug", "Kettle", "Teapot", "Trowel", "Gloves", "Seeds"],
    }
)


def baskets() -> pl.DataFrame:
    rows = [(user, item, 2.0) for user, items in BASKETS.items() for item in items]
    return pl.DataFrame(rows, schema=["user_id", "item_id", "value"], orient="row")


def small_als() -> ALSRecommender:
    return ALSRecommender(factors=4, regularization=1.0, iterations=20)


def small_bpr() -> BPRRecommender:
    return BPRRecommender(factors=4, iterations=200, learning_rate=0.1)


MAKERS = [small_als, small_bpr]


@pytest.mark.parametrize("make", MAKERS)
def test_follows_the_estimator_contract(make: type, tmp_path: Path) -> None:
    check_estimator_contract(
        make=make,
        fit=lambda model: model.fit(baskets(), ITEMS),
        outputs=lambda model: model.recommend([4, 8], 2),
        tmp_path=tmp_path,
    )


@pytest.mark.parametrize("make", MAKERS)
def test_recommends_the_missing_item_of_the_basket_with_a_reason(make: type) -> None:
    model = make().fit(baskets(), ITEMS)
    recs = model.recommend([4, 8], 1)
    assert recs["item_id"].to_list() == ["teapot", "seeds"]
    kitchen, garden = recs["reason"].to_list()
    assert kitchen in (
        "customers who bought Mug bought it too",
        "customers who bought Kettle bought it too",
    )
    assert garden in (
        "customers who bought Trowel bought it too",
        "customers who bought Gloves bought it too",
    )


@pytest.mark.parametrize("make", MAKERS)
def test_seen_items_are_excluded_unless_asked(make: type) -> None:
    model = make().fit(baskets(), ITEMS)
    seen = set(BASKETS[4])
    assert not seen & set(model.recommend([4], 4)["item_id"].to_list())
    again = model.recommend([4], 6, exclude_seen=False)
    assert seen <= set(again["item_id"].to_list())
    bought = again.filter(pl.col("item_id").is_in(list(seen)))
    assert set(bought["reason"]) == {"you bought it before"}


def test_unknown_users_get_nothing_and_factors_are_numpy() -> None:
    model = small_als().fit(baskets(), ITEMS)
    assert model.recommend([99], 3).is_empty()
    assert isinstance(model.user_factors_, np.ndarray)
    assert model.user_factors_.dtype == np.float32
    assert model.item_factors_.shape == (6, 4)
    bpr = small_bpr().fit(baskets(), ITEMS)
    assert bpr.item_factors_.shape == (6, 5)  # the item bias is the last column
    similar = bpr.similar_items(["trowel"], 2)
    assert set(similar["similar_item_id"]) == {"gloves", "seeds"}


def test_confidence_weighting_changes_the_fit() -> None:
    heavy = baskets().with_columns(
        pl.when(pl.col("item_id") == "mug").then(500.0).otherwise(pl.col("value")).alias("value")
    )
    log = small_als().fit(heavy).item_factors_
    binary = ALSRecommender(factors=4, regularization=1.0, iterations=20, confidence="binary")
    assert not np.allclose(log, binary.fit(heavy).item_factors_)
    assert small_als().fit(heavy).recommend([4], 1)["item_id"].to_list() == ["teapot"]


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="confidence"):
        ALSRecommender(confidence="square").fit(baskets())  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="n_threads"):
        ALSRecommender(n_threads=0).fit(baskets())
    with pytest.raises(ConfigurationError, match="learning_rate"):
        BPRRecommender(learning_rate=0).fit(baskets())


def test_learned_models_beat_popularity_on_taste_groups() -> None:
    train, test, items = taste_groups()
    popular = hit_rate(PopularityRecommender().fit(train, items), train, test)
    als = hit_rate(ALSRecommender(factors=16).fit(train, items), train, test)
    bpr = hit_rate(BPRRecommender(factors=16).fit(train, items), train, test)
    assert popular < 0.3
    assert als > popular + 0.3
    assert bpr > popular + 0.2

"""Recommendations on the store: graded against popularity, stored with reasons, no returns."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from sqlalchemy import Engine, func, select

from crmind.errors import ConfigurationError, ModelDataError
from crmind.ingest.fields import ImportKind
from crmind.services.customers import customer_view
from crmind.services.importing import ImportRequest, import_file
from crmind.services.recommendation import (
    RecommendOptions,
    product_items,
    stored_recommendations,
    train_and_recommend,
)
from crmind.store.schema import ModelRun, Recommendation

CATEGORIES = {"kitchen": 10, "garden": 10, "toys": 10}
START = datetime(2024, 1, 1)


def orders(customers: int = 150, seed: int = 3) -> pl.DataFrame:
    """Each customer sticks to one category and buys 2-3 of its products every few weeks for
    120 days; a tenth of the products sell to everyone a little (the popular ones)."""
    rng = np.random.default_rng(seed)
    names = [f"{cat}-{i}" for cat, n in CATEGORIES.items() for i in range(n)]
    rows = []
    for customer in range(customers):
        category = list(CATEGORIES)[customer % 3]
        liked = [f"{category}-{i}" for i in rng.choice(10, 4, replace=False)]
        day = int(rng.integers(0, 20))
        order = 0
        while day < 120:
            basket = rng.choice(liked, int(rng.integers(2, 4)), replace=False).tolist()
            extra = names[int(rng.integers(0, len(names)))]
            if rng.random() < 0.3 and extra not in basket:
                basket.append(extra)
            for sku in basket:
                rows.append(
                    {
                        "order_id": f"O{customer}-{order}",
                        "customer_id": f"C{customer}",
                        "date": (START + timedelta(days=day)).strftime("%Y-%m-%d"),
                        "sku": sku,
                        "description": sku.replace("-", " item "),
                        "quantity": 1,
                        "price": 5.0,
                    }
                )
            order += 1
            day += int(rng.integers(10, 30))
    return pl.DataFrame(rows)


@pytest.fixture
def store(engine: Engine, tmp_path: Path) -> Engine:
    frame = orders()
    returned = (
        frame.filter(pl.col("customer_id") == "C0")
        .head(1)
        .with_columns(
            pl.lit("R-C0").alias("order_id"), pl.lit(-1, dtype=pl.Int64).alias("quantity")
        )
    )
    path = tmp_path / "orders.csv"
    pl.concat([frame, returned]).write_csv(path)
    summary = import_file(engine, ImportRequest(kind=ImportKind.ORDERS, path=path, source="shop"))
    assert summary.rows_rejected == 0
    return engine


def test_recommendations_beat_popularity_and_are_stored_with_reasons(
    store: Engine, tmp_path: Path
) -> None:
    result = train_and_recommend(
        store, RecommendOptions(model="item-knn", k=3, test_days=30), tmp_path
    )
    hit = "hit_rate@3"
    models = result.metrics["models"]
    assert result.passed, result.message
    assert models["item-knn"][hit] > models["popularity"][hit]
    assert result.model == "item-knn"
    assert result.customers == 150
    assert result.stored == 150 * 3
    with store.connect() as conn:
        count = conn.execute(
            select(func.count(Recommendation.id)).where(
                Recommendation.model_run_id == result.run_id
            )
        ).scalar_one()
        run = conn.execute(select(ModelRun).where(ModelRun.id == result.run_id)).one()
    assert count == 450
    assert run.status == "completed"
    assert run.metrics["stored_model"] == "item-knn"
    assert Path(result.model_path).exists()


def test_a_customer_sees_products_of_their_taste_never_one_they_returned(
    store: Engine, tmp_path: Path
) -> None:
    result = train_and_recommend(store, RecommendOptions(model="item-knn", k=3), tmp_path)
    assert result.passed, result.message
    first = customer_view(store, 1)  # C0, a kitchen customer who returned one product
    products = [item["product"] for item in first.recommendations]
    assert len(products) == 3
    assert all(name.startswith("kitchen") for name in products)
    assert all(item["reason"].startswith("bought together with") for item in first.recommendations)
    lists = stored_recommendations(store, 1)
    assert lists["rank"].to_list() == [1, 2, 3]
    returned = orders().filter(pl.col("customer_id") == "C0")["description"][0]
    assert returned not in lists["product"].to_list()
    with_returned = train_and_recommend(
        store, RecommendOptions(model="popularity", k=30, exclude_seen=False), tmp_path
    )
    assert with_returned.stored < 150 * 30  # C0's returned product is left out of C0's list
    assert returned not in stored_recommendations(store, 1)["product"].to_list()


def test_a_model_that_does_not_beat_popularity_is_replaced_by_it(
    store: Engine, tmp_path: Path
) -> None:
    result = train_and_recommend(store, RecommendOptions(model="popularity-recent", k=3), tmp_path)
    if not result.passed:
        assert result.model == "popularity"
        assert "popularity's lists were stored instead" in result.message


def test_bad_requests_are_clear(store: Engine, tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="unknown recommender"):
        train_and_recommend(store, RecommendOptions(model="oracle"), tmp_path)
    with pytest.raises(ModelDataError, match="both are needed"):
        train_and_recommend(store, RecommendOptions(test_days=500), tmp_path)
    assert stored_recommendations(store, 999).is_empty()


def test_unavailable_products_are_recommended_to_no_one_and_categories_are_capped(
    store: Engine, tmp_path: Path
) -> None:
    names = [f"{cat}-{i}" for cat, n in CATEGORIES.items() for i in range(n)]
    products = pl.DataFrame(
        {
            "sku": names,
            "name": [name.replace("-", " item ") for name in names],
            "category": [name.split("-")[0] for name in names],
            "in_stock": ["no" if name == "kitchen-1" else "yes" for name in names],
            "blocked": ["true" if name == "toys-2" else "" for name in names],
        }
    )
    path = tmp_path / "products.csv"
    products.write_csv(path)
    import_file(store, ImportRequest(kind=ImportKind.PRODUCTS, path=path, source="shop"))
    result = train_and_recommend(
        store,
        RecommendOptions(model="popularity", k=6, exclude_seen=False, max_per_category=2),
        tmp_path,
    )
    with store.connect() as conn:
        rows = conn.execute(
            select(Recommendation.customer_id, Recommendation.product_id).where(
                Recommendation.model_run_id == result.run_id
            )
        ).all()
    lists = pl.DataFrame(rows, schema=["customer_id", "product_id"], orient="row")
    items = product_items(store)
    shown = lists.join(items, left_on="product_id", right_on="item_id")
    assert not shown["name"].is_in(["kitchen item 1", "toys item 2"]).any()
    per_category = shown.group_by("customer_id", "category").len()["len"]
    assert per_category.max() == 2

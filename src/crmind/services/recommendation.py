"""Use case: train a recommender on the store's orders, grade it, store every customer's list.

Interactions are the customers' net purchases per product (returns netted). The model is first
graded on held-out time: trained on everything before the last ``test_days`` days, it recommends
``k`` products to every customer who bought in that window, and its hit rate and NDCG are compared
with the popularity baseline on the same split (with ``exclude_seen``, products a customer had
bought before the window do not count as hits). A model that does not beat popularity on hit rate
is recorded with its metrics, and popularity's lists are stored instead, with a clear message.
Then the chosen model is refitted on all interactions and every customer's top ``k`` are stored in
``recommendations`` under a model run, each with its reason. Business rules: products a customer
returned are never recommended to them; products whose ``attributes`` say they are unavailable
(``in_stock`` or ``active`` false / no / 0, or ``blocked`` true / yes / 1: extra columns of a
products import land there) are recommended to no one; with
``max_per_category`` no list holds more than that many products of one category. No list is
stored for a customer who withdrew profiling consent or was erased (``profiling_excluded``).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Engine, insert

from crmind import columns as c
from crmind.engines import ENGINES
from crmind.errors import ConfigurationError, ModelDataError
from crmind.recommend.base import RANK, REASON, SCORE, Recommender
from crmind.recommend.data import ITEM, USER, interactions_from_lines
from crmind.recommend.evaluate import evaluate_ranking
from crmind.recommend.registry import BASELINE, make_recommender
from crmind.services import customer_queries
from crmind.services.analysis_store import finish_model_run, latest_run, start_model_run
from crmind.services.consents import profiling_excluded, without_excluded
from crmind.store.frames import order_lines, read_sql
from crmind.store.schema import Recommendation, table_of

logger = logging.getLogger(__name__)

RUN_KIND = "recommendations"
_WRITE_CHUNK = 20_000


@dataclass(frozen=True)
class RecommendOptions:
    """Which model, how many products per customer, and how it is graded."""

    model: str = "hybrid"
    k: int = 10
    test_days: int = 30
    exclude_seen: bool = True
    max_per_category: int | None = None
    random_state: int = 0
    engine: str = "local"  # spark: ALS factors learned by MLlib (model "als" only)
    spark_master: str = "local[2]"


@dataclass(frozen=True)
class RecommendResult:
    run_id: int
    model: str  # the model whose lists were stored
    passed: bool
    message: str
    metrics: dict[str, Any]
    customers: int
    stored: int
    sample: pl.DataFrame  # customer_id, product, rank, reason for a few customers
    model_path: str


def train_and_recommend(
    engine: Engine, options: RecommendOptions, models_dir: Path
) -> RecommendResult:
    """Grade, fit and store; see the module docstring."""
    _recommender(options.model, options)  # an unknown name fails before any work
    lines = order_lines(engine)
    interactions = interactions_from_lines(lines)
    if interactions.is_empty():
        raise ModelDataError("the store has no purchases by known customers to learn from")
    items = product_items(engine)
    run_id = start_model_run(engine, RUN_KIND, _params(options))
    try:
        metrics = grade(lines, items, options)
        chosen_name = options.model
        passed = _beats(metrics, options)
        message = _verdict(metrics, options, passed)
        if not passed:
            chosen_name = BASELINE
        model = _recommender(chosen_name, options).fit(interactions, items)
        model_path = model.save(models_dir / f"recommender-run-{run_id}.pkl")
        customers = interactions.get_column(USER).unique().sort()
        lists = _without_returned(
            model.recommend(
                customers,
                options.k + 5,
                exclude_seen=options.exclude_seen,
                filter=pl.col("available"),
                max_per_category=options.max_per_category,
            ),
            lines,
            options.k,
        )
        with engine.begin() as conn:
            lists = without_excluded(lists, profiling_excluded(conn), USER)
            rows = lists.select(
                pl.lit(run_id).alias("model_run_id"),
                pl.col(USER).alias("customer_id"),
                pl.col(ITEM).alias("product_id"),
                RANK,
                SCORE,
                REASON,
            ).to_dicts()
            for start in range(0, len(rows), _WRITE_CHUNK):
                conn.execute(insert(table_of(Recommendation)), rows[start : start + _WRITE_CHUNK])
            finish_model_run(
                conn,
                run_id,
                "completed",
                metrics=json.loads(
                    json.dumps(
                        {**metrics, "stored_model": chosen_name, "model_path": str(model_path)},
                        default=str,
                    )
                ),
                data_window=(lines[c.OCCURRED_AT].min(), lines[c.OCCURRED_AT].max()),
            )
    except BaseException as exc:
        with engine.begin() as conn:
            finish_model_run(conn, run_id, "failed", error=repr(exc))
        raise
    sample_users = customers.head(3)
    sample = lists.filter(pl.col(USER).is_in(sample_users.implode())).join(
        items.select(ITEM, pl.col("name").alias("product")), on=ITEM, how="left"
    )
    return RecommendResult(
        run_id=run_id,
        model=chosen_name,
        passed=passed,
        message=message,
        metrics=metrics,
        customers=customers.len(),
        stored=lists.height,
        sample=sample.select(pl.col(USER).alias("customer_id"), "product", RANK, REASON),
        model_path=str(model_path),
    )


def grade(lines: pl.DataFrame, items: pl.DataFrame, options: RecommendOptions) -> dict[str, Any]:
    """The model and popularity on held-out time (the last ``test_days``); see the module
    docstring."""
    last = lines.get_column(c.OCCURRED_AT).max()
    if not isinstance(last, datetime):
        raise ModelDataError("the store has no orders")
    cutoff = last - timedelta(days=options.test_days)
    train = interactions_from_lines(lines.filter(pl.col(c.OCCURRED_AT) <= cutoff))
    test = interactions_from_lines(lines.filter(pl.col(c.OCCURRED_AT) > cutoff))
    test = test.join(train.select(USER).unique(), on=USER, how="semi")
    if options.exclude_seen:
        test = test.join(train.select(USER, ITEM), on=[USER, ITEM], how="anti")
    if train.is_empty() or test.is_empty():
        raise ModelDataError(
            f"the last {options.test_days} days leave {train.height} training and "
            f"{test.height} test purchases by returning customers; both are needed to grade"
        )
    models = {options.model: _recommender(options.model, options)}
    if options.model != BASELINE:
        models[BASELINE] = make_recommender(BASELINE, options.random_state)
    results = evaluate_ranking(
        models, train, test, k=options.k, exclude_seen=options.exclude_seen, items=items
    )
    return {
        "cutoff": cutoff,
        "test_days": options.test_days,
        "test_customers": test.get_column(USER).n_unique(),
        "k": options.k,
        "models": results,
    }


def _recommender(name: str, options: RecommendOptions) -> Recommender:
    """A fresh model called ``name``: on the spark engine, ALS is trained by MLlib; the
    popularity baseline it is graded against stays local."""
    if options.engine == "local" or name == BASELINE:
        return make_recommender(name, options.random_state)
    if options.engine != "spark":
        raise ConfigurationError(
            f"engine {options.engine!r} is not known; expected one of {', '.join(ENGINES)}"
        )
    if name != "als":
        raise ConfigurationError(
            f"on the spark engine the recommender is als (MLlib), not {name!r}"
        )
    from crmind.engines.spark.als import SparkALSRecommender

    return SparkALSRecommender(master=options.spark_master, random_state=options.random_state)


def product_items(engine: Engine) -> pl.DataFrame:
    """Products as an items frame: ``item_id``, ``name`` (name, else description, else SKU),
    ``description``, ``category`` and ``available`` (see the module docstring)."""
    frame = read_sql(
        engine, "SELECT id, sku, name, description, category, attributes FROM products"
    )
    return frame.select(
        pl.col("id").alias(ITEM),
        pl.coalesce("name", "description", "sku").alias("name"),
        "description",
        "category",
        pl.Series("available", [_available(value) for value in frame["attributes"].to_list()]),
    )


def _available(attributes: object) -> bool:
    """False when a product's attributes mark it out of stock, inactive or blocked."""
    if isinstance(attributes, str):
        try:
            attributes = json.loads(attributes)
        except json.JSONDecodeError:
            return True
    if not isinstance(attributes, dict):
        return True
    return not (
        _says(attributes.get("in_stock"), False)
        or _says(attributes.get("active"), False)
        or _says(attributes.get("blocked"), True)
    )


def _says(value: object, flag: bool) -> bool:
    """Whether an attribute value (a JSON boolean, or imported text such as "no") is ``flag``."""
    if isinstance(value, bool):
        return value is flag
    if isinstance(value, str | int):
        words = {"true", "yes", "y", "1"} if flag else {"false", "no", "n", "0"}
        return str(value).strip().lower() in words
    return False


def stored_recommendations(engine: Engine, customer_id: int) -> pl.DataFrame:
    """The customer's list from the newest completed recommendation run (empty if none)."""
    run = latest_run(engine, RUN_KIND)
    columns = {"rank": pl.Int64, "product_id": pl.Int64, "product": pl.String, "score": pl.Float64}
    if run is None:
        return pl.DataFrame(schema={**columns, "reason": pl.String})
    with engine.connect() as conn:
        rows = conn.execute(
            customer_queries.RECOMMENDATIONS, {"run_id": run.id, "customer_id": customer_id}
        ).all()
    return pl.DataFrame(
        [(r[0], r[1], r[2] or r[3], r[4], r[5]) for r in rows],
        schema={**columns, "reason": pl.String},
        orient="row",
    )


def _without_returned(lists: pl.DataFrame, lines: pl.DataFrame, k: int) -> pl.DataFrame:
    returned = (
        lines.filter(pl.col(c.IS_RETURN) & pl.col(c.CUSTOMER_ID).is_not_null())
        .select(pl.col(c.CUSTOMER_ID).alias(USER), pl.col(c.PRODUCT_ID).alias(ITEM))
        .unique()
    )
    kept = lists.join(returned, on=[USER, ITEM], how="anti").sort(USER, RANK)
    return kept.with_columns(pl.int_range(1, pl.len() + 1).over(USER).alias(RANK)).filter(
        pl.col(RANK) <= k
    )


def _beats(metrics: dict[str, Any], options: RecommendOptions) -> bool:
    if options.model == BASELINE:
        return True
    hit = f"hit_rate@{options.k}"
    models = metrics["models"]
    return bool(models[options.model][hit] > models[BASELINE][hit])


def _verdict(metrics: dict[str, Any], options: RecommendOptions, passed: bool) -> str:
    hit, ndcg = f"hit_rate@{options.k}", f"ndcg@{options.k}"
    mine = metrics["models"][options.model]
    base = metrics["models"][BASELINE]
    facts = (
        f"{hit} {mine[hit]:.3f} vs popularity {base[hit]:.3f}; "
        f"{ndcg} {mine[ndcg]:.3f} vs {base[ndcg]:.3f}"
    )
    if options.model == BASELINE:
        return f"popularity stored ({facts})"
    if passed:
        return f"{options.model} beats popularity on the last {options.test_days} days: {facts}"
    return (
        f"{options.model} does not beat popularity on the last {options.test_days} days "
        f"({facts}); popularity's lists were stored instead"
    )


def _params(options: RecommendOptions) -> dict[str, Any]:
    return {
        "model": options.model,
        "k": options.k,
        "test_days": options.test_days,
        "exclude_seen": options.exclude_seen,
        "max_per_category": options.max_per_category,
        "random_state": options.random_state,
        "engine": options.engine,
    }

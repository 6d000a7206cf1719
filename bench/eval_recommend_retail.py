"""Evaluation: top-10 ranking quality of every crmind recommender beside the popularity baseline
and the ``implicit`` library's ALS at its default settings, in the same run on the same split.

Online Retail (the bundled UCI file, imported into a temporary SQLite store with
``import_demo_data``; order lines from ``order_lines``): a time split — the last 30 days before
the newest order line are the test period. Training interactions are
``interactions_from_lines`` of the lines up to the cut-off, test interactions those of the lines
after it, restricted to customers with training interactions (the same as ``crmind recommend``
grades a model). Two protocols:

- **repeat purchases count** (``exclude_seen=False``): every product a customer bought in the
  test period is relevant, including ones bought before — retailers' customers rebuy — and the
  lists may hold products the customer already had;
- **new products only** (``exclude_seen=True``): the test minus the (customer, product) pairs of
  the training period, and lists without products bought before (customers whose test purchases
  were all rebuys drop out). ``repeat`` only re-offers past purchases and so has nothing to list
  here (all zeros by design).

MovieLens 100K (../shared/data/movielens_100k/u.data and u.item, research-only: read in place at
run time, nothing copied; only metrics are written): ``random_split(test_fraction=0.2, seed=0)``
of the 100,000 ratings (value = the rating, ``occurred_at`` = its time), every rated film of the
test part relevant, seen films excluded (the usual protocol). ``content`` and ``hybrid`` get the
films' titles and genres (u.item) as item text.

Models: every entry of ``crmind.recommend.registry.MODELS`` except the rating predictors
(``rating-*``), each made by ``make_recommender(name, 0)`` and measured with
``evaluate_ranking`` (k = 10; coverage over the training catalogue, novelty from training
popularity; fit and recommend-for-all-test-users seconds). ``implicit-als`` is the peer:
``implicit``'s ``AlternatingLeastSquares()`` with its defaults on the raw values. Items frames
(``product_items`` for Online Retail) go to ``content`` and ``hybrid`` only.

Goal (Online Retail, repeat purchases count): the best model's hit_rate@10 at least 80 % above
popularity's.

Results: bench/results/recommend_quality.json and recommend_quality.md.

Usage: OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/eval_recommend_retail.py [--no-movielens]
       [--models popularity,als,...]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any, Final

import polars as pl
from movielens import MOVIELENS, read_movielens

from crmind import columns as c
from crmind.recommend.data import ITEM, USER, interactions_from_lines
from crmind.recommend.evaluate import evaluate_ranking
from crmind.recommend.registry import BASELINE, MODELS, make_recommender
from crmind.recommend.split import random_split
from crmind.services.demo import import_demo_data
from crmind.services.recommendation import product_items
from crmind.store.db import make_engine
from crmind.store.frames import order_lines, read_sql
from crmind.store.migrate import upgrade

HERE: Final = Path(__file__).resolve().parent
RESULTS: Final = HERE / "results"
K: Final = 10
SEED: Final = 0
TEST_DAYS: Final = 30
ML_TEST_FRACTION: Final = 0.2
GOAL_LIFT: Final = 0.80
PEER: Final = "implicit-als"
WITH_ITEMS: Final = ("content", "hybrid")
RANKING_MODELS: Final = [name for name in MODELS if not name.startswith("rating-")]
METRICS: Final = (
    f"hit_rate@{K}",
    f"ndcg@{K}",
    f"precision@{K}",
    f"recall@{K}",
    f"map@{K}",
    "coverage",
    "novelty",
)

Result = dict[str, Any]


# -- data ------------------------------------------------------------------------------------


def retail_lines() -> tuple[pl.DataFrame, pl.DataFrame]:
    """Order lines and products of the bundled Online Retail file, via a temporary store."""
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'retail.db'}")
        upgrade(engine)
        import_demo_data(engine, reports_dir=Path(tmp))
        lines = order_lines(engine)
        items = product_items(engine)
        skus = read_sql(engine, "SELECT id, sku FROM products")
        engine.dispose()
    return canonical_ids(lines, items, skus)


def canonical_ids(
    lines: pl.DataFrame, items: pl.DataFrame, skus: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Lines and items with ids that do not depend on the import: the importer numbers products
    and customers in an order that varies from run to run, and the models that start from
    random factors (ALS, BPR, the hybrid) or break ties by position then give slightly
    different results on every fresh store. Products are renumbered by SKU, customers by their
    first invoice number (1, 2, ... in that order)."""
    products = skus.sort("sku", "id").select(
        pl.col("id").alias("old"), pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("new")
    )
    customers = (
        lines.drop_nulls(c.CUSTOMER_ID)
        .group_by(c.CUSTOMER_ID)
        .agg(pl.col(c.ORDER_NUMBER).min().alias("first"))
        .sort("first", c.CUSTOMER_ID)
        .select(
            pl.col(c.CUSTOMER_ID).alias("old"),
            pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("new"),
        )
    )
    renumbered = lines.with_columns(
        pl.col(c.PRODUCT_ID).replace_strict(products["old"], products["new"], default=None),
        pl.col(c.CUSTOMER_ID).replace_strict(customers["old"], customers["new"], default=None),
    )
    catalogue = items.with_columns(
        pl.col(ITEM).replace_strict(products["old"], products["new"], default=None)
    ).sort(ITEM)
    return renumbered, catalogue


def time_split_lines(
    lines: pl.DataFrame, test_days: int
) -> tuple[pl.DataFrame, pl.DataFrame, datetime]:
    """Interactions of the lines up to / after ``test_days`` before the newest line; test
    restricted to customers with training interactions."""
    last = lines.get_column(c.OCCURRED_AT).max()
    assert isinstance(last, datetime)
    cutoff = last - timedelta(days=test_days)
    train = interactions_from_lines(lines.filter(pl.col(c.OCCURRED_AT) <= cutoff))
    test = interactions_from_lines(lines.filter(pl.col(c.OCCURRED_AT) > cutoff))
    test = test.join(train.select(USER).unique(), on=USER, how="semi")
    return train, test, cutoff


# -- evaluation ------------------------------------------------------------------------------


def evaluate_all(
    names: list[str],
    train: pl.DataFrame,
    test: pl.DataFrame,
    items: pl.DataFrame,
    exclude_seen: bool,
    label: str,
) -> dict[str, Result]:
    """Every model on one split, in this process, one after the other."""
    results: dict[str, Result] = {}
    for name in names:
        model = make_recommender(name, SEED)
        given = items if name in WITH_ITEMS else None
        row = evaluate_ranking(
            {name: model}, train, test, k=K, exclude_seen=exclude_seen, items=given
        )[name]
        results[name] = row
        print(
            f"{label} {name}: hit_rate@{K} {row[f'hit_rate@{K}']:.3f} "
            f"ndcg@{K} {row[f'ndcg@{K}']:.3f} (fit {row['fit_seconds']:.1f} s, "
            f"recommend {row['recommend_seconds']:.1f} s)",
            file=sys.stderr,
            flush=True,
        )
    _add_lift(results)
    return results


def _add_lift(results: dict[str, Result]) -> None:
    """Each model's hit rate and NDCG relative to popularity's (0.25 = 25 % above)."""
    if BASELINE not in results:
        return
    base = results[BASELINE]
    for row in results.values():
        for metric in (f"hit_rate@{K}", f"ndcg@{K}"):
            reference = base[metric]
            row[f"{metric}_lift"] = row[metric] / reference - 1.0 if reference > 0 else None


def _split_summary(train: pl.DataFrame, test: pl.DataFrame) -> Result:
    return {
        "train_interactions": train.height,
        "train_users": train.get_column(USER).n_unique(),
        "train_items": train.get_column(ITEM).n_unique(),
        "test_interactions": test.height,
        "test_users": test.get_column(USER).n_unique(),
    }


def run_retail(names: list[str]) -> Result:
    lines, items = retail_lines()
    train, test, cutoff = time_split_lines(lines, TEST_DAYS)
    new_only = test.join(train.select(USER, ITEM), on=[USER, ITEM], how="anti")
    repeat_share = 1.0 - new_only.height / test.height
    rebuys = evaluate_all(names, train, test, items, False, "retail (rebuys count)")
    protocols: dict[str, Result] = {
        "repeat_purchases_count": {
            "exclude_seen": False,
            "split": _split_summary(train, test),
            "results": rebuys,
        },
        "new_products_only": {
            "exclude_seen": True,
            "split": _split_summary(train, new_only),
            "results": evaluate_all(names, train, new_only, items, True, "retail (new only)"),
        },
    }
    return {
        "data": "UCI Online Retail (bundled src/crmind/data/online_retail.csv.xz)",
        "order_lines": lines.height,
        "cutoff": cutoff.isoformat(sep=" "),
        "test_days": TEST_DAYS,
        "test_pairs_bought_before": round(repeat_share, 4),
        "protocols": protocols,
        "goal": _goal(rebuys),
    }


def _goal(results: dict[str, Result]) -> Result:
    metric = f"hit_rate@{K}"
    best = max(results, key=lambda name: results[name][metric])
    base = results[BASELINE][metric]
    lift = results[best][metric] / base - 1.0
    return {
        "metric": metric,
        "best_model": best,
        "best": results[best][metric],
        "popularity": base,
        "lift": lift,
        "target_lift": GOAL_LIFT,
        "met": lift >= GOAL_LIFT,
    }


def run_movielens(names: list[str]) -> Result:
    ratings, items = read_movielens()
    train, test = random_split(ratings, test_fraction=ML_TEST_FRACTION, seed=SEED)
    test = test.join(train.select(USER).unique(), on=USER, how="semi")
    return {
        "data": "MovieLens 100K (../shared/data/movielens_100k, read at run time)",
        "split": f"random_split(test_fraction={ML_TEST_FRACTION}, seed={SEED})",
        "exclude_seen": True,
        **_split_summary(train, test),
        "results": evaluate_all(names, train, test, items, True, "movielens"),
    }


# -- report ----------------------------------------------------------------------------------


def _table(results: dict[str, Result]) -> list[str]:
    lines = [
        f"| model | hit_rate@{K} | ndcg@{K} | precision@{K} | recall@{K} | map@{K} | coverage | "
        "novelty | fit s | recommend s | hit rate vs popularity | NDCG vs popularity |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, row in results.items():
        label = f"{name} (peer: implicit ALS defaults)" if name == PEER else name
        if name == BASELINE:
            label = f"{name} (baseline)"
        cells = [f"{row[metric]:.3f}" for metric in METRICS[:-1]] + [f"{row['novelty']:.2f}"]
        lifts = [_percent(row.get(f"{metric}_lift")) for metric in (f"hit_rate@{K}", f"ndcg@{K}")]
        if name == BASELINE:
            lifts = ["—", "—"]
        lines.append(
            f"| {label} | {' | '.join(cells)} | {row['fit_seconds']:.1f} | "
            f"{row['recommend_seconds']:.1f} | {' | '.join(lifts)} |"
        )
    return lines


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value:+.0%}"


def markdown(report: Result) -> str:
    machine = report["machine"]
    out = [
        "# Recommendation quality: top-10 ranking, every model beside popularity and implicit's "
        "ALS",
        "",
        f"Machine: {machine['arch']}, {machine['cores']} cores, Python {machine['python']}, "
        f"crmind {machine['crmind']}, implicit {machine['implicit']}. Run time "
        f"{report['seconds']:.0f} s.",
        f"Command: `{report['command']}`.",
        "",
        "Every model of `crmind.recommend.registry` except the rating predictors, made with",
        f"`make_recommender(name, {SEED})` and measured by `evaluate_ranking` (k = {K}) in one run "
        "on one",
        "split per table. `implicit-als` is the peer: `implicit`'s `AlternatingLeastSquares()` "
        "with its",
        "default settings on the raw values. *vs popularity*: relative difference to the "
        "popularity",
        "baseline's hit rate / NDCG in the same table. Recall divides by min(k, relevant); "
        "coverage is",
        "the share of the training catalogue recommended to anyone; novelty the mean "
        "-log2(share of",
        "training users) of the recommended items. Times: fit, and recommend for every test user "
        "(with",
        "crmind's reasons), one thread, a machine that may be shared.",
    ]
    retail = report.get("online_retail")
    if retail:
        goal = retail["goal"]
        out += [
            "",
            "## Online Retail: time split, last 30 days",
            "",
            f"Cut-off {retail['cutoff']} ({retail['test_days']} days before the newest of "
            f"{retail['order_lines']:,} order lines). Training: interactions (net quantity per",
            "customer and product, returns netted) of the lines up to the cut-off; test: those "
            "after it, of",
            f"customers with training interactions. {retail['test_pairs_bought_before']:.0%} of "
            "the test (customer, product) pairs",
            "were bought before the cut-off too. `content` and `hybrid` get the products' names "
            "(`product_items`).",
        ]
        titles = {
            "repeat_purchases_count": "Repeat purchases count (`exclude_seen=False`)",
            "new_products_only": "New products only (`exclude_seen=True`; test minus pairs seen "
            "in training)",
        }
        for key, protocol in retail["protocols"].items():
            split = protocol["split"]
            out += [
                "",
                f"### {titles[key]}",
                "",
                f"Training {split['train_interactions']:,} interactions of "
                f"{split['train_users']:,} customers and {split['train_items']:,} products; "
                f"test {split['test_interactions']:,} pairs of {split['test_users']:,} customers.",
                "",
                *_table(protocol["results"]),
            ]
            if key == "new_products_only" and "repeat" in protocol["results"]:
                out += [
                    "",
                    "`repeat` only re-offers a customer's past products, all excluded here: it "
                    "lists nothing by design.",
                ]
        out += [
            "",
            f"**Goal** (repeat purchases count): the best model at least {GOAL_LIFT:.0%} above "
            f"popularity on hit_rate@{K}: {goal['best_model']} {goal['best']:.3f} vs "
            f"{goal['popularity']:.3f}, {goal['lift']:+.0%}: "
            f"**{'met' if goal['met'] else 'not met'}**.",
        ]
    lens = report.get("movielens_100k")
    if lens:
        out += [
            "",
            "## MovieLens 100K: random 80/20 split, seen items excluded",
            "",
            f"`{lens['split']}` of the 100,000 ratings (value = rating); test restricted to "
            "training users;",
            "every test rating is a relevant item (the usual protocol). Training "
            f"{lens['train_interactions']:,} ratings of {lens['train_users']:,} users and "
            f"{lens['train_items']:,} films;",
            f"test {lens['test_interactions']:,} ratings of {lens['test_users']:,} users. "
            "`content` and `hybrid` get the films' titles and",
            "genres from u.item (read at run time). `repeat` (if run) only re-offers rated films, "
            "all excluded here: it lists nothing by design.",
            "",
            *_table(lens["results"]),
        ]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--no-movielens", action="store_true", help="Online Retail only")
    parser.add_argument("--no-retail", action="store_true", help="MovieLens 100K only")
    parser.add_argument("--models", default="", help="comma-separated subset (default: all)")
    args = parser.parse_args(argv)
    names = [name for name in args.models.split(",") if name] or list(RANKING_MODELS)
    unknown = [name for name in names if name not in RANKING_MODELS]
    if unknown:
        parser.error(f"unknown ranking model(s) {unknown}; choose from {RANKING_MODELS}")
    if BASELINE not in names:
        names.insert(0, BASELINE)
    if os.environ.get("OPENBLAS_NUM_THREADS") != "1":
        print("note: OPENBLAS_NUM_THREADS is not 1 (implicit's ALS is slower)", file=sys.stderr)
    started = time.perf_counter()
    report: Result = {
        "command": "OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/eval_recommend_retail.py"
        + (f" --models {args.models}" if args.models else "")
        + (" --no-movielens" if args.no_movielens else "")
        + (" --no-retail" if args.no_retail else ""),
        "machine": {
            "arch": platform.machine(),
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "crmind": version("crmind"),
            "implicit": version("implicit"),
        },
        "k": K,
        "seed": SEED,
        "models": names,
    }
    if not args.no_retail:
        report["online_retail"] = run_retail(names)
    if not args.no_movielens:
        if (MOVIELENS / "u.data").exists():
            report["movielens_100k"] = run_movielens(names)
        else:
            print(f"MovieLens 100K is not at {MOVIELENS}: skipped", file=sys.stderr)
    report["seconds"] = time.perf_counter() - started
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "recommend_quality.json").write_text(json.dumps(report, indent=2) + "\n")
    (RESULTS / "recommend_quality.md").write_text(markdown(report))
    print(markdown(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

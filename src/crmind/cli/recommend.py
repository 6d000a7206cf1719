"""``crmind recommend train|for`` and ``crmind evaluate recommend``."""

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from crmind.cli.app import AsJson, app, console, current_settings, errors_as_messages, evaluate_app
from crmind.config import Settings
from crmind.errors import CrmindError
from crmind.recommend.registry import MODELS
from crmind.services.recommend_evaluation import SPLITS, evaluate_recommenders_file
from crmind.services.recommendation import (
    RecommendOptions,
    RecommendResult,
    stored_recommendations,
    train_and_recommend,
)
from crmind.services.setup import init_store

recommend_app = typer.Typer(
    help="Product recommendations for every customer.", no_args_is_help=True
)
app.add_typer(recommend_app, name="recommend")


def train_recommender(
    options: RecommendOptions, settings: Settings | None = None
) -> RecommendResult:
    """Grade, fit and store recommendations on the store named by ``settings``."""
    settings = settings or current_settings()
    engine, _ = init_store(settings)
    with console.status(f"training the {options.model} recommender"):
        return train_and_recommend(engine, options, settings.data_dir / "models")


@recommend_app.command("train")
def train(
    model: Annotated[str, typer.Option(help=f"One of: {', '.join(MODELS)}.")] = "hybrid",
    k: Annotated[int, typer.Option(help="Products per customer.", min=1)] = 10,
    test_days: Annotated[int, typer.Option(help="Days held out to grade the model.", min=1)] = 30,
    include_bought: Annotated[
        bool, typer.Option(help="Also recommend products a customer bought before (rebuys).")
    ] = False,
    max_per_category: Annotated[
        int | None, typer.Option(help="At most this many products of one category per list.")
    ] = None,
    as_json: AsJson = False,
    engine: Annotated[
        str,
        typer.Option(help="local, or spark: ALS factors learned by MLlib (with --model als)."),
    ] = "local",
) -> None:
    """Grade a recommender against popularity on held-out time, then store every customer's
    top products with a reason each.

    Example: crmind recommend train --model hybrid --k 10
    Example: crmind recommend train --model als --engine spark
    """
    settings = current_settings()
    options = RecommendOptions(
        model=model,
        k=k,
        test_days=test_days,
        exclude_seen=not include_bought,
        max_per_category=max_per_category,
        random_state=settings.random_state,
        engine=engine,
        spark_master=settings.spark_master,
    )
    with errors_as_messages():
        result = train_recommender(options, settings)
    if as_json:
        payload = {**result.__dict__, "sample": result.sample.to_dicts()}
        console.print_json(json.dumps(payload, default=str))
        return
    print_recommendation_run(result)


def print_recommendation_run(result: RecommendResult) -> None:
    """The grading table, the verdict and a sample of the stored lists."""
    k = result.metrics["k"]
    grades = Table(
        title=f"recommendations run {result.run_id}: last {result.metrics['test_days']} days "
        f"held out ({result.metrics['test_customers']:,} customers)"
    )
    for col in ("model", f"hit rate@{k}", f"NDCG@{k}", f"recall@{k}", "coverage", "fit s"):
        grades.add_column(col)
    for name, m in result.metrics["models"].items():
        grades.add_row(
            name,
            f"{m[f'hit_rate@{k}']:.3f}",
            f"{m[f'ndcg@{k}']:.3f}",
            f"{m[f'recall@{k}']:.3f}",
            f"{m['coverage']:.3f}",
            f"{m['fit_seconds']:.1f}",
        )
    console.print(grades)
    console.print(("[green]" if result.passed else "[yellow]") + result.message)
    console.print(
        f"stored {result.stored:,} recommendations for {result.customers:,} customers "
        f"(model {result.model}); see one with `crmind recommend for CUSTOMER_ID`"
    )
    sample = Table(title="a sample")
    for col in ("customer", "rank", "product", "why"):
        sample.add_column(col)
    for row in result.sample.head(6).iter_rows(named=True):
        sample.add_row(str(row["customer_id"]), str(row["rank"]), row["product"], row["reason"])
    console.print(sample)


@recommend_app.command("for")
def recommend_for(
    customer_id: Annotated[int, typer.Argument(help="The customer's id in the store.")],
    as_json: AsJson = False,
) -> None:
    """Show a customer's stored recommendations with their reasons.

    Example: crmind recommend for 17
    """
    with errors_as_messages():
        engine, _ = init_store(current_settings())
        lists = stored_recommendations(engine, customer_id)
    if as_json:
        console.print_json(json.dumps(lists.to_dicts(), default=str))
        return
    if lists.is_empty():
        console.print(
            f"no recommendations for customer {customer_id}: run `crmind recommend train` "
            "(customers without purchases get none)"
        )
        return
    table = Table(title=f"recommended for customer {customer_id}")
    for col in ("rank", "product", "why"):
        table.add_column(col)
    for row in lists.iter_rows(named=True):
        table.add_row(str(row["rank"]), row["product"] or str(row["product_id"]), row["reason"])
    console.print(table)


@evaluate_app.command("recommend")
def evaluate_recommend(
    data: Annotated[Path, typer.Option(help="Interactions: one row per user and item.")],
    user_col: Annotated[str, typer.Option(help="The user column.")],
    item_col: Annotated[str, typer.Option(help="The item column.")],
    rating_col: Annotated[str | None, typer.Option(help="Explicit ratings, if any.")] = None,
    time_col: Annotated[str | None, typer.Option(help="When (for time splits).")] = None,
    split: Annotated[str, typer.Option(help=f"One of: {', '.join(SPLITS)}.")] = "random",
    models: Annotated[
        str, typer.Option(help=f"Comma-separated, from: {', '.join(MODELS)}.")
    ] = "popularity,item-knn,ease,als,implicit-als",
    k: Annotated[int, typer.Option(help="List length.", min=1)] = 10,
    test_days: Annotated[int, typer.Option(help="Test period of --split time.", min=1)] = 30,
    include_seen: Annotated[
        bool, typer.Option(help="Let items seen in training count (repeat purchases).")
    ] = False,
    as_json: AsJson = False,
) -> None:
    """Measure several recommenders on the same split in one run, popularity included.

    Example: crmind evaluate recommend --data ratings.csv --user-col user --item-col item
    --rating-col rating --split random --models popularity,item-knn,ease --json
    """
    with errors_as_messages():
        report = evaluate_recommenders_file(
            data,
            user_col=user_col,
            item_col=item_col,
            rating_col=rating_col,
            time_col=time_col,
            split=split,
            models=[name.strip() for name in models.split(",") if name.strip()],
            k=k,
            test_days=test_days,
            exclude_seen=not include_seen,
        )
    if as_json:
        console.print_json(json.dumps(report, default=str))
        return
    table = Table(
        title=f"{split} split of {data.name}: {report['train']:,} training and "
        f"{report['test']:,} test interactions, {report['test_users']:,} users"
    )
    columns = [f"precision@{k}", f"recall@{k}", f"ndcg@{k}", f"map@{k}", f"hit_rate@{k}"]
    for col in ("model", *columns, "coverage", "fit s", "recommend s"):
        table.add_column(col)
    for name, m in report["models"].items():
        table.add_row(
            name,
            *(f"{m[col]:.4f}" for col in columns),
            f"{m['coverage']:.3f}",
            f"{m['fit_seconds']:.2f}",
            f"{m['recommend_seconds']:.2f}",
        )
    console.print(table)


def recommend_step(settings: Settings | None = None) -> RecommendResult | None:
    """Train and store recommendations after an analysis; a store with too little history gets
    a note instead of an error (the analysis itself has succeeded)."""
    try:
        result = train_recommender(RecommendOptions(), settings)
    except CrmindError as exc:
        console.print(f"[yellow]recommendations skipped: {exc}[/yellow]")
        return None
    print_recommendation_run(result)
    return result

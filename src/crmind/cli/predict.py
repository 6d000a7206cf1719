"""``crmind predict train`` and ``crmind evaluate churn``."""

import json
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.table import Table

from crmind.cli.app import app, console, current_settings, errors_as_messages, evaluate_app
from crmind.config import Settings
from crmind.errors import CrmindError
from crmind.services.evaluation import evaluate_churn_file
from crmind.services.prediction import (
    PredictionOptions,
    PredictionResult,
    score_with_latest,
    train_and_score,
)
from crmind.services.setup import init_store

predict_app = typer.Typer(help="Churn and purchase propensity models.", no_args_is_help=True)
app.add_typer(predict_app, name="predict")


def train_prediction(
    target: Literal["churn", "purchase"], window: int, settings: Settings | None = None
) -> PredictionResult:
    """Train, grade and score on the store named by ``settings`` (default: those in force)."""
    settings = settings or current_settings()
    engine, _ = init_store(settings)
    options = PredictionOptions(
        target=target, window_days=window, random_state=settings.random_state
    )
    with console.status(f"training the {target} model"):
        return train_and_score(engine, options, settings.data_dir / "models")


@predict_app.command("train")
def train(
    target: Annotated[str, typer.Argument(help="churn or purchase.")],
    window: Annotated[
        int, typer.Option(help="Days after each cut-off that decide the label.", min=7)
    ] = 90,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Train a churn or purchase-propensity model, grade it against the recency rule on held-out
    time, and, when it beats the rule, score every customer with their top reasons.

    Example: crmind predict train churn --window 90
    """
    if target not in ("churn", "purchase"):
        typer.echo(f"error: target must be churn or purchase, not {target!r}", err=True)
        raise typer.Exit(1)
    with errors_as_messages():
        result = train_prediction(target, window)  # type: ignore[arg-type]
    if as_json:
        payload = {**result.__dict__, "top": result.top.to_dicts()}
        console.print_json(json.dumps(payload, default=str))
        return
    print_prediction(result)


def print_prediction(result: PredictionResult) -> None:
    """The grading table, the gate's verdict and the highest scores with their reasons."""
    grades = Table(title=f"{result.target} model run {result.result_label()}")
    for col in ("on held-out time", "ROC-AUC", "PR-AUC", "top-decile lift", "Brier"):
        grades.add_column(col)
    rule = result.metrics["recency_rule"]
    for name, metrics in (
        ("model (LightGBM)", result.metrics["model"]),
        ("logistic baseline", result.metrics["logistic_baseline"]),
        (f"recency rule ({rule['name']})", rule),
    ):
        brier = metrics.get("brier")
        grades.add_row(
            name,
            f"{metrics['roc_auc']:.3f}",
            f"{metrics['pr_auc']:.3f}",
            f"{metrics['top_decile_lift']:.2f}",
            f"{brier:.3f}" if brier is not None else "",
        )
    console.print(grades)
    console.print(("[green]" if result.passed else "[red]") + result.gate_message)
    if not result.passed:
        console.print("the model is stored with its metrics but not used for scoring")
        return
    print_top(result)


@evaluate_app.command("churn")
def evaluate_churn(
    data: Annotated[Path, typer.Option(help="One row per customer, with a label column.")],
    target: Annotated[str, typer.Option(help="The label column (yes/no or 1/0).")],
    id_col: Annotated[str | None, typer.Option(help="An id column to leave out.")] = None,
    folds: Annotated[int, typer.Option(help="Stratified folds.", min=2)] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Cross-validate the churn model and the logistic baseline on a customer table.

    Example: crmind evaluate churn --data Telco-Customer-Churn.csv --target Churn
    --id-col customerID --folds 5 --json
    """
    with errors_as_messages():
        report = evaluate_churn_file(data, target_col=target, id_col=id_col, folds=folds)
    if as_json:
        console.print_json(json.dumps(report, default=str))
        return
    table = Table(title=f"{folds}-fold cross-validation on {data.name} ({report['rows']:,} rows)")
    for col in ("model", "ROC-AUC", "PR-AUC", "top-decile lift", "Brier"):
        table.add_column(col)
    for kind in ("lightgbm", "logistic"):
        m = report[kind]
        table.add_row(
            kind,
            *(
                f"{m[k]['mean']:.3f} ± {m[k]['sd']:.3f}"
                for k in ("roc_auc", "pr_auc", "top_decile_lift", "brier")
            ),
        )
    console.print(table)


@predict_app.command("score")
def score(
    target: Annotated[str, typer.Argument(help="churn or purchase.")] = "churn",
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Score every customer now with the newest model that passed its quality gate.

    Example: crmind predict score churn
    """
    if target not in ("churn", "purchase"):
        typer.echo(f"error: target must be churn or purchase, not {target!r}", err=True)
        raise typer.Exit(1)
    with errors_as_messages():
        engine, _ = init_store(current_settings())
        result = score_with_latest(engine, target)  # type: ignore[arg-type]
    if as_json:
        payload = {**result.__dict__, "top": result.top.to_dicts()}
        console.print_json(json.dumps(payload, default=str))
        return
    console.print(f"run {result.run_id}: {result.gate_message}; {result.scored:,} customers")
    print_top(result)


def print_top(result: PredictionResult) -> None:
    """The highest scores with their reasons."""
    top = Table(title=f"highest {result.target} scores ({result.scored:,} customers scored)")
    for col in ("customer", "probability", "top reasons (log-odds)"):
        top.add_column(col)
    for row in result.top.iter_rows(named=True):
        top.add_row(str(row["customer_id"]), f"{row['probability']:.2f}", str(row["text"]))
    console.print(top)


def churn_step(window: int = 90, settings: Settings | None = None) -> PredictionResult | None:
    """Train and score the churn model after an analysis; a store with too little history gets
    a note instead of an error (the analysis itself has succeeded)."""
    try:
        result = train_prediction("churn", window, settings)
    except CrmindError as exc:
        console.print(f"[yellow]churn model skipped: {exc}[/yellow]")
        return None
    print_prediction(result)
    return result

"""``crmind predict train`` and ``crmind evaluate churn``."""

import json
from pathlib import Path
from typing import Annotated, Literal, TypeVar

import typer
from rich.table import Table

from crmind.cli.app import AsJson, app, console, current_settings, errors_as_messages, evaluate_app
from crmind.config import Settings
from crmind.errors import CrmindError
from crmind.predict.models import MODEL_KINDS
from crmind.services.evaluation import evaluate_churn_file
from crmind.services.prediction import (
    TARGETS,
    PredictionOptions,
    PredictionResult,
    Target,
    score_with_latest,
    train_and_score,
)
from crmind.services.setup import init_store

Kind = TypeVar("Kind", bound=str)
PropensityLearner = Literal["lightgbm", "blend"]
LEARNERS: tuple[PropensityLearner, ...] = ("lightgbm", "blend")
"""The learners of ``crmind predict train`` (the logistic model is their baseline)."""
LEARNER_NAMES = {"lightgbm": "LightGBM", "blend": "LightGBM + spline logistic"}

predict_app = typer.Typer(
    help="Churn and purchase propensity, and next-window spend.", no_args_is_help=True
)
app.add_typer(predict_app, name="predict")


def train_prediction(
    target: Target,
    window: int,
    settings: Settings | None = None,
    engine_name: str | None = None,
    model: PropensityLearner | None = None,
) -> PredictionResult:
    """Train, grade and score on the store named by ``settings`` (default: those in force).
    Examples and scores are built on ``engine_name`` (default: the ``engine`` setting; spend
    models always run locally); churn and purchase are learned by ``model`` (default: the
    ``propensity_model`` setting)."""
    settings = settings or current_settings()
    engine, _ = init_store(settings)
    chosen = engine_name or settings.engine
    options = PredictionOptions(
        target=target,
        model=model or settings.propensity_model,
        window_days=window,
        random_state=settings.random_state,
        engine=chosen if target != "spend" or engine_name else "local",
        spark_master=settings.spark_master,
        spark_jars=settings.spark_jars,
    )
    with console.status(f"training the {target} model"):
        return train_and_score(engine, options, settings.data_dir / "models")


@predict_app.command("train")
def train(
    target: Annotated[str, typer.Argument(help="churn, purchase or spend.")],
    window: Annotated[
        int, typer.Option(help="Days after each cut-off that decide the label.", min=7)
    ] = 90,
    as_json: AsJson = False,
    engine: Annotated[
        str | None,
        typer.Option(help="Build examples and scores on local or spark (churn, purchase)."),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            help="Churn / purchase learner: lightgbm or blend (LightGBM averaged with a "
            "logistic regression on splines). Default: the propensity_model setting."
        ),
    ] = None,
) -> None:
    """Train a churn, purchase-propensity or spend model, grade it against the obvious rule on
    held-out time, and, when it beats the rule, score every customer with their top reasons.

    Example: crmind predict train churn --window 90
    Example: crmind predict train churn --engine spark
    Example: crmind predict train churn --model blend
    """
    learner = _learner(model, LEARNERS) if model is not None else None
    with errors_as_messages():
        result = train_prediction(_target(target), window, engine_name=engine, model=learner)
    if as_json:
        payload = {**result.__dict__, "top": result.top.to_dicts()}
        console.print_json(json.dumps(payload, default=str))
        return
    print_prediction(result)


def _learner(text: str, allowed: tuple[Kind, ...]) -> Kind:
    for kind in allowed:
        if text == kind:
            return kind
    typer.echo(f"error: model must be one of {', '.join(allowed)}, not {text!r}", err=True)
    raise typer.Exit(1)


def _target(text: str) -> Target:
    for target in TARGETS:
        if text == target:
            return target
    typer.echo(f"error: target must be one of {', '.join(TARGETS)}, not {text!r}", err=True)
    raise typer.Exit(1)


def print_prediction(result: PredictionResult) -> None:
    """The grading table, the gate's verdict and the highest scores with their reasons."""
    if result.target == "spend":
        print_spend_grades(result)
    else:
        print_binary_grades(result)
    console.print(("[green]" if result.passed else "[red]") + result.gate_message)
    if not result.passed:
        console.print("the model is stored with its metrics but not used for scoring")
        return
    print_top(result)


def print_binary_grades(result: PredictionResult) -> None:
    """Churn / purchase: the model, baseline and rule on held-out time, and the calibration."""
    grades = Table(title=f"{result.target} model run {result.result_label()}")
    for col in ("on held-out time", "ROC-AUC", "PR-AUC", "top-decile lift", "Brier"):
        grades.add_column(col)
    rule = result.metrics["recency_rule"]
    learner = LEARNER_NAMES.get(str(result.metrics.get("learner", "lightgbm")), "LightGBM")
    for name, metrics in (
        (f"model ({learner})", result.metrics["model"]),
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
    calibration = Table(title="calibration on held-out time: predicted against observed")
    for col in ("predicted", "mean predicted", "observed rate", "customers"):
        calibration.add_column(col, justify="right")
    for row in result.metrics.get("calibration", []):
        calibration.add_row(
            f"{row['lower']:.1f}-{row['upper']:.1f}",
            f"{row['mean_predicted']:.3f}",
            f"{row['observed_rate']:.3f}",
            f"{row['count']:,}",
        )
    console.print(calibration)


def print_spend_grades(result: PredictionResult) -> None:
    """Spend: the model, the spend-rate rule and the mean on held-out time."""
    grades = Table(title=f"spend model run {result.result_label()}")
    for col in ("on held-out time", "RMSE", "MAE", "Spearman", "top-decile share", "mean"):
        grades.add_column(col)
    actual = result.metrics["model"]["mean_actual"]
    for name, key in (
        ("model (LightGBM, Tweedie)", "model"),
        ("spend-rate rule", "spend_rate_rule"),
        ("training mean", "mean_baseline"),
    ):
        m = result.metrics[key]
        grades.add_row(
            name,
            f"{m['rmse']:,.1f}",
            f"{m['mae']:,.1f}",
            f"{m['spearman']:.3f}",
            f"{m['top_decile_share']:.3f}",
            f"{m['mean_predicted']:,.1f} (actual {actual:,.1f})",
        )
    console.print(grades)


@evaluate_app.command("churn")
def evaluate_churn(
    data: Annotated[Path, typer.Option(help="One row per customer, with a label column.")],
    target: Annotated[str, typer.Option(help="The label column (yes/no or 1/0).")],
    id_col: Annotated[str | None, typer.Option(help="An id column to leave out.")] = None,
    folds: Annotated[int, typer.Option(help="Stratified folds.", min=2)] = 5,
    model: Annotated[
        str | None,
        typer.Option(
            help="The model to evaluate beside the logistic baseline: lightgbm, blend "
            "(LightGBM averaged with a logistic regression on splines) or logistic. Default: "
            "the propensity_model setting, as crmind predict train uses."
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the fold split and the models.")] = 0,
    as_json: AsJson = False,
) -> None:
    """Cross-validate a churn model and the logistic baseline on a customer table.

    Example: crmind evaluate churn --data Telco-Customer-Churn.csv --target Churn
    --id-col customerID --folds 5 --json
    Example: crmind evaluate churn --data Telco-Customer-Churn.csv --target Churn
    --id-col customerID --model blend
    """
    chosen = _learner(model, MODEL_KINDS) if model else None
    with errors_as_messages():
        kind = chosen or current_settings().propensity_model
        report = evaluate_churn_file(
            data, target_col=target, id_col=id_col, folds=folds, random_state=seed, model=kind
        )
    if as_json:
        console.print_json(json.dumps(report, default=str))
        return
    table = Table(title=f"{folds}-fold cross-validation on {data.name} ({report['rows']:,} rows)")
    for col in ("model", "ROC-AUC", "PR-AUC", "top-decile lift", "Brier"):
        table.add_column(col)
    for name in dict.fromkeys((kind, "logistic")):
        m = report[name]
        table.add_row(
            name,
            *(
                f"{m[k]['mean']:.3f} ± {m[k]['sd']:.3f}"
                for k in ("roc_auc", "pr_auc", "top_decile_lift", "brier")
            ),
        )
    console.print(table)


@predict_app.command("score")
def score(
    target: Annotated[str, typer.Argument(help="churn, purchase or spend.")] = "churn",
    as_json: AsJson = False,
) -> None:
    """Score every customer now with the newest model that passed its quality gate.

    Example: crmind predict score churn
    """
    chosen = _target(target)
    with errors_as_messages():
        engine, _ = init_store(current_settings())
        result = score_with_latest(engine, chosen)
    if as_json:
        payload = {**result.__dict__, "top": result.top.to_dicts()}
        console.print_json(json.dumps(payload, default=str))
        return
    console.print(f"run {result.run_id}: {result.gate_message}; {result.scored:,} customers")
    print_top(result)


def print_top(result: PredictionResult) -> None:
    """The highest scores with their reasons."""
    spend = result.target == "spend"
    top = Table(title=f"highest {result.target} scores ({result.scored:,} customers scored)")
    for col in (
        "customer",
        "expected spend" if spend else "probability",
        "top reasons (log-spend vs past rate)" if spend else "top reasons (log-odds)",
    ):
        top.add_column(col)
    for row in result.top.iter_rows(named=True):
        value = f"{row['value']:,.2f}"
        top.add_row(str(row["customer_id"]), value, str(row["text"]))
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

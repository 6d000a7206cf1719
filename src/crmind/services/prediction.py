"""Use case: train a churn, purchase-propensity or spend model on the store, grade it, score.

Training examples come from several past cut-offs (features only from before each cut-off, the
label from the window after it). The latest cut-off is held out and the model is graded there:

- churn / purchase: against the best simple recency rule and a logistic-regression baseline on
  ROC-AUC and top-decile lift (the metrics also hold PR-AUC, Brier and the calibration curve);
- spend: against the past-spending-rate rule and the no-skill mean on RMSE and Spearman rank
  correlation (also MAE and the top decile's share of spend).

A model that does not beat them is stored with its metrics but not used for scoring. A model
that passes is refitted on every example, saved, and scores every customer as of the last order,
each score stored with the customer's top drivers in words.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import polars as pl
from sqlalchemy import Engine

from crmind import columns as c
from crmind.engines import AnalysisTables, ExampleOptions, get_engine
from crmind.engines import Engine as ComputeEngine
from crmind.errors import ConfigurationError, ModelDataError, NotFoundError
from crmind.predict.evaluate import (
    GateResult,
    QualityGate,
    base_rate_metrics,
    best_recency_rule,
    calibration_curve,
    evaluate_binary,
    quality_gate,
    time_split,
)
from crmind.predict.evaluate_spend import (
    RMSE,
    SPEARMAN,
    evaluate_spend,
    mean_rule,
    spend_rate_rule,
)
from crmind.predict.explain import explain, global_importance
from crmind.predict.labels import LABEL, feature_columns, scoring_features, training_examples
from crmind.predict.models import ModelKind, PropensityModel
from crmind.predict.spend import SpendModel
from crmind.predict.tabular import TabularModel
from crmind.services.analysis_store import (
    finish_model_run,
    latest_run,
    start_model_run,
    write_scores,
)
from crmind.store.frames import order_lines, read_sql

logger = logging.getLogger(__name__)

Target = Literal["churn", "purchase", "spend"]
TARGETS: tuple[Target, ...] = ("churn", "purchase", "spend")
SCORE_KINDS: dict[Target, str] = {
    "churn": "churn",
    "purchase": "purchase",
    "spend": "next_window_spend",  # apart from the CLV analysis's expected_spend per order
}
"""The ``customer_scores.kind`` each target's scores are stored under."""
SPEND_GATE = QualityGate(metrics=(RMSE, SPEARMAN), rule_name="spend-rate rule")
"""A spend model must predict amounts better (RMSE) and order customers better (Spearman)."""


@dataclass(frozen=True)
class PredictionOptions:
    """What to predict and how the examples are cut; ``engine`` builds the examples and scores
    every customer (``spark``: churn and purchase only, see docs/spark.md)."""

    target: Target = "churn"
    model: ModelKind = "lightgbm"
    """The churn / purchase learner (spend models are always LightGBM, Tweedie)."""
    window_days: int = 90
    n_cutoffs: int = 3
    random_state: int = 0
    top_drivers: int = 3
    engine: str = "local"
    spark_master: str = "local[2]"
    spark_jars: str | None = None


@dataclass(frozen=True)
class PredictionResult:
    run_id: int
    target: str
    passed: bool
    gate_message: str
    metrics: dict[str, Any]
    scored: int
    top: pl.DataFrame  # customer_id, value, text: the highest scores with their reasons
    model_path: str | None

    def result_label(self) -> str:
        """The run id and its verdict, e.g. ``"7 (completed)"``."""
        return f"{self.run_id} ({'completed' if self.passed else 'rejected by the quality gate'})"


def train_and_score(
    engine: Engine,
    options: PredictionOptions,
    models_dir: Path,
    compute: ComputeEngine | None = None,
) -> PredictionResult:
    """Train, grade and (if it passes) score; see the module docstring. With
    ``options.engine`` other than ``local`` (or an engine given as ``compute``, which the caller
    then closes) the examples are built and every customer scored on that engine; the model is
    fitted and graded here either way."""
    owned = compute is None
    if options.engine != "local" and options.target == "spend":
        raise ConfigurationError(
            f"engine {options.engine!r} scores churn and purchase; spend models run locally"
        )
    lines = order_lines(engine)
    products = read_sql(engine, "SELECT id AS product_id, category FROM products")
    customers = read_sql(engine, "SELECT id AS customer_id, country FROM customers")
    compute = _compute(options, compute)
    try:
        return _train_and_score(engine, options, models_dir, lines, products, customers, compute)
    finally:
        if compute is not None and owned:
            compute.close()


def _train_and_score(
    engine: Engine,
    options: PredictionOptions,
    models_dir: Path,
    lines: pl.DataFrame,
    products: pl.DataFrame,
    customers: pl.DataFrame,
    compute: ComputeEngine | None,
) -> PredictionResult:
    if compute is None:
        examples = training_examples(
            lines,
            n_cutoffs=options.n_cutoffs,
            spacing_days=options.window_days,
            window_days=options.window_days,
            target=options.target,
            products=products,
            customers=customers,
        )
    else:
        examples = compute.training_examples(
            _tables(lines, products, customers),
            ExampleOptions(
                target=options.target,
                n_cutoffs=options.n_cutoffs,
                spacing_days=options.window_days,
                window_days=options.window_days,
            ),
        )
    features = feature_columns(examples)
    train, test = time_split(examples, window_days=options.window_days)
    if train.get_column(LABEL).n_unique() < 2:
        raise ModelDataError(f"every training example has the same {options.target} label")
    run_id = start_model_run(engine, f"{options.target}_model", _params(options, features))
    try:
        metrics, gate = _grade(train, test, features, options)
        model_path: Path | None = None
        scored = 0
        top = pl.DataFrame(schema={c.CUSTOMER_ID: pl.Int64, "value": pl.Float64})
        scores: pl.DataFrame | None = None
        if gate.passed:
            model = _model(options).fit(examples.select(features), examples.get_column(LABEL))
            metrics["importance"] = global_importance(model).head(10).to_dicts()
            model_path = model.save(models_dir / f"{options.target}-run-{run_id}.pkl")
            metrics["model_path"] = str(model_path)
            if compute is None:
                scores, top = _score(lines, products, customers, model, features, options)
            else:
                scores, top = _score_on(
                    compute, _tables(lines, products, customers), model, features, options
                )
            scored = scores.height
        with engine.begin() as conn:
            if scores is not None:
                write_scores(conn, run_id, scores)
            finish_model_run(
                conn,
                run_id,
                "completed" if gate.passed else "rejected",
                metrics=json.loads(json.dumps(metrics, default=str)),
                data_window=(lines[c.OCCURRED_AT].min(), lines[c.OCCURRED_AT].max()),
            )
    except BaseException as exc:
        with engine.begin() as conn:
            finish_model_run(conn, run_id, "failed", error=repr(exc))
        raise
    return PredictionResult(
        run_id=run_id,
        target=options.target,
        passed=gate.passed,
        gate_message=gate.message,
        metrics=metrics,
        scored=scored,
        top=top,
        model_path=str(model_path) if model_path else None,
    )


def score_with_latest(
    engine: Engine, target: Target = "churn", top_drivers: int = 3
) -> PredictionResult:
    """Score every customer now with the newest model of ``target`` that passed its gate.

    The scores are stored under a new run of the same kind, whose parameters name the model run
    (and file) they came from, so the customer view shows the newest scores.
    """
    trained = latest_run(engine, f"{target}_model")
    path = (trained.metrics or {}).get("model_path") if trained is not None else None
    if trained is None or not path or not Path(path).exists():
        raise NotFoundError(
            f"no trained {target} model that passed its quality gate: run "
            f"`crmind predict train {target}` first"
        )
    model = _model_class(target).load(path)
    features = list(model.feature_names_)
    lines = order_lines(engine)
    products = read_sql(engine, "SELECT id AS product_id, category FROM products")
    customers = read_sql(engine, "SELECT id AS customer_id, country FROM customers")
    options = PredictionOptions(
        target=target,
        top_drivers=top_drivers,
        window_days=int((trained.params or {}).get("window_days", 90)),
    )
    params = {**(trained.params or {}), "scored_with_run": trained.id, "model_path": path}
    run_id = start_model_run(engine, f"{target}_model", params)
    scores, top = _score(lines, products, customers, model, features, options)
    metrics = {**(trained.metrics or {}), "scored_with_run": trained.id}
    with engine.begin() as conn:
        write_scores(conn, run_id, scores)
        finish_model_run(
            conn,
            run_id,
            "completed",
            metrics=json.loads(json.dumps(metrics, default=str)),
            data_window=(trained.data_start, lines[c.OCCURRED_AT].max()),
        )
    return PredictionResult(
        run_id=run_id,
        target=target,
        passed=True,
        gate_message=f"scored with the model of run {trained.id}",
        metrics=metrics,
        scored=scores.height,
        top=top,
        model_path=path,
    )


def _compute(options: PredictionOptions, given: ComputeEngine | None) -> ComputeEngine | None:
    """The engine that builds examples and scores (None: the local code, as always)."""
    if given is not None:
        return given
    if options.engine == "local":
        return None
    return get_engine(
        options.engine, spark_master=options.spark_master, spark_jars=options.spark_jars
    )


def _tables(lines: pl.DataFrame, products: pl.DataFrame, customers: pl.DataFrame) -> AnalysisTables:
    events = pl.DataFrame(schema={c.CUSTOMER_ID: pl.Int64, "event_type": pl.String})
    return AnalysisTables(lines, products, customers, events)


def _score_on(
    compute: ComputeEngine,
    tables: AnalysisTables,
    model: TabularModel,
    features: list[str],
    options: PredictionOptions,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``(scores, top)`` as :func:`_score` gives them, computed by ``compute``."""
    scores = compute.propensity_scores(
        tables, model, features, SCORE_KINDS[options.target], options.top_drivers
    )
    top = (
        scores.sort("value", descending=True)
        .select(
            c.CUSTOMER_ID,
            "value",
            pl.col("explanation").str.json_path_match("$.reasons").alias("text"),
        )
        .head(10)
    )
    return scores, top


def _params(options: PredictionOptions, features: list[str]) -> dict[str, Any]:
    return {
        "target": options.target,
        "window_days": options.window_days,
        "n_cutoffs": options.n_cutoffs,
        "random_state": options.random_state,
        "features": features,
        "model": "lightgbm-tweedie" if options.target == "spend" else options.model,
        "engine": options.engine,
    }


def _model_class(target: Target) -> type[TabularModel]:
    return SpendModel if target == "spend" else PropensityModel


def _model(options: PredictionOptions, kind: ModelKind | None = None) -> TabularModel:
    """The model of ``options`` (``kind``: another propensity learner, e.g. the baseline)."""
    if options.target == "spend":
        return SpendModel(window_days=options.window_days, random_state=options.random_state)
    return PropensityModel(model=kind or options.model, random_state=options.random_state)


def _grade(
    train: pl.DataFrame, test: pl.DataFrame, features: list[str], options: PredictionOptions
) -> tuple[dict[str, Any], GateResult]:
    if options.target == "spend":
        return _grade_spend(train, test, features, options)
    x_train, y_train = train.select(features), train.get_column(LABEL)
    x_test, y_test = test.select(features), test.get_column(LABEL)
    model = _model(options).fit(x_train, y_train)
    baseline = _model(options, "logistic").fit(x_train, y_train)
    rule_name, rule = best_recency_rule(x_train, y_train)
    probability = model.predict_output(x_test)
    model_metrics = evaluate_binary(y_test, probability)
    rule_metrics = evaluate_binary(y_test, rule(x_test))
    gate = quality_gate(model_metrics, rule_metrics, base_rate_metrics(y_train, y_test))
    metrics = {
        "held_out_cutoff": test.get_column("cutoff")[0],
        "train_examples": train.height,
        "test_examples": test.height,
        "learner": options.model,
        "model": model_metrics,
        "logistic_baseline": evaluate_binary(y_test, baseline.predict_output(x_test)),
        "recency_rule": {"name": rule_name, **rule_metrics},
        "calibration": calibration_curve(y_test, probability).to_dicts(),
        "gate": {"passed": gate.passed, "message": gate.message},
    }
    return metrics, gate


def _grade_spend(
    train: pl.DataFrame, test: pl.DataFrame, features: list[str], options: PredictionOptions
) -> tuple[dict[str, Any], GateResult]:
    x_train, y_train = train.select(features), train.get_column(LABEL)
    x_test, y_test = test.select(features), test.get_column(LABEL)
    model = _model(options).fit(x_train, y_train)
    model_metrics = evaluate_spend(y_test, model.predict_output(x_test))
    rule_metrics = evaluate_spend(y_test, spend_rate_rule(x_test, options.window_days))
    mean_metrics = evaluate_spend(y_test, mean_rule(y_train, test.height))
    gate = SPEND_GATE.check(model_metrics, rule_metrics, mean_metrics)
    metrics = {
        "held_out_cutoff": test.get_column("cutoff")[0],
        "train_examples": train.height,
        "test_examples": test.height,
        "model": model_metrics,
        "spend_rate_rule": rule_metrics,
        "mean_baseline": mean_metrics,
        "gate": {"passed": gate.passed, "message": gate.message},
    }
    return metrics, gate


def _score(
    lines: pl.DataFrame,
    products: pl.DataFrame,
    customers: pl.DataFrame,
    model: TabularModel,
    features: list[str],
    options: PredictionOptions,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``(scores, top)``: every customer's score with its reasons, and the ten highest."""
    now = scoring_features(lines, products=products, customers=customers)
    scored = explain(
        model, now.select(features), now.get_column(c.CUSTOMER_ID), top=options.top_drivers
    ).rename({model.output_name: "value"})
    scores = scored.select(
        c.CUSTOMER_ID,
        pl.lit(SCORE_KINDS[options.target]).alias("kind"),
        "value",
        _band(options.target).alias("label"),
        pl.struct(pl.col("text").alias("reasons"), "drivers")
        .struct.json_encode()
        .alias("explanation"),
    )
    top = scored.sort("value", descending=True).select(c.CUSTOMER_ID, "value", "text").head(10)
    return scores, top


def _band(target: Target) -> pl.Expr:
    """high / medium / low: probabilities by fixed thresholds, spend by rank (top 10 %, next
    20 %, the rest)."""
    value = pl.col("value")
    if target == "spend":
        share_above = value.rank("min", descending=True) / value.len()
        high, medium = share_above <= 0.1, share_above <= 0.3
    else:
        high, medium = value >= 0.7, value >= 0.4
    return (
        pl.when(high)
        .then(pl.lit("high"))
        .when(medium)
        .then(pl.lit("medium"))
        .otherwise(pl.lit("low"))
    )

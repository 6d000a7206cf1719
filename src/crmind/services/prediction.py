"""Use case: train a churn or purchase-propensity model on the store, grade it, score customers.

Training examples come from several past cut-offs (features only from before each cut-off, the
label from the window after it). The latest cut-off is held out: the model is graded there
against the best simple recency rule and a logistic-regression baseline. A model that does not
beat the rule (ROC-AUC and top-decile lift) is stored with its metrics but not used for scoring.
A model that passes is refitted on every example, saved, and scores every customer as of the
last order, each score stored with the customer's top drivers in words.
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
from crmind.errors import ModelDataError, NotFoundError
from crmind.predict.evaluate import (
    base_rate_metrics,
    best_recency_rule,
    evaluate_binary,
    quality_gate,
    time_split,
)
from crmind.predict.explain import explain, global_importance
from crmind.predict.labels import LABEL, feature_columns, scoring_features, training_examples
from crmind.predict.models import PropensityModel
from crmind.services.analysis_store import (
    finish_model_run,
    latest_run,
    start_model_run,
    write_scores,
)
from crmind.store.frames import order_lines, read_sql

logger = logging.getLogger(__name__)

Target = Literal["churn", "purchase"]


@dataclass(frozen=True)
class PredictionOptions:
    """What to predict and how the examples are cut."""

    target: Target = "churn"
    window_days: int = 90
    n_cutoffs: int = 3
    random_state: int = 0
    top_drivers: int = 3


@dataclass(frozen=True)
class PredictionResult:
    run_id: int
    target: str
    passed: bool
    gate_message: str
    metrics: dict[str, Any]
    scored: int
    top: pl.DataFrame  # customer_id, probability, text: the highest scores with their reasons
    model_path: str | None

    def result_label(self) -> str:
        """The run id and its verdict, e.g. ``"7 (completed)"``."""
        return f"{self.run_id} ({'completed' if self.passed else 'rejected by the quality gate'})"


def train_and_score(
    engine: Engine, options: PredictionOptions, models_dir: Path
) -> PredictionResult:
    """Train, grade and (if it passes) score; see the module docstring."""
    lines = order_lines(engine)
    products = read_sql(engine, "SELECT id AS product_id, category FROM products")
    customers = read_sql(engine, "SELECT id AS customer_id, country FROM customers")
    examples = training_examples(
        lines,
        n_cutoffs=options.n_cutoffs,
        spacing_days=options.window_days,
        window_days=options.window_days,
        target=options.target,
        products=products,
        customers=customers,
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
        top = pl.DataFrame(schema={c.CUSTOMER_ID: pl.Int64, "probability": pl.Float64})
        scores: pl.DataFrame | None = None
        if gate.passed:
            model = _model(options).fit(examples.select(features), examples.get_column(LABEL))
            metrics["importance"] = global_importance(model).head(10).to_dicts()
            model_path = model.save(models_dir / f"{options.target}-run-{run_id}.pkl")
            metrics["model_path"] = str(model_path)
            scores, top = _score(lines, products, customers, model, features, options)
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
    model = PropensityModel.load(path)
    features = list(model.feature_names_)
    lines = order_lines(engine)
    products = read_sql(engine, "SELECT id AS product_id, category FROM products")
    customers = read_sql(engine, "SELECT id AS customer_id, country FROM customers")
    options = PredictionOptions(target=target, top_drivers=top_drivers)
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


def _params(options: PredictionOptions, features: list[str]) -> dict[str, Any]:
    return {
        "target": options.target,
        "window_days": options.window_days,
        "n_cutoffs": options.n_cutoffs,
        "random_state": options.random_state,
        "features": features,
        "model": "lightgbm",
    }


def _model(
    options: PredictionOptions, kind: Literal["lightgbm", "logistic"] = "lightgbm"
) -> PropensityModel:
    return PropensityModel(model=kind, random_state=options.random_state)


def _grade(
    train: pl.DataFrame, test: pl.DataFrame, features: list[str], options: PredictionOptions
) -> tuple[dict[str, Any], Any]:
    x_train, y_train = train.select(features), train.get_column(LABEL)
    x_test, y_test = test.select(features), test.get_column(LABEL)
    model = _model(options).fit(x_train, y_train)
    baseline = _model(options, "logistic").fit(x_train, y_train)
    rule_name, rule = best_recency_rule(x_train, y_train)
    model_metrics = evaluate_binary(y_test, model.predict_proba(x_test))
    rule_metrics = evaluate_binary(y_test, rule(x_test))
    gate = quality_gate(model_metrics, rule_metrics, base_rate_metrics(y_train, y_test))
    metrics = {
        "held_out_cutoff": test.get_column("cutoff")[0],
        "train_examples": train.height,
        "test_examples": test.height,
        "model": model_metrics,
        "logistic_baseline": evaluate_binary(y_test, baseline.predict_proba(x_test)),
        "recency_rule": {"name": rule_name, **rule_metrics},
        "gate": {"passed": gate.passed, "message": gate.message},
    }
    return metrics, gate


def _score(
    lines: pl.DataFrame,
    products: pl.DataFrame,
    customers: pl.DataFrame,
    model: PropensityModel,
    features: list[str],
    options: PredictionOptions,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    now = scoring_features(lines, products=products, customers=customers)
    reasons = explain(
        model, now.select(features), now.get_column(c.CUSTOMER_ID), top=options.top_drivers
    )
    probability = model.predict_proba(now.select(features))
    scored = reasons.with_columns(pl.Series("probability", probability))
    band = (
        pl.when(pl.col("probability") >= 0.7)
        .then(pl.lit("high"))
        .when(pl.col("probability") >= 0.4)
        .then(pl.lit("medium"))
        .otherwise(pl.lit("low"))
    )
    scores = scored.select(
        c.CUSTOMER_ID,
        pl.lit(options.target).alias("kind"),
        pl.col("probability").alias("value"),
        band.alias("label"),
        pl.struct(pl.col("text").alias("reasons"), "drivers")
        .struct.json_encode()
        .alias("explanation"),
    )
    top = (
        scored.sort("probability", descending=True)
        .select(c.CUSTOMER_ID, "probability", "text")
        .head(10)
    )
    return scores, top

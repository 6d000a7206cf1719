"""A model run's metrics, shaped for the models page: the model's figures beside each baseline's,
its drivers, its calibration, and the remaining figures flattened.

Runs store metrics as JSON whose shape depends on the kind: prediction runs hold ``model`` with
``logistic_baseline`` and ``recency_rule``; recommendation runs hold ``models`` (the stored one
and ``popularity``); analysis and text runs hold counts and fitted parameters.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

MODEL_KEYS = ("model",)
BASELINE_KEYS = ("logistic_baseline", "recency_rule", "baseline")
LOWER_IS_BETTER = ("brier", "rmse", "mae", "log_loss")
SKIPPED = {"calibration", "importance", "gate", "model_path", "models", "stored_model"}


@dataclass(frozen=True)
class Comparison:
    columns: list[str]  # model first, then baselines
    rows: list[tuple[str, list[float | None], bool | None]]  # metric, values, model better?


@dataclass(frozen=True)
class RunMetrics:
    comparison: Comparison | None
    drivers: list[tuple[str, float]] = field(default_factory=list)
    calibration: list[tuple[float, float]] = field(default_factory=list)  # predicted, observed
    gate: dict[str, Any] | None = None
    other: list[tuple[str, str]] = field(default_factory=list)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _compare(columns: dict[str, dict[str, Any]]) -> Comparison | None:
    if len(columns) < 2:
        return None
    names = list(columns)
    metrics = [
        k
        for k, v in columns[names[0]].items()
        if _number(v) is not None and k not in ("n", "users")
    ]
    rows: list[tuple[str, list[float | None], bool | None]] = []
    for metric in metrics:
        values = [_number(columns[name].get(metric)) for name in names]
        model, baselines = values[0], [v for v in values[1:] if v is not None]
        better: bool | None = None
        if model is not None and baselines and metric not in ("base_rate",):
            best = min(baselines) if metric in LOWER_IS_BETTER else max(baselines)
            better = model <= best if metric in LOWER_IS_BETTER else model >= best
        rows.append((metric, values, better))
    return Comparison(names, rows)


def _flatten(prefix: str, value: Any, out: list[tuple[str, str]]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), inner, out)
    elif isinstance(value, list):
        if value and all(_number(v) is not None for v in value):
            out.append((prefix, ", ".join(f"{v:.4g}" for v in value)))
    elif isinstance(value, bool):
        out.append((prefix, str(value)))
    elif _number(value) is not None:
        out.append((prefix, f"{value:,.4g}" if isinstance(value, float) else f"{value:,}"))
    elif isinstance(value, str) and len(value) < 200:
        out.append((prefix, value))


def run_metrics(metrics: dict[str, Any]) -> RunMetrics:
    """The parts of the models page for one run's metrics."""
    columns: dict[str, dict[str, Any]] = {}
    if isinstance(metrics.get("models"), dict):  # recommenders: the stored model first
        models = metrics["models"]
        stored = metrics.get("stored_model")
        order = ([str(stored)] if stored in models else []) + [
            str(k) for k in models if k != stored
        ]
        columns = {name: models[name] for name in order if isinstance(models[name], dict)}
    else:
        for key in (*MODEL_KEYS, *BASELINE_KEYS):
            if isinstance(metrics.get(key), dict):
                columns[key] = metrics[key]
    drivers = [
        (str(item.get("feature")), float(item.get("gain") or item.get("importance") or 0.0))
        for item in metrics.get("importance") or []
        if isinstance(item, dict)
    ]
    calibration = [
        (float(b["mean_predicted"]), float(b["observed_rate"]))
        for b in metrics.get("calibration") or []
        if isinstance(b, dict) and _number(b.get("mean_predicted")) is not None
    ]
    other: list[tuple[str, str]] = []
    for key, value in metrics.items():
        if key not in SKIPPED and key not in columns:
            _flatten(key, value, other)
    gate = metrics.get("gate") if isinstance(metrics.get("gate"), dict) else None
    return RunMetrics(_compare(columns), drivers, calibration, gate, other[:60])

"""Cross-validation of a propensity model and its logistic baseline on a customer table."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
from sklearn.model_selection import StratifiedKFold

from crmind.errors import ConfigurationError
from crmind.predict.evaluate import evaluate_binary
from crmind.predict.models import MODEL_KINDS, ModelKind, PropensityModel


def cross_validate(
    features: pl.DataFrame,
    target: np.ndarray,
    *,
    folds: int = 5,
    random_state: int = 0,
    model: ModelKind = "lightgbm",
) -> dict[str, Any]:
    """Stratified k-fold metrics of ``model`` and the logistic baseline: mean and spread.

    The report holds ``model`` (its kind) and one entry of metrics per kind evaluated (``model``
    and ``logistic``), each metric's mean and standard deviation over the folds.
    """
    if folds < 2:
        raise ConfigurationError(f"folds must be at least 2, not {folds}")
    if model not in MODEL_KINDS:
        raise ConfigurationError(f"model={model!r}: expected one of {', '.join(MODEL_KINDS)}")
    splitter = StratifiedKFold(folds, shuffle=True, random_state=random_state)
    kinds: list[ModelKind] = [model] if model == "logistic" else [model, "logistic"]
    runs: dict[str, list[dict[str, float]]] = {kind: [] for kind in kinds}
    for train, test in splitter.split(np.zeros(len(target)), target):
        for kind in kinds:
            fitted = PropensityModel(model=kind, random_state=random_state)
            fitted.fit(features[train], target[train])
            runs[kind].append(evaluate_binary(target[test], fitted.predict_proba(features[test])))
    summary: dict[str, Any] = {
        "rows": len(target),
        "positive_rate": float(target.mean()),
        "folds": folds,
        "features": features.columns,
        "model": model,
    }
    for name_of_kind, metrics in runs.items():
        summary[name_of_kind] = {
            name: {
                "mean": float(np.mean([m[name] for m in metrics])),
                "sd": float(np.std([m[name] for m in metrics])),
            }
            for name in ("roc_auc", "pr_auc", "brier", "top_decile_lift")
        }
    return summary

"""Cross-validation of the propensity model and its logistic baseline on a customer table."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
from sklearn.model_selection import StratifiedKFold

from crmind.errors import ConfigurationError
from crmind.predict.evaluate import evaluate_binary
from crmind.predict.models import PropensityModel


def cross_validate(
    features: pl.DataFrame, target: np.ndarray, *, folds: int = 5, random_state: int = 0
) -> dict[str, Any]:
    """Stratified k-fold metrics of the model and the logistic baseline: mean and spread."""
    if folds < 2:
        raise ConfigurationError(f"folds must be at least 2, not {folds}")
    splitter = StratifiedKFold(folds, shuffle=True, random_state=random_state)
    runs: dict[str, list[dict[str, float]]] = {"lightgbm": [], "logistic": []}
    for train, test in splitter.split(np.zeros(len(target)), target):
        for kind in runs:
            model = PropensityModel(model=kind, random_state=random_state)  # type: ignore[arg-type]
            model.fit(features[train], target[train])
            runs[kind].append(evaluate_binary(target[test], model.predict_proba(features[test])))
    summary: dict[str, Any] = {
        "rows": len(target),
        "positive_rate": float(target.mean()),
        "folds": folds,
        "features": features.columns,
    }
    for kind, metrics in runs.items():
        summary[kind] = {
            name: {
                "mean": float(np.mean([m[name] for m in metrics])),
                "sd": float(np.std([m[name] for m in metrics])),
            }
            for name in ("roc_auc", "pr_auc", "brier", "top_decile_lift")
        }
    return summary

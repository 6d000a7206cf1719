from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from crmind.errors import ConfigurationError
from crmind.predict.validation import cross_validate


def _table(rows: int = 600) -> tuple[pl.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    recency = rng.exponential(60, rows)
    plan = rng.choice(["monthly", "yearly"], rows)
    logit = (recency - 60) / 30 + np.where(plan == "monthly", 0.8, -0.8)
    target = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    return pl.DataFrame({"recency_days": recency, "plan": plan}), target


def test_both_models_find_the_signal_in_every_fold_summary() -> None:
    features, target = _table()
    report = cross_validate(features, target, folds=3)
    assert report["rows"] == 600
    assert report["features"] == ["recency_days", "plan"]
    for kind in ("lightgbm", "logistic"):
        assert report[kind]["roc_auc"]["mean"] > 0.75
        assert report[kind]["roc_auc"]["sd"] >= 0.0


def test_the_blend_is_evaluated_beside_the_logistic_baseline() -> None:
    features, target = _table()
    report = cross_validate(features, target, folds=3, model="blend")
    assert report["model"] == "blend"
    assert set(report) >= {"blend", "logistic"}
    assert "lightgbm" not in report
    assert report["blend"]["roc_auc"]["mean"] > 0.75


def test_an_unknown_model_is_refused() -> None:
    features, target = _table(100)
    with pytest.raises(ConfigurationError, match="model='xgboost'"):
        cross_validate(features, target, folds=2, model="xgboost")  # type: ignore[arg-type]


def test_fewer_than_two_folds_is_refused() -> None:
    features, target = _table(100)
    with pytest.raises(ConfigurationError, match="folds"):
        cross_validate(features, target, folds=1)

"""Shaping a run's metrics: the model beside its baselines, with the better side marked."""

from __future__ import annotations

from crmind.web.model_metrics import run_metrics


def test_a_prediction_run_is_compared_with_its_baselines() -> None:
    parts = run_metrics(
        {
            "model": {"roc_auc": 0.74, "brier": 0.20, "n": 100},
            "logistic_baseline": {"roc_auc": 0.73, "brier": 0.19},
            "recency_rule": {"roc_auc": 0.68},
            "importance": [{"feature": "frequency", "gain": 12.0}],
            "gate": {"passed": True, "message": "ok"},
            "train_examples": 500,
        }
    )
    assert parts.comparison is not None
    assert parts.comparison.columns == ["model", "logistic_baseline", "recency_rule"]
    rows = {metric: better for metric, _, better in parts.comparison.rows}
    assert rows == {"roc_auc": True, "brier": False}  # lower Brier is better: the baseline wins
    assert parts.drivers == [("frequency", 12.0)]
    assert ("train_examples", "500") in parts.other


def test_a_recommender_run_puts_the_stored_model_first() -> None:
    parts = run_metrics(
        {
            "models": {"popularity": {"ndcg@10": 0.03}, "hybrid": {"ndcg@10": 0.09}},
            "stored_model": "hybrid",
        }
    )
    assert parts.comparison is not None
    assert parts.comparison.columns == ["hybrid", "popularity"]
    assert parts.comparison.rows == [("ndcg@10", [0.09, 0.03], True)]


def test_a_run_without_baselines_has_no_comparison() -> None:
    assert run_metrics({"customers": 10}).comparison is None

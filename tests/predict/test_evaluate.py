from __future__ import annotations

from datetime import datetime

import numpy as np
import numpy.typing as npt
import polars as pl
import pytest
from sklearn.calibration import calibration_curve as sk_calibration_curve
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from crmind.errors import ConfigurationError, ModelDataError
from crmind.predict.evaluate import (
    GateResult,
    QualityGate,
    base_rate_metrics,
    best_recency_rule,
    brier,
    calibration_curve,
    evaluate_binary,
    pr_auc,
    quality_gate,
    recency_rule_scores,
    roc_auc,
    time_split,
    top_decile_lift,
)

FloatArray = npt.NDArray[np.float64]


def sample(n: int = 2_000, seed: int = 0) -> tuple[FloatArray, FloatArray]:
    """Labels and tie-heavy probabilities (rounded to 0.05) that carry some signal."""
    rng = np.random.default_rng(seed)
    truth = rng.uniform(size=n)
    y = (rng.uniform(size=n) < truth).astype(np.float64)
    p = np.round(np.clip(truth + rng.normal(0, 0.3, n), 0, 1) * 20) / 20
    return y, p


def test_roc_auc_matches_sklearn_with_ties() -> None:
    y, p = sample()
    assert roc_auc(y, p) == pytest.approx(roc_auc_score(y, p), abs=1e-12)


def test_roc_auc_hand_values() -> None:
    assert roc_auc([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4]) == 1.0
    assert roc_auc([0, 0, 1, 1], [0.4, 0.3, 0.2, 0.1]) == 0.0
    assert roc_auc([0, 1], [0.5, 0.5]) == 0.5


def test_pr_auc_matches_sklearn_average_precision_with_ties() -> None:
    y, p = sample(seed=1)
    assert pr_auc(y, p) == pytest.approx(average_precision_score(y, p), abs=1e-12)
    assert pr_auc([0, 1, 0, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(
        average_precision_score([0, 1, 0, 1], [0.1, 0.4, 0.35, 0.8])
    )


def test_brier_matches_sklearn() -> None:
    y, p = sample(seed=2)
    assert brier(y, p) == pytest.approx(brier_score_loss(y, p))
    assert brier([1, 0], [1.0, 0.0]) == 0.0


def test_calibration_curve_matches_sklearn() -> None:
    y, p = sample(seed=3)
    curve = calibration_curve(y, p, bins=10)
    observed, predicted = sk_calibration_curve(y, p, n_bins=10, strategy="uniform")
    np.testing.assert_allclose(curve["observed_rate"].to_numpy(), observed)
    np.testing.assert_allclose(curve["mean_predicted"].to_numpy(), predicted)
    assert curve["count"].sum() == y.size
    assert curve.columns == ["bin", "lower", "upper", "mean_predicted", "observed_rate", "count"]


def test_lift_of_a_perfect_scorer_is_one_over_the_base_rate() -> None:
    y = np.array([1.0] * 20 + [0.0] * 80)
    assert top_decile_lift(y, y) == pytest.approx(5.0)


def test_lift_of_random_and_constant_scorers_is_about_one() -> None:
    rng = np.random.default_rng(4)
    y = (rng.uniform(size=50_000) < 0.3).astype(np.float64)
    assert top_decile_lift(y, rng.uniform(size=y.size)) == pytest.approx(1.0, abs=0.08)
    assert top_decile_lift(y, np.full(y.size, 0.3)) == pytest.approx(1.0)


def test_lift_counts_ties_at_the_boundary_in_proportion() -> None:
    # top 10 % of 10 rows = 1 row; two rows tie for it, one positive: half a hit; base rate 0.2
    y = [1, 0, 1, 0, 0, 0, 0, 0, 0, 0]
    p = [0.9, 0.9, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]
    assert top_decile_lift(y, p) == pytest.approx(0.5 / 0.2)


def test_metrics_refuse_bad_input() -> None:
    with pytest.raises(ModelDataError, match="needs both classes"):
        roc_auc([1, 1], [0.2, 0.3])
    with pytest.raises(ModelDataError, match="as many scores as labels"):
        pr_auc([0, 1], [0.2])
    with pytest.raises(ModelDataError, match="labels must be 0 or 1"):
        roc_auc([0, 2], [0.1, 0.2])
    with pytest.raises(ModelDataError, match=r"probabilities must lie in \[0, 1\]"):
        brier([0, 1], [0.5, 3.0])
    with pytest.raises(ModelDataError, match="finite"):
        roc_auc([0, 1], [0.1, float("nan")])
    with pytest.raises(ConfigurationError, match="fraction"):
        top_decile_lift([0, 1], [0.1, 0.2], fraction=0.0)


def test_evaluate_binary_returns_every_metric_and_brier_only_for_probabilities() -> None:
    y, p = sample(seed=5)
    metrics = evaluate_binary(y, p)
    assert set(metrics) == {"n", "base_rate", "roc_auc", "pr_auc", "top_decile_lift", "brier"}
    assert metrics["roc_auc"] == roc_auc(y, p)
    assert "brier" not in evaluate_binary(y, p * 100)


def profiles_with_churn(n: int = 4_000, seed: int = 6) -> tuple[pl.DataFrame, FloatArray]:
    """Customers whose churn follows recency relative to their own usual gap."""
    rng = np.random.default_rng(seed)
    gap = rng.uniform(5, 120, n)
    recency = rng.uniform(0, 200, n)
    churn = (rng.uniform(size=n) < 1 / (1 + np.exp(-(recency / gap - 2) * 3))).astype(float)
    gaps = pl.Series("interpurchase_mean_days", gap).scatter(range(0, n, 10), None)
    features = pl.DataFrame({"recency_days": recency}).with_columns(gaps)
    return features, churn


def test_recency_rule_scores_divide_by_the_usual_gap_with_a_fallback() -> None:
    features = pl.DataFrame(
        {"recency_days": [10.0, 30.0, 8.0], "interpurchase_mean_days": [5.0, None, 20.0]}
    )
    assert recency_rule_scores(features).tolist() == [10.0, 30.0, 8.0]
    relative = recency_rule_scores(features, "recency_over_gap")
    assert relative.tolist() == pytest.approx([2.0, 30.0 / 12.5, 0.4])  # median gap 12.5
    with pytest.raises(ConfigurationError, match="rule must be one of"):
        recency_rule_scores(features, "tenure")


def test_best_recency_rule_picks_the_relative_rule_when_churn_follows_it() -> None:
    features, churn = profiles_with_churn()
    name, scorer = best_recency_rule(features, churn)
    assert name == "recency_over_gap"
    assert roc_auc(churn, scorer(features)) > roc_auc(churn, recency_rule_scores(features))


def test_best_recency_rule_turns_round_for_a_purchase_target() -> None:
    features, churn = profiles_with_churn()
    name, scorer = best_recency_rule(features, 1 - churn)
    assert name.startswith("-")
    assert roc_auc(1 - churn, scorer(features)) > 0.6


def gate_inputs(model: str) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    """Held-out metrics of a model, of the best recency rule and of the base-rate baseline."""
    features, churn = profiles_with_churn(seed=7)
    half = features.height // 2
    train, test = features[:half], features[half:]
    train_y, test_y = churn[:half], churn[half:]
    _, rule = best_recency_rule(train.select("recency_days"), train_y)  # the plain rule
    relative = recency_rule_scores(test, "recency_over_gap")
    rng = np.random.default_rng(8)
    scores = 1 / (1 + np.exp(-(relative - 2) * 3)) if model == "good" else rng.uniform(size=half)
    return (
        evaluate_binary(test_y, scores),
        evaluate_binary(test_y, rule(test)),
        base_rate_metrics(train_y, test_y),
    )


def test_the_gate_refuses_a_random_model() -> None:
    model, rule, baseline = gate_inputs("random")
    result = quality_gate(model, rule, baseline)
    assert not result.passed
    assert f"roc_auc {model['roc_auc']:.4f} vs recency rule {rule['roc_auc']:.4f}" in result.message
    assert "top_decile_lift" in result.message


def test_the_gate_accepts_a_model_that_beats_the_rule() -> None:
    model, rule, baseline = gate_inputs("good")
    result = quality_gate(model, rule, baseline)
    assert result.passed, result.message
    assert f"roc_auc {model['roc_auc']:.4f} vs recency rule {rule['roc_auc']:.4f}" in result.message
    assert baseline["roc_auc"] == 0.5
    assert baseline["top_decile_lift"] == pytest.approx(1.0)


def test_the_gate_needs_both_metrics_and_honours_its_margin() -> None:
    rule = {"roc_auc": 0.70, "top_decile_lift": 2.0}
    baseline = {"roc_auc": 0.5, "top_decile_lift": 1.0}
    better_auc_only = {"roc_auc": 0.75, "top_decile_lift": 1.9}
    assert quality_gate(better_auc_only, rule, baseline) == GateResult(
        False, "model does not beat: top_decile_lift 1.9000 vs recency rule 2.0000"
    )
    better = {"roc_auc": 0.72, "top_decile_lift": 2.5}
    assert quality_gate(better, rule, baseline).passed
    assert not QualityGate(margin=0.05).check(better, rule, baseline).passed
    with pytest.raises(ModelDataError, match="model metrics lack 'top_decile_lift'"):
        quality_gate({"roc_auc": 0.9}, rule, baseline)


def examples_at(*cutoffs: datetime) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "customer_id": [1, 2] * len(cutoffs),
            "cutoff": [t for t in cutoffs for _ in range(2)],
            "label": [0, 1] * len(cutoffs),
        }
    )


def test_time_split_holds_out_the_latest_cutoff_without_overlap() -> None:
    cutoffs = (datetime(2024, 1, 1), datetime(2024, 2, 1), datetime(2024, 3, 1))
    examples = examples_at(*cutoffs)
    train, test = time_split(examples)
    assert test["cutoff"].unique().to_list() == [cutoffs[-1]]
    assert set(train["cutoff"]) == set(cutoffs[:-1])
    assert train["cutoff"].max() < test["cutoff"].min()  # type: ignore[operator]
    assert train.height + test.height == examples.height


def test_time_split_drops_training_windows_that_reach_the_test_period() -> None:
    examples = examples_at(datetime(2024, 1, 1), datetime(2024, 2, 1), datetime(2024, 3, 1))
    train, _ = time_split(examples, window_days=40)
    assert train["cutoff"].unique().to_list() == [datetime(2024, 1, 1)]
    with pytest.raises(ModelDataError, match="90-day window"):
        time_split(examples, window_days=90)


def test_time_split_needs_two_cutoffs() -> None:
    with pytest.raises(ModelDataError, match="no training cut-off"):
        time_split(examples_at(datetime(2024, 1, 1)))
    with pytest.raises(ModelDataError, match="cut-off column 'when'"):
        time_split(examples_at(datetime(2024, 1, 1)), cutoff_col="when")


def test_the_gate_wants_errors_lower_and_names_the_rule() -> None:
    gate = QualityGate(metrics=("rmse", "spearman"), rule_name="spend-rate rule")
    rule = {"rmse": 100.0, "spearman": 0.5}
    baseline = {"rmse": 150.0, "spearman": 0.0}
    better = gate.check({"rmse": 90.0, "spearman": 0.6}, rule, baseline)
    assert better.passed
    assert "beats the spend-rate rule" in better.message
    worse = gate.check({"rmse": 110.0, "spearman": 0.6}, rule, baseline)
    assert not worse.passed
    assert "rmse 110.0000 vs spend-rate rule 100.0000" in worse.message

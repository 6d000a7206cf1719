"""Evaluation of binary scorers on held-out data: metrics, the recency rule and the quality gate.

Metrics are small functions of ``y`` (0 / 1 labels) and ``p`` (scores, higher = more likely 1):
:func:`roc_auc` (ties count one half, as the Mann-Whitney statistic), :func:`pr_auc` (average
precision, the step-wise area scikit-learn's ``average_precision_score`` computes), :func:`brier`
(for probabilities), :func:`top_decile_lift` (positive rate among the top 10 % of scores over the
base rate; scores tied at the boundary count in proportion, so a constant scorer has lift 1) and
:func:`calibration_curve`. :func:`evaluate_binary` returns them all in one dict.

A model earns its place only by beating the obvious rule: :func:`best_recency_rule` picks, on
training data, the better of "longer since the last purchase = more likely to churn" and the same
relative to the customer's usual gap. :func:`quality_gate` then passes a model only when it beats
that rule and a baseline on ROC-AUC and top-decile lift. :func:`time_split` holds out the latest
cut-off of a frame of training examples (see :mod:`crmind.predict.labels`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy.stats import rankdata

from crmind.analytics.profile import INTERPURCHASE_MEAN_DAYS, RECENCY_DAYS
from crmind.errors import ConfigurationError, ModelDataError
from crmind.predict.labels import CUTOFF

FloatArray = npt.NDArray[np.float64]
Scorer = Callable[[pl.DataFrame], FloatArray]

ROC_AUC: Final = "roc_auc"
PR_AUC: Final = "pr_auc"
BRIER: Final = "brier"
TOP_DECILE_LIFT: Final = "top_decile_lift"
BASE_RATE: Final = "base_rate"
N: Final = "n"
RECENCY_RULES: Final = ("recency_days", "recency_over_gap")
"""The recency rules :func:`recency_rule_scores` knows."""


def _labels_and_scores(y: npt.ArrayLike, p: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """``y`` and ``p`` as float arrays of the same length; ``y`` only 0 and 1, ``p`` finite."""
    labels = np.asarray(y, dtype=np.float64).ravel()
    scores = np.asarray(p, dtype=np.float64).ravel()
    if labels.size == 0 or labels.size != scores.size:
        raise ModelDataError(
            f"need as many scores as labels, at least one: {labels.size} labels, "
            f"{scores.size} scores"
        )
    if not np.isin(labels, (0.0, 1.0)).all():
        raise ModelDataError(f"labels must be 0 or 1, got {sorted(set(labels.tolist()))[:5]}")
    if not np.isfinite(scores).all():
        raise ModelDataError("scores must be finite numbers; found NaN or infinity")
    return labels, scores


def _both_classes(labels: FloatArray, metric: str) -> None:
    positives = int(labels.sum())
    if positives in (0, labels.size):
        raise ModelDataError(
            f"{metric} needs both classes; all {labels.size} labels are {positives and 1}"
        )


def roc_auc(y: npt.ArrayLike, p: npt.ArrayLike) -> float:
    """Area under the ROC curve: the chance a random positive outscores a random negative."""
    labels, scores = _labels_and_scores(y, p)
    _both_classes(labels, "ROC-AUC")
    positives = float(labels.sum())
    negatives = labels.size - positives
    ranks = rankdata(scores)  # average ranks: ties count one half
    rank_sum = float(ranks[labels == 1].sum())
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def pr_auc(y: npt.ArrayLike, p: npt.ArrayLike) -> float:
    """Average precision: precision at each distinct threshold weighted by the recall it adds."""
    labels, scores = _labels_and_scores(y, p)
    _both_classes(labels, "PR-AUC")
    order = np.argsort(-scores, kind="stable")
    ranked_scores, ranked_labels = scores[order], labels[order]
    last_of_tie = np.r_[np.flatnonzero(np.diff(ranked_scores)), ranked_scores.size - 1]
    true_pos = np.cumsum(ranked_labels)[last_of_tie]
    precision = true_pos / (last_of_tie + 1)
    recall = true_pos / true_pos[-1]
    return float(np.sum(np.diff(recall, prepend=0.0) * precision))


def brier(y: npt.ArrayLike, p: npt.ArrayLike) -> float:
    """Mean squared difference between probabilities and outcomes (0 is perfect)."""
    labels, scores = _labels_and_scores(y, p)
    _require_probabilities(scores)
    return float(np.mean((scores - labels) ** 2))


def top_decile_lift(y: npt.ArrayLike, p: npt.ArrayLike, fraction: float = 0.1) -> float:
    """Positive rate among the top ``fraction`` of scores divided by the base rate.

    The top holds ``ceil(fraction * n)`` rows; rows tied at its boundary count in proportion.
    """
    if not 0 < fraction <= 1:
        raise ConfigurationError(f"fraction must be in (0, 1], not {fraction}")
    labels, scores = _labels_and_scores(y, p)
    base_rate = labels.mean()
    if base_rate == 0:
        raise ModelDataError("lift needs at least one positive label; all are 0")
    top = math.ceil(fraction * labels.size)
    boundary = np.sort(scores)[::-1][top - 1]
    above = scores > boundary
    tied = scores == boundary
    share = (top - int(above.sum())) / int(tied.sum())
    hits = labels[above].sum() + share * labels[tied].sum()
    return float(hits / top / base_rate)


def calibration_curve(y: npt.ArrayLike, p: npt.ArrayLike, bins: int = 10) -> pl.DataFrame:
    """Observed positive rate against mean probability in ``bins`` equal-width bins of [0, 1].

    Columns: ``bin`` (0-based), ``lower``, ``upper``, ``mean_predicted``, ``observed_rate``,
    ``count``; empty bins are left out. A probability on an inner edge falls in the lower bin
    (as in scikit-learn).
    """
    if bins < 1:
        raise ConfigurationError(f"bins must be at least 1, not {bins}")
    labels, scores = _labels_and_scores(y, p)
    _require_probabilities(scores)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.searchsorted(edges[1:-1], scores, side="left")
    frame = pl.DataFrame({"bin": which.astype(np.int64), "p": scores, "y": labels})
    return (
        frame.group_by("bin")
        .agg(
            pl.col("p").mean().alias("mean_predicted"),
            pl.col("y").mean().alias("observed_rate"),
            pl.len().cast(pl.Int64).alias("count"),
        )
        .sort("bin")
        .with_columns(
            (pl.col("bin") / bins).alias("lower"),
            ((pl.col("bin") + 1) / bins).alias("upper"),
        )
        .select("bin", "lower", "upper", "mean_predicted", "observed_rate", "count")
    )


def evaluate_binary(y: npt.ArrayLike, p: npt.ArrayLike) -> dict[str, float]:
    """Every metric of this module; ``brier`` only when the scores are probabilities."""
    labels, scores = _labels_and_scores(y, p)
    metrics = {
        N: float(labels.size),
        BASE_RATE: float(labels.mean()),
        ROC_AUC: roc_auc(labels, scores),
        PR_AUC: pr_auc(labels, scores),
        TOP_DECILE_LIFT: top_decile_lift(labels, scores),
    }
    if ((scores >= 0) & (scores <= 1)).all():
        metrics[BRIER] = brier(labels, scores)
    return metrics


def base_rate_metrics(train_y: npt.ArrayLike, test_y: npt.ArrayLike) -> dict[str, float]:
    """Metrics of the no-skill baseline that predicts the training base rate for everyone."""
    rate = float(np.asarray(train_y, dtype=np.float64).mean())
    labels = np.asarray(test_y, dtype=np.float64)
    return evaluate_binary(labels, np.full(labels.shape, rate))


def recency_rule_scores(
    features: pl.DataFrame, rule: str = "recency_days", *, fallback_gap_days: float | None = None
) -> FloatArray:
    """Churn scores of the recency rule ``rule`` (higher = more likely to churn).

    ``recency_days`` scores the days since the last purchase; ``recency_over_gap`` divides them
    by the customer's usual gap (``interpurchase_mean_days``), or by ``fallback_gap_days``
    (default: the median gap in ``features``, else 1) for customers with one purchase day.
    """
    if rule not in RECENCY_RULES:
        raise ConfigurationError(f"rule must be one of {', '.join(RECENCY_RULES)}, not {rule!r}")
    needed = [RECENCY_DAYS] if rule == "recency_days" else [RECENCY_DAYS, INTERPURCHASE_MEAN_DAYS]
    missing = [name for name in needed if name not in features.columns]
    if missing:
        raise ModelDataError(f"the {rule} rule needs column(s) {', '.join(missing)}")
    recency = features[RECENCY_DAYS].cast(pl.Float64).fill_null(0.0)
    if rule == "recency_days":
        return recency.to_numpy().astype(np.float64)
    gaps = features[INTERPURCHASE_MEAN_DAYS].cast(pl.Float64)
    fallback = fallback_gap_days if fallback_gap_days is not None else _median_gap(features)
    relative = recency / gaps.fill_null(fallback).clip(lower_bound=1e-9)
    return relative.to_numpy().astype(np.float64)


def best_recency_rule(train_features: pl.DataFrame, train_y: npt.ArrayLike) -> tuple[str, Scorer]:
    """The recency rule with the best ROC-AUC on the training data, as ``(name, scorer)``.

    Each rule is tried both ways round (``-name`` = fewer days, more likely 1), so the rule fits
    a purchase target as well as churn. The scorer keeps the training median gap as fallback.
    Without ``interpurchase_mean_days`` only the plain rule is tried.
    """
    fallback = _median_gap(train_features)
    rules = [RECENCY_RULES[0]]
    if INTERPURCHASE_MEAN_DAYS in train_features.columns:
        rules.append(RECENCY_RULES[1])
    best: tuple[float, str, Scorer] | None = None
    for rule in rules:
        scorer: Scorer = partial(recency_rule_scores, rule=rule, fallback_gap_days=fallback)
        auc = roc_auc(train_y, scorer(train_features))
        for name, score, chosen in ((rule, auc, scorer), (f"-{rule}", 1 - auc, _negated(scorer))):
            if best is None or score > best[0]:
                best = (score, name, chosen)
    assert best is not None
    return best[1], best[2]


@dataclass(frozen=True)
class GateResult:
    """Whether a model passed the quality gate, and why in words."""

    passed: bool
    message: str


@dataclass(frozen=True)
class QualityGate:
    """A model passes when it beats the rule and the baseline on every metric named.

    "Beats" means more than ``margin`` better: higher, or lower for the metrics in
    ``lower_is_better`` (errors). ``metrics`` are keys of the metric dicts compared, e.g. those of
    :func:`evaluate_binary` or :func:`crmind.predict.evaluate_spend.evaluate_spend`.
    """

    metrics: tuple[str, ...] = (ROC_AUC, TOP_DECILE_LIFT)
    margin: float = 0.0
    lower_is_better: frozenset[str] = frozenset({BRIER, "rmse", "mae"})
    rule_name: str = "recency rule"

    def check(
        self,
        model_metrics: Mapping[str, float],
        rule_metrics: Mapping[str, float],
        baseline_metrics: Mapping[str, float],
    ) -> GateResult:
        """Compare the model's metrics with the rule's and the baseline's."""
        opponents = {self.rule_name: rule_metrics, "baseline": baseline_metrics}
        failures: list[str] = []
        facts: list[str] = []
        for metric in self.metrics:
            mine = _metric(model_metrics, metric, "model")
            for who, theirs in opponents.items():
                other = _metric(theirs, metric, who)
                fact = f"{metric} {mine:.4f} vs {who} {other:.4f}"
                facts.append(fact)
                lower = metric in self.lower_is_better
                beats = mine < other - self.margin if lower else mine > other + self.margin
                if not beats:
                    failures.append(fact)
        if failures:
            return GateResult(False, "model does not beat: " + "; ".join(failures))
        return GateResult(
            True, f"model beats the {self.rule_name} and baseline: " + "; ".join(facts)
        )


def quality_gate(
    model_metrics: Mapping[str, float],
    rule_metrics: Mapping[str, float],
    baseline_metrics: Mapping[str, float],
) -> GateResult:
    """The default :class:`QualityGate`: beat rule and baseline on ROC-AUC and top-decile lift."""
    return QualityGate().check(model_metrics, rule_metrics, baseline_metrics)


def time_split(
    examples: pl.DataFrame, cutoff_col: str = CUTOFF, *, window_days: int | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``(train, test)``: test = the rows of the latest cut-off, train = the earlier ones.

    With ``window_days``, train keeps only cut-offs whose label window ends by the test cut-off,
    so no training label sees the test period.
    """
    if cutoff_col not in examples.columns:
        raise ModelDataError(f"examples lack the cut-off column {cutoff_col!r}")
    latest = examples[cutoff_col].max()
    if latest is None or isinstance(latest, bytes):
        raise ModelDataError("examples is empty: nothing to split")
    train = examples.filter(pl.col(cutoff_col) < latest)
    if window_days is not None:
        train = train.filter(pl.col(cutoff_col) + timedelta(days=window_days) <= latest)
    if train.is_empty():
        raise ModelDataError(
            f"no training cut-off before the latest ({latest}) "
            + ("" if window_days is None else f"with its {window_days}-day window ending by it")
        )
    return train, examples.filter(pl.col(cutoff_col) == latest)


def _negated(scorer: Scorer) -> Scorer:
    def negated(features: pl.DataFrame) -> FloatArray:
        return -scorer(features)

    return negated


def _median_gap(features: pl.DataFrame) -> float:
    if INTERPURCHASE_MEAN_DAYS not in features.columns:
        return 1.0
    median = features[INTERPURCHASE_MEAN_DAYS].cast(pl.Float64).median()
    return float(median) if isinstance(median, float) and median > 0 else 1.0


def _metric(metrics: Mapping[str, float], name: str, who: str) -> float:
    if name not in metrics:
        raise ModelDataError(f"{who} metrics lack {name!r}; they have {', '.join(metrics)}")
    return float(metrics[name])


def _require_probabilities(scores: FloatArray) -> None:
    if ((scores < 0) | (scores > 1)).any():
        raise ModelDataError(
            f"probabilities must lie in [0, 1]; got {scores.min():.4g} to {scores.max():.4g}"
        )

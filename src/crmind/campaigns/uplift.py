"""Uplift of a campaign: the conversion rate of the treated minus that of the holdout, with a
confidence interval (Newcombe's hybrid score interval, method 10 of Newcombe 1998, which keeps
its coverage for small groups and rare conversions where the Wald interval does not), and the
same for revenue per customer (Welch's normal interval)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class RateUplift:
    treated: int
    treated_conversions: int
    holdout: int
    holdout_conversions: int
    treated_rate: float
    holdout_rate: float
    uplift: float
    low: float
    high: float
    p_value: float
    confidence: float


@dataclass(frozen=True)
class MeanUplift:
    treated_mean: float
    holdout_mean: float
    uplift: float
    low: float
    high: float
    confidence: float


def wilson(successes: int, total: int, z: float) -> tuple[float, float]:
    """Wilson's score interval of a proportion."""
    if total == 0:
        return 0.0, 1.0
    p = successes / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def rate_uplift(
    treated_conversions: int,
    treated: int,
    holdout_conversions: int,
    holdout: int,
    confidence: float = 0.95,
) -> RateUplift:
    """Difference of conversion rates (treated - holdout) with Newcombe's interval and the
    two-sided p-value of the pooled two-proportion z-test."""
    if treated <= 0 or holdout <= 0:
        raise ValueError("uplift needs at least one treated and one holdout customer")
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    p1 = treated_conversions / treated
    p2 = holdout_conversions / holdout
    l1, u1 = wilson(treated_conversions, treated, z)
    l2, u2 = wilson(holdout_conversions, holdout, z)
    difference = p1 - p2
    low = difference - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = difference + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    pooled = (treated_conversions + holdout_conversions) / (treated + holdout)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / treated + 1 / holdout))
    p_value = 1.0 if spread == 0 else float(2 * stats.norm.sf(abs(difference) / spread))
    return RateUplift(
        treated=treated,
        treated_conversions=treated_conversions,
        holdout=holdout,
        holdout_conversions=holdout_conversions,
        treated_rate=p1,
        holdout_rate=p2,
        uplift=difference,
        low=low,
        high=high,
        p_value=p_value,
        confidence=confidence,
    )


def mean_uplift(treated: np.ndarray, holdout: np.ndarray, confidence: float = 0.95) -> MeanUplift:
    """Difference of means (e.g. revenue per customer in the window) with Welch's interval."""
    if treated.size < 2 or holdout.size < 2:
        raise ValueError("a mean uplift needs at least two customers in each group")
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    difference = float(treated.mean() - holdout.mean())
    spread = math.sqrt(treated.var(ddof=1) / treated.size + holdout.var(ddof=1) / holdout.size)
    return MeanUplift(
        treated_mean=float(treated.mean()),
        holdout_mean=float(holdout.mean()),
        uplift=difference,
        low=difference - z * spread,
        high=difference + z * spread,
        confidence=confidence,
    )

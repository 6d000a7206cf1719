"""Lifecycle stages: where each customer stands against their own buying rhythm.

:func:`lifecycle_stages` reads a profile frame (:func:`crmind.analytics.profile.build_profiles`,
which fixes ``as_of``), or order lines it profiles itself, and compares each customer's
``recency_days`` with the gap they usually leave between purchase days: a customer who buys every
week is at risk after a quiet month, one who buys every quarter is not.

The *expected gap* of a customer is their own mean gap (``interpurchase_mean_days``) when they have
bought on at least 2 days; with a single purchase day it is the population gap: the median of the
mean gaps of the customers in ``profiles`` who have one (``fallback_gap_days`` if nobody does).
Either way it is at least ``min_gap_days``. The *recency ratio* is ``recency_days / expected gap``.

For *reactivated*, the gap before the last purchase day (``last_gap_days``) is compared with the
customer's rhythm before it (the *prior gap*): the mean of their earlier gaps, or the population
gap when the last gap is their only one (at least ``min_gap_days`` too).

The rules, checked in this order; the first that holds names the stage (thresholds are fields of
:class:`LifecycleThresholds`, defaults in brackets):

===========  =======================================================================================
stage        rule
===========  =======================================================================================
new          one purchase day only, and the first order at most ``new_days`` (30) days before as_of
churned      recency ratio > ``churned_ratio`` (4.0), or recency_days > ``churn_days`` (365; None:
             no cap)
lapsed       recency ratio > ``lapsed_ratio`` (2.5)
at_risk      recency ratio > ``at_risk_ratio`` (1.5)
reactivated  recency ratio <= 1 (bought again within the expected gap) after a last gap longer than
             ``lapsed_ratio`` x the prior gap or longer than ``churn_days``: the customer had
             lapsed or churned and came back
active       everything else: buying in their usual rhythm
===========  =======================================================================================

Output columns: customer_id, lifecycle_stage (one of :data:`LIFECYCLE_STAGES`), recency_days,
expected_gap_days, gap_basis (``"own"``: the customer's mean gap; ``"population"``: the population
gap), recency_ratio, last_gap_days, prior_gap_days (null with one purchase day). Rows keep the
order of ``profiles``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import polars as pl

from crmind import columns as c
from crmind.analytics.profile import (
    AS_OF,
    FREQUENCY,
    INTERPURCHASE_MEAN_DAYS,
    LAST_GAP_DAYS,
    LINE_COLUMNS,
    RECENCY_DAYS,
    TENURE_DAYS,
    build_profiles,
    naive_utc,
    require_columns,
)
from crmind.errors import ConfigurationError, ModelDataError

NEW: Final = "new"
ACTIVE: Final = "active"
AT_RISK: Final = "at_risk"
LAPSED: Final = "lapsed"
CHURNED: Final = "churned"
REACTIVATED: Final = "reactivated"
LIFECYCLE_STAGES: Final = (NEW, ACTIVE, AT_RISK, LAPSED, CHURNED, REACTIVATED)
"""Every stage :func:`lifecycle_stages` can give."""

LIFECYCLE_STAGE: Final = "lifecycle_stage"
EXPECTED_GAP_DAYS: Final = "expected_gap_days"
GAP_BASIS: Final = "gap_basis"
RECENCY_RATIO: Final = "recency_ratio"
PRIOR_GAP_DAYS: Final = "prior_gap_days"

LIFECYCLE_COLUMNS: Final = (
    c.CUSTOMER_ID,
    LIFECYCLE_STAGE,
    RECENCY_DAYS,
    EXPECTED_GAP_DAYS,
    GAP_BASIS,
    RECENCY_RATIO,
    LAST_GAP_DAYS,
    PRIOR_GAP_DAYS,
)
"""The columns :func:`lifecycle_stages` returns, in order."""

_NEEDED: Final = (
    c.CUSTOMER_ID,
    TENURE_DAYS,
    RECENCY_DAYS,
    FREQUENCY,
    INTERPURCHASE_MEAN_DAYS,
    LAST_GAP_DAYS,
)


@dataclass(frozen=True)
class LifecycleThresholds:
    """The numbers behind the lifecycle rules (see the module docstring); all in days or ratios."""

    new_days: float = 30.0
    """A one-time buyer whose first order is at most this many days old is new."""
    at_risk_ratio: float = 1.5
    """Recency above this many expected gaps: at risk."""
    lapsed_ratio: float = 2.5
    """Recency above this many expected gaps: lapsed (and a gap this long before a comeback)."""
    churned_ratio: float = 4.0
    """Recency above this many expected gaps: churned."""
    churn_days: float | None = 365.0
    """Recency above this many days: churned whatever the rhythm (None: no cap)."""
    min_gap_days: float = 7.0
    """The expected gap is never shorter than this (orders on consecutive days are no rhythm)."""
    fallback_gap_days: float = 90.0
    """The population gap when no customer has bought on two days."""

    def __post_init__(self) -> None:
        numbers = {
            "new_days": self.new_days,
            "at_risk_ratio": self.at_risk_ratio,
            "lapsed_ratio": self.lapsed_ratio,
            "churned_ratio": self.churned_ratio,
            "min_gap_days": self.min_gap_days,
            "fallback_gap_days": self.fallback_gap_days,
        }
        if self.churn_days is not None:
            numbers["churn_days"] = self.churn_days
        for name, value in numbers.items():
            if not math.isfinite(value) or value < 0 or (value == 0 and name != "new_days"):
                raise ConfigurationError(
                    f"lifecycle threshold {name} must be a positive number, got {value!r}"
                )
        if not self.at_risk_ratio < self.lapsed_ratio < self.churned_ratio:
            raise ConfigurationError(
                "lifecycle thresholds must rise: at_risk_ratio < lapsed_ratio < churned_ratio, got "
                f"{self.at_risk_ratio}, {self.lapsed_ratio}, {self.churned_ratio}"
            )


def population_gap_days(
    profiles: pl.DataFrame, thresholds: LifecycleThresholds = LifecycleThresholds()
) -> float:
    """The median of the mean gaps of the customers who bought on 2 days or more.

    ``thresholds.fallback_gap_days`` when nobody did; :func:`lifecycle_stages` applies the floor
    ``min_gap_days`` on top.
    """
    require_columns(profiles, (INTERPURCHASE_MEAN_DAYS,), "profiles")
    median = profiles[INTERPURCHASE_MEAN_DAYS].median()
    if median is None:
        return thresholds.fallback_gap_days
    if not isinstance(median, float | int):
        raise ModelDataError(f"profiles.{INTERPURCHASE_MEAN_DAYS} must be numeric")
    return float(median)


def lifecycle_stages(
    data: pl.DataFrame,
    *,
    as_of: datetime | None = None,
    thresholds: LifecycleThresholds = LifecycleThresholds(),
    population_gap: float | None = None,
) -> pl.DataFrame:
    """Each customer's lifecycle stage and the numbers behind it (see the module docstring).

    ``data`` is a profile frame, or order lines, which are profiled here up to ``as_of`` (default:
    their last order). A profile frame already has its ``as_of``; passing another one is an error.
    ``population_gap`` replaces the population gap of ``data`` (:func:`population_gap_days`):
    a few customers staged again between two analysis runs keep the gap of the whole population.
    """
    profiles = _profiles(data, as_of)
    t = thresholds
    if population_gap is None:
        population_gap = population_gap_days(profiles, t)
    population = max(population_gap, t.min_gap_days)
    frequency = pl.col(FREQUENCY)
    mean_gap = pl.col(INTERPURCHASE_MEAN_DAYS)
    last_gap = pl.col(LAST_GAP_DAYS)
    own = frequency >= 1
    # the mean of the gaps before the last one: all gaps add up to mean * frequency
    earlier = (mean_gap * frequency - last_gap) / (frequency - 1)
    prior = pl.when(frequency >= 2).then(earlier).otherwise(pl.lit(population))
    staged = profiles.select(
        c.CUSTOMER_ID,
        TENURE_DAYS,
        RECENCY_DAYS,
        FREQUENCY,
        pl.when(own)
        .then(pl.max_horizontal(mean_gap, pl.lit(t.min_gap_days)))
        .otherwise(pl.lit(population))
        .alias(EXPECTED_GAP_DAYS),
        pl.when(own).then(pl.lit("own")).otherwise(pl.lit("population")).alias(GAP_BASIS),
        LAST_GAP_DAYS,
        pl.when(own).then(pl.max_horizontal(prior, pl.lit(t.min_gap_days))).alias(PRIOR_GAP_DAYS),
    ).with_columns((pl.col(RECENCY_DAYS) / pl.col(EXPECTED_GAP_DAYS)).alias(RECENCY_RATIO))
    return staged.with_columns(_stage(t).alias(LIFECYCLE_STAGE)).select(LIFECYCLE_COLUMNS)


def _profiles(data: pl.DataFrame, as_of: datetime | None) -> pl.DataFrame:
    """``data`` itself if it is a profile frame, else the profiles of its order lines."""
    if RECENCY_DAYS not in data.columns and all(name in data.columns for name in LINE_COLUMNS):
        return build_profiles(data, as_of=as_of)
    require_columns(data, _NEEDED, "profiles")
    if as_of is not None:
        require_columns(data, (AS_OF,), "profiles")
        wanted = naive_utc(as_of)
        found = data[AS_OF].unique().to_list()
        if data.height and found != [wanted]:
            raise ModelDataError(
                f"profiles describe as_of {', '.join(map(str, found))}, not {wanted}: "
                "build them with build_profiles(lines, as_of=...) or pass the lines"
            )
    return data


def _stage(t: LifecycleThresholds) -> pl.Expr:
    """The first rule of the module docstring's table that holds, as a polars expression."""
    ratio = pl.col(RECENCY_RATIO)
    recency = pl.col(RECENCY_DAYS)
    churn_cap = pl.lit(math.inf if t.churn_days is None else t.churn_days)
    lapsed_before = pl.min_horizontal(t.lapsed_ratio * pl.col(PRIOR_GAP_DAYS), churn_cap)
    return (
        pl.when((pl.col(FREQUENCY) == 0) & (pl.col(TENURE_DAYS) <= t.new_days))
        .then(pl.lit(NEW))
        .when((ratio > t.churned_ratio) | (recency > churn_cap))
        .then(pl.lit(CHURNED))
        .when(ratio > t.lapsed_ratio)
        .then(pl.lit(LAPSED))
        .when(ratio > t.at_risk_ratio)
        .then(pl.lit(AT_RISK))
        .when((ratio <= 1) & (pl.col(LAST_GAP_DAYS) > lapsed_before))
        .then(pl.lit(REACTIVATED))
        .otherwise(pl.lit(ACTIVE))
    )

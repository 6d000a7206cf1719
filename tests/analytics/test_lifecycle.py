from __future__ import annotations

from datetime import datetime
from typing import Any

import polars as pl
import pytest

from crmind.analytics.lifecycle import (
    LIFECYCLE_COLUMNS,
    LIFECYCLE_STAGES,
    LifecycleThresholds,
    lifecycle_stages,
    population_gap_days,
)
from crmind.analytics.profile import build_profiles
from crmind.errors import ConfigurationError, ModelDataError
from tests.analytics.test_profile import ORDERS, lines_frame

COLUMNS = (
    "customer_id",
    "frequency",
    "interpurchase_mean_days",
    "last_gap_days",
    "recency_days",
    "tenure_days",
)
# one customer per stage; own mean gaps 10, 20, 30, 10, 200, 40, 200 -> population gap 30
PROFILES = pl.DataFrame(
    [
        (1, 3, 10.0, 10.0, 5.0, 40.0),  # ratio 0.5: active
        (2, 2, 20.0, 20.0, 35.0, 80.0),  # ratio 1.75: at_risk
        (3, 1, 30.0, 30.0, 90.0, 120.0),  # ratio 3: lapsed
        (4, 4, 10.0, 10.0, 41.0, 81.0),  # ratio 4.1: churned
        (5, 1, 200.0, 200.0, 366.0, 566.0),  # ratio 1.83 but over 365 days: churned
        (6, 3, 40.0, 100.0, 20.0, 140.0),  # gaps 10, 10, then 100: reactivated
        (7, 0, None, None, 10.0, 10.0),  # one purchase 10 days ago: new
        (8, 0, None, None, 60.0, 60.0),  # one purchase, 2 population gaps ago: at_risk
        (9, 1, 200.0, 200.0, 10.0, 210.0),  # back after 200 days against 30: reactivated
    ],
    schema=list(COLUMNS),
    orient="row",
)
STAGES = {
    1: "active",
    2: "at_risk",
    3: "lapsed",
    4: "churned",
    5: "churned",
    6: "reactivated",
    7: "new",
    8: "at_risk",
    9: "reactivated",
}


def by_customer(frame: pl.DataFrame) -> dict[int, dict[str, Any]]:
    return {row["customer_id"]: row for row in frame.iter_rows(named=True)}


def test_each_customer_gets_the_stage_of_the_first_rule_that_holds() -> None:
    stages = lifecycle_stages(PROFILES)
    assert stages.columns == list(LIFECYCLE_COLUMNS)
    assert dict(stages.select("customer_id", "lifecycle_stage").iter_rows()) == STAGES
    assert set(STAGES.values()) == set(LIFECYCLE_STAGES)


def test_the_numbers_behind_the_stages() -> None:
    rows = by_customer(lifecycle_stages(PROFILES))
    assert population_gap_days(PROFILES) == 30.0
    assert (rows[2]["expected_gap_days"], rows[2]["gap_basis"]) == (20.0, "own")
    assert rows[2]["recency_ratio"] == pytest.approx(1.75)
    assert rows[2]["prior_gap_days"] == pytest.approx(20.0)
    assert (rows[8]["expected_gap_days"], rows[8]["gap_basis"]) == (30.0, "population")
    assert rows[8]["recency_ratio"] == pytest.approx(2.0)
    assert rows[8]["prior_gap_days"] is None
    assert rows[6]["prior_gap_days"] == pytest.approx(10.0)  # the mean of the gaps before 100
    assert rows[6]["last_gap_days"] == 100.0
    assert rows[9]["prior_gap_days"] == pytest.approx(30.0)  # only one gap: the population's
    assert rows[5]["recency_ratio"] == pytest.approx(366 / 200)


def test_without_the_churn_cap_a_slow_buyer_is_only_at_risk() -> None:
    rows = by_customer(lifecycle_stages(PROFILES, thresholds=LifecycleThresholds(churn_days=None)))
    assert rows[5]["lifecycle_stage"] == "at_risk"


def test_thresholds_move_the_boundaries() -> None:
    strict = LifecycleThresholds(new_days=5, at_risk_ratio=0.4, lapsed_ratio=1.0, churned_ratio=1.5)
    rows = by_customer(lifecycle_stages(PROFILES, thresholds=strict))
    assert rows[1]["lifecycle_stage"] == "at_risk"  # ratio 0.5
    assert rows[2]["lifecycle_stage"] == "churned"  # ratio 1.75
    assert rows[7]["lifecycle_stage"] == "active"  # 10 days is no longer new; ratio 1/3


def test_the_expected_gap_has_a_floor() -> None:
    quick = pl.DataFrame(
        [(1, 1, 1.0, 1.0, 10.0, 11.0)], schema=list(COLUMNS), orient="row"
    )  # two orders a day apart, nothing for 10 days
    row = lifecycle_stages(quick).row(0, named=True)
    assert row["expected_gap_days"] == 7.0
    assert row["lifecycle_stage"] == "active"
    unfloored = LifecycleThresholds(min_gap_days=0.5)
    assert lifecycle_stages(quick, thresholds=unfloored)["lifecycle_stage"][0] == "churned"


def test_with_no_repeat_buyers_the_fallback_gap_is_used() -> None:
    once = pl.DataFrame([(1, 0, None, None, 100.0, 100.0)], schema=list(COLUMNS), orient="row")
    row = lifecycle_stages(once).row(0, named=True)
    assert (row["expected_gap_days"], row["gap_basis"]) == (90.0, "population")
    assert row["lifecycle_stage"] == "active"
    short = LifecycleThresholds(fallback_gap_days=20.0)
    assert lifecycle_stages(once, thresholds=short)["lifecycle_stage"][0] == "churned"


def test_a_given_population_gap_replaces_the_one_of_the_profiles() -> None:
    """Restaging a few customers between runs keeps the whole population's gap."""
    rows = by_customer(lifecycle_stages(PROFILES, population_gap=100.0))
    assert (rows[8]["expected_gap_days"], rows[8]["lifecycle_stage"]) == (100.0, "active")
    assert rows[9]["prior_gap_days"] == pytest.approx(100.0)


def test_order_lines_are_profiled_up_to_as_of() -> None:
    lines = lines_frame(ORDERS)
    as_of = datetime(2024, 1, 12)
    from_lines = lifecycle_stages(lines, as_of=as_of)
    profiles = build_profiles(lines, as_of=as_of)
    assert from_lines.equals(lifecycle_stages(profiles))
    assert from_lines.equals(lifecycle_stages(profiles, as_of=as_of))
    assert from_lines["customer_id"].to_list() == [1]  # the later customers are not there yet


def test_profiles_of_another_as_of_are_refused() -> None:
    profiles = build_profiles(lines_frame(ORDERS))
    with pytest.raises(ModelDataError, match="profiles describe as_of 2024-03-31"):
        lifecycle_stages(profiles, as_of=datetime(2024, 1, 12))


def test_missing_columns_are_named() -> None:
    with pytest.raises(ModelDataError, match="lacks column\\(s\\) last_gap_days"):
        lifecycle_stages(PROFILES.drop("last_gap_days"))


@pytest.mark.parametrize(
    "settings",
    [
        {"at_risk_ratio": 3.0},  # above lapsed_ratio
        {"lapsed_ratio": 5.0},  # above churned_ratio
        {"churn_days": 0.0},
        {"min_gap_days": -1.0},
        {"new_days": float("nan")},
        {"fallback_gap_days": 0.0},
    ],
)
def test_thresholds_that_make_no_sense_are_refused(settings: dict[str, float]) -> None:
    with pytest.raises(ConfigurationError, match="lifecycle threshold"):
        LifecycleThresholds(**settings)

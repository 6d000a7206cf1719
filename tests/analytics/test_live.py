from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from crmind.analytics.lifecycle import LifecycleThresholds, lifecycle_stages, population_gap_days
from crmind.analytics.live import STAGE_AS_OF, live_stages, purchase_rhythm
from crmind.analytics.profile import build_profiles
from tests.analytics.test_profile import lines_frame

START = datetime(2024, 1, 1)


def _purchases(rows: list[tuple[int, datetime]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows, schema={"customer_id": pl.Int64, "occurred_at": pl.Datetime("us")}, orient="row"
    )


def test_rhythm_counts_distinct_days_and_the_gap_before_the_last_one() -> None:
    rhythm = purchase_rhythm(
        _purchases(
            [
                (1, datetime(2024, 1, 1, 9)),
                (1, datetime(2024, 1, 1, 18)),  # same day: no new purchase day
                (1, datetime(2024, 1, 11, 8)),
                (1, datetime(2024, 2, 10, 8)),
                (2, datetime(2024, 3, 1, 12)),
            ]
        )
    )
    assert rhythm.rows() == [
        (1, datetime(2024, 1, 1, 9), datetime(2024, 2, 10, 8), 3, 30.0),
        (2, datetime(2024, 3, 1, 12), datetime(2024, 3, 1, 12), 1, None),
    ]


def test_a_lapsed_customer_who_buys_again_is_reactivated() -> None:
    history = [(1, START + timedelta(days=10 * k)) for k in range(4)]  # every 10 days
    lapsed_at = START + timedelta(days=30 + 35)  # 3.5 usual gaps after the last: lapsed
    before = purchase_rhythm(_purchases(history)).with_columns(pl.lit(lapsed_at).alias(STAGE_AS_OF))
    assert live_stages(before, population_gap=30.0)["lifecycle_stage"].to_list() == ["lapsed"]

    after = purchase_rhythm(_purchases([*history, (1, lapsed_at)])).with_columns(
        pl.lit(lapsed_at).alias(STAGE_AS_OF)
    )
    assert live_stages(after, population_gap=30.0)["lifecycle_stage"].to_list() == ["reactivated"]


def test_a_first_purchase_makes_a_new_customer() -> None:
    rhythm = purchase_rhythm(_purchases([(5, START)])).with_columns(
        pl.lit(START + timedelta(hours=1)).alias(STAGE_AS_OF)
    )
    assert live_stages(rhythm, population_gap=None)["lifecycle_stage"].to_list() == ["new"]


def test_no_rows_give_no_stages() -> None:
    empty = purchase_rhythm(_purchases([])).with_columns(
        pl.lit(START).cast(pl.Datetime("us")).alias(STAGE_AS_OF)
    )
    assert live_stages(empty, population_gap=30.0).is_empty()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 6), st.integers(0, 900), st.integers(0, 23)),
        min_size=1,
        max_size=40,
    ),
    st.integers(0, 400),
)
def test_live_stages_equal_the_batch_stages(
    purchases: list[tuple[int, int, int]], extra_days: int
) -> None:
    """The same purchases staged as of the same time give the analysis run's stages."""
    orders = [
        {"customer": customer, "at": START + timedelta(days=day, hours=hour), "lines": [(1, 1, 5)]}
        for customer, day, hour in purchases
    ]
    lines = lines_frame(orders)
    last = lines["occurred_at"].max()
    assert isinstance(last, datetime)
    as_of = last + timedelta(days=extra_days)
    profiles = build_profiles(lines, as_of=as_of)
    thresholds = LifecycleThresholds()
    batch = lifecycle_stages(profiles, thresholds=thresholds)

    rhythm = purchase_rhythm(lines.select("customer_id", "occurred_at")).with_columns(
        pl.lit(as_of).cast(pl.Datetime("us")).alias(STAGE_AS_OF)
    )
    live = live_stages(
        rhythm, population_gap=population_gap_days(profiles, thresholds), thresholds=thresholds
    )
    assert (
        live.select("customer_id", "lifecycle_stage").rows()
        == batch.select("customer_id", pl.col("lifecycle_stage").cast(pl.String)).rows()
    )

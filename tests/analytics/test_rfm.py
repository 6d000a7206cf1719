from __future__ import annotations

import itertools

import polars as pl
import pytest

from crmind.analytics.rfm import (
    RFM_COLUMNS,
    RFM_SEGMENT_NAMES,
    RFM_SEGMENTS,
    rfm_scores,
    rfm_segment,
    segment_expr,
    segment_matches,
)
from crmind.errors import ModelDataError

# The R/FM grid of the module docstring: R from 5 down to 1, FM from 1 to 5 in half steps.
GRID = {
    5: ["New"] * 2 + ["Potential Loyalists"] * 2 + ["Loyal"] * 2 + ["Champions"] * 3,
    4: ["Promising"] * 2 + ["Potential Loyalists"] * 2 + ["Loyal"] * 2 + ["Champions"] * 3,
    3: ["About to Sleep"] * 2 + ["Need Attention"] * 2 + ["Loyal"] * 5,
    2: ["Hibernating"] * 4 + ["At Risk"] * 5,
    1: ["Lost"] * 4 + ["At Risk"] * 2 + ["Cannot Lose Them"] * 3,
}
ALL_SCORES = list(itertools.product(range(1, 6), repeat=3))


def expected_segment(r: int, f: int, m: int) -> str:
    return GRID[r][f + m - 2]  # FM = (f + m) / 2 sits at index 2 * FM - 2


def profiles(recency: list[float], orders: list[int], spend: list[float]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "customer_id": list(range(1, len(recency) + 1)),
            "recency_days": recency,
            "order_count": orders,
            "monetary_total": spend,
        },
        schema_overrides={"order_count": pl.Int64},
    )


def test_the_segments_are_the_eleven_standard_names() -> None:
    assert set(RFM_SEGMENT_NAMES) == {
        "Champions",
        "Loyal",
        "Potential Loyalists",
        "New",
        "Promising",
        "Need Attention",
        "About to Sleep",
        "At Risk",
        "Cannot Lose Them",
        "Hibernating",
        "Lost",
    }
    assert all(rule.description and rule.action for rule in RFM_SEGMENTS)


def test_every_score_combination_meets_exactly_one_rule() -> None:
    for r, f, m in ALL_SCORES:
        holding = [rule.name for rule in RFM_SEGMENTS if segment_matches(rule, r, f, m)]
        assert holding == [expected_segment(r, f, m)], (r, f, m)


def test_scalar_and_vectorised_segments_follow_the_grid_for_all_125_combinations() -> None:
    scores = pl.DataFrame(ALL_SCORES, schema=["r_score", "f_score", "m_score"], orient="row")
    vectorised = scores.select(segment_expr().alias("segment"))["segment"].to_list()
    expected = [expected_segment(r, f, m) for r, f, m in ALL_SCORES]
    assert vectorised == expected
    assert [rfm_segment(r, f, m) for r, f, m in ALL_SCORES] == expected
    assert set(expected) == set(RFM_SEGMENT_NAMES)  # every segment is reachable


def test_rules_read_as_the_docstring_table() -> None:
    rules = {rule.name: rule.rule for rule in RFM_SEGMENTS}
    assert rules["Champions"] == "R 4–5 and FM 4–5"
    assert rules["Loyal"] == "R 3–5 and FM 3–5, unless Champions"
    assert rules["New"] == "R 5 and FM 1–1.5"
    assert rules["At Risk"] == "R 1–2 and FM 3–5, unless Cannot Lose Them"


def test_scores_are_quintiles_with_recency_reversed() -> None:
    frame = profiles(
        recency=[1.0, 200.0, 50.0, 100.0, 10.0],
        orders=[9, 1, 2, 4, 3],
        spend=[500.0, 10.0, 20.0, 80.0, 40.0],
    )
    scored = rfm_scores(frame)
    assert scored.columns == list(RFM_COLUMNS)
    assert scored["r_score"].to_list() == [5, 1, 3, 2, 4]  # the most recent scores 5
    assert scored["f_score"].to_list() == [5, 1, 2, 4, 3]
    assert scored["m_score"].to_list() == [5, 1, 2, 4, 3]
    assert scored["fm_score"].to_list() == [5.0, 1.0, 2.0, 4.0, 3.0]
    assert scored["rfm_score"].to_list() == ["555", "111", "322", "244", "433"]
    assert scored["rfm_segment"].to_list() == [
        "Champions",
        "Lost",
        "Need Attention",
        "At Risk",
        "Loyal",
    ]


def test_ties_are_split_by_customer_id_into_balanced_quintiles() -> None:
    frame = profiles(recency=[7.0] * 10, orders=[1] * 10, spend=[5.0] * 10)
    scored = rfm_scores(frame)
    assert scored["f_score"].to_list() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert scored["m_score"].to_list() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert scored["r_score"].to_list() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_scores_do_not_depend_on_row_order() -> None:
    frame = profiles(
        recency=[float(day % 13) for day in range(40)],
        orders=[day % 4 + 1 for day in range(40)],
        spend=[float(day % 7) for day in range(40)],
    )
    shuffled = frame.sample(fraction=1.0, shuffle=True, seed=3)
    assert rfm_scores(shuffled).sort("customer_id").equals(rfm_scores(frame))
    assert rfm_scores(frame)["f_score"].value_counts()["count"].to_list() == [8] * 5


@pytest.mark.parametrize(
    ("scores", "segment"),
    [
        ((5, 5, 5), "Champions"),
        ((4, 3, 3), "Loyal"),
        ((5, 2, 2), "Potential Loyalists"),
        ((5, 1, 1), "New"),
        ((4, 1, 1), "Promising"),
        ((3, 2, 2), "Need Attention"),
        ((3, 1, 1), "About to Sleep"),
        ((2, 4, 4), "At Risk"),
        ((1, 5, 5), "Cannot Lose Them"),
        ((2, 1, 1), "Hibernating"),
        ((1, 1, 1), "Lost"),
    ],
)
def test_a_customer_with_these_ranks_lands_in_this_segment(
    scores: tuple[int, int, int], segment: str
) -> None:
    # five customers, so each rank is one score; customer 1 takes the ranks under test
    r, f, m = scores

    def ranks(first: int) -> list[int]:
        return [first] + [value for value in range(1, 6) if value != first]

    frame = profiles(
        recency=[float(6 - value) for value in ranks(r)],  # recency 1 day scores 5
        orders=ranks(f),
        spend=[100.0 * value for value in ranks(m)],
    )
    first = rfm_scores(frame).row(0, named=True)
    assert (first["r_score"], first["f_score"], first["m_score"]) == scores
    assert first["rfm_score"] == f"{r}{f}{m}"
    assert first["rfm_segment"] == segment


def test_empty_profiles_give_an_empty_frame() -> None:
    scored = rfm_scores(profiles([], [], []))
    assert scored.is_empty()
    assert scored.columns == list(RFM_COLUMNS)


def test_bad_profiles_are_refused() -> None:
    with pytest.raises(ModelDataError, match="lacks column\\(s\\) monetary_total"):
        rfm_scores(profiles([1.0], [1], [1.0]).drop("monetary_total"))
    with pytest.raises(ModelDataError, match="null values in recency_days"):
        rfm_scores(profiles([1.0], [1], [1.0]).with_columns(recency_days=None))
    with pytest.raises(ModelDataError, match="repeated customer_id"):
        rfm_scores(pl.concat([profiles([1.0], [1], [1.0])] * 2))


@pytest.mark.parametrize("scores", [(0, 3, 3), (3, 6, 3), (3, 3, -1)])
def test_rfm_segment_refuses_scores_outside_1_to_5(scores: tuple[int, int, int]) -> None:
    with pytest.raises(ModelDataError, match="from 1 to 5"):
        rfm_segment(*scores)

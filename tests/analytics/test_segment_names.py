from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from crmind.analytics.segment_names import describe_segments, feature_words, segment_names


def _describe(
    countries: Sequence[str | None], segments: list[int], scaled: dict[str, list[float]]
) -> pl.DataFrame:
    profiles = pl.DataFrame(
        {
            "monetary_total": [float(len(countries) - i) for i in range(len(countries))],
            "recency_days": scaled["recency_days"],
            "country": countries,
        }
    )
    return describe_segments(
        profiles,
        np.asarray(segments, dtype=np.int64),
        max(segments) + 1,
        pl.DataFrame({**scaled, "monetary_total": [0.0] * len(countries)}),
    )


def test_known_features_have_words_and_unknown_ones_read_plainly() -> None:
    assert feature_words("recency_days") == ("lapsed", "recent")
    assert feature_words("web_visits") == ("high web visits", "low web visits")


def test_segments_sharing_a_name_get_their_strongest_other_trait() -> None:
    lapsed = {"monetary_total": -1.0, "recency_days": 2.0}
    names = segment_names(
        [
            {**lapsed, "returns_rate": 1.5, "monetary_mean": 0.8},
            lapsed,
            lapsed,
            {"monetary_total": 2.0, "order_count": 1.0},
        ]
    )
    assert names == [
        "Low-value lapsed, many returns",
        "Low-value lapsed",
        "Low-value lapsed 2",
        "High-value loyal",
    ]


def test_status_words_follow_recency_frequency_and_tenure() -> None:
    assert segment_names(
        [
            {"tenure_days": -1.0, "recency_days": -1.0},
            {"recency_days": -1.0},
            {"recency_days": 0.1},
        ]
    ) == ["Mid-value new", "Mid-value active", "Mid-value occasional"]


def test_a_country_is_named_only_when_it_is_news() -> None:
    # population: 6 of 10 in the UK; segment 0 all France, segment 1 all UK, segment 2 mixed
    countries = ["France"] * 3 + ["United Kingdom"] * 6 + [None]
    described = _describe(countries, [0, 0, 0, 1, 1, 1, 1, 1, 2, 2], {"recency_days": [0.0] * 10})
    assert described["description"].to_list() == [
        "mostly France",
        "mostly United Kingdom",  # 100 % against 60 % overall
        "close to the typical customer",
    ]
    assert described["top_country"].to_list() == ["France", "United Kingdom", "United Kingdom"]
    assert described["top_country_share"].to_list() == [1.0, 1.0, 0.5]


def test_a_segment_far_from_the_majority_country_says_so() -> None:
    countries = ["United Kingdom"] * 7 + ["France", "Spain", "Italy"]
    described = _describe(countries, [0] * 7 + [1] * 3, {"recency_days": [0.0] * 7 + [3.0] * 3})
    assert described["description"][1] == "lapsed, often outside United Kingdom"


def test_a_segment_without_customers_is_kept_and_says_so() -> None:
    described = _describe(["A", "B"], [0, 2], {"recency_days": [0.0, 0.0]})
    assert described["segment"].to_list() == [0, 1, 2]
    assert described["size"].to_list() == [1, 0, 1]
    assert described["description"][1] == "no customers"
    assert described["name"][1] == "Empty"

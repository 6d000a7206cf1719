"""Describe customer segments in words: what sets each one apart from the whole population.

A segment's median of each feature is compared with the population's median in standardised
units (the segmenter's log / scale transform, so "far" means the same for days, counts and money).
A feature at least :data:`NOTABLE` standard deviations above or below gets its word ("recent",
"frequent", "high value", ...); a country gets named when it dominates the segment and that is
news compared with the population. The short name ("High-value loyal") is built from the value,
recency, frequency and tenure differences.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
import polars as pl

from crmind.analytics.profile import MONETARY_TOTAL
from crmind.columns import COUNTRY

NOTABLE = 0.5
"""How far (in standard deviations) a segment's median must sit from the population's to count."""

DOMINANT_COUNTRY_SHARE = 0.5
"""A country is named when at least this share of a segment's customers live there ..."""

COUNTRY_LIFT = 0.2
"""... and it is not the population's majority country, or its share is this much above it."""


FEATURE_WORDS: Mapping[str, tuple[str, str]] = {
    "monetary_total": ("high value", "low value"),
    "recency_days": ("lapsed", "recent"),
    "order_count": ("frequent", "few orders"),
    "frequency": ("many repeat purchases", "few repeat purchases"),
    "monetary_mean": ("large orders", "small orders"),
    "tenure_days": ("long-standing", "new"),
    "distinct_products": ("broad product range", "narrow product range"),
    "interpurchase_mean_days": ("long gaps between orders", "short gaps between orders"),
    "returns_rate": ("many returns", "few returns"),
}
"""The words for (far above, far below) the population, per profile feature."""

_FREQUENCY_FEATURES = ("order_count", "frequency")


def feature_words(feature: str) -> tuple[str, str]:
    """The (high, low) words of a feature; unknown features read as "high <name>"."""
    if feature in FEATURE_WORDS:
        return FEATURE_WORDS[feature]
    label = feature.replace("_", " ")
    return f"high {label}", f"low {label}"


def describe_segments(
    profiles: pl.DataFrame,
    segments: npt.NDArray[np.int64],
    n_segments: int,
    scaled: pl.DataFrame,
) -> pl.DataFrame:
    """One row per segment: id, name, description, size, shares and medians.

    ``segments`` holds each profile row's segment id (0 .. n_segments - 1); ``scaled`` holds, per
    described feature, the standardised value of each row (the same rows as ``profiles``). The
    raw medians come from ``profiles`` (nulls ignored).
    """
    features = list(scaled.columns)
    labelled = profiles.select(
        pl.Series("segment", segments, dtype=pl.Int64),
        pl.col(MONETARY_TOTAL).cast(pl.Float64).fill_nan(None).fill_null(0.0),
        *(
            pl.col(name).cast(pl.Float64).fill_nan(None).alias(f"median_{name}")
            for name in features
        ),
        *(_country_column(profiles)),
    )
    total_value = float(labelled[MONETARY_TOTAL].sum())
    stats = (
        labelled.group_by("segment")
        .agg(
            pl.len().cast(pl.Int64).alias("size"),
            pl.col(MONETARY_TOTAL).sum().alias("_value"),
            *(pl.col(f"median_{name}").median() for name in features),
        )
        .join(
            pl.DataFrame({"segment": range(n_segments)}, schema={"segment": pl.Int64}),
            on="segment",
            how="right",
        )
    )
    stats = stats.select(
        "segment",
        pl.col("size").fill_null(0),
        "_value",
        *(f"median_{name}" for name in features),
    ).sort("segment")
    deviations = _deviations(scaled, segments, n_segments)
    countries = _country_notes(labelled, n_segments)
    descriptions = [
        _description(deviations[segment], countries[segment][2], int(stats["size"][segment]))
        for segment in range(n_segments)
    ]
    names = segment_names(deviations)
    return stats.select(
        "segment",
        pl.Series("name", names, dtype=pl.String),
        pl.Series("description", descriptions, dtype=pl.String),
        "size",
        (pl.col("size") / max(profiles.height, 1)).alias("share"),
        (pl.col("_value").fill_null(0.0) / total_value if total_value else pl.lit(None))
        .cast(pl.Float64)
        .alias("value_share"),
        pl.Series("top_country", [note[0] for note in countries], dtype=pl.String),
        pl.Series("top_country_share", [note[1] for note in countries], dtype=pl.Float64),
        *(f"median_{name}" for name in features),
    )


def _country_column(profiles: pl.DataFrame) -> list[pl.Expr]:
    if COUNTRY not in profiles.columns:
        return []
    return [pl.col(COUNTRY).cast(pl.String)]


def _deviations(
    scaled: pl.DataFrame, segments: npt.NDArray[np.int64], n_segments: int
) -> list[dict[str, float]]:
    """Per segment: feature -> (segment median - population median), in standard deviations."""
    overall = {name: float(np.median(scaled[name].to_numpy())) for name in scaled.columns}
    result: list[dict[str, float]] = []
    for segment in range(n_segments):
        members = segments == segment
        if not members.any():
            result.append({})
            continue
        result.append(
            {
                name: float(np.median(scaled[name].to_numpy()[members])) - overall[name]
                for name in scaled.columns
            }
        )
    return result


def _country_notes(
    labelled: pl.DataFrame, n_segments: int
) -> list[tuple[str | None, float | None, str | None]]:
    """Per segment: (top country, its share, the words about it or None)."""
    if COUNTRY not in labelled.columns:
        return [(None, None, None)] * n_segments
    overall_top, overall_share = _top_country(labelled[COUNTRY])
    notes: list[tuple[str | None, float | None, str | None]] = []
    for segment in range(n_segments):
        countries = labelled.filter(pl.col("segment") == segment)[COUNTRY]
        top, share = _top_country(countries)
        words: str | None = None
        if top is not None and share is not None and share >= DOMINANT_COUNTRY_SHARE:
            lifted = overall_share is not None and share - overall_share >= COUNTRY_LIFT
            if top != overall_top or lifted:
                words = f"mostly {top}"
        if words is None and overall_top is not None and overall_share is not None:
            home = float((countries == overall_top).sum()) / max(countries.len(), 1)
            if overall_share >= DOMINANT_COUNTRY_SHARE and overall_share - home >= COUNTRY_LIFT:
                words = f"often outside {overall_top}"
        notes.append((top, share, words))
    return notes


def _top_country(countries: pl.Series) -> tuple[str | None, float | None]:
    """The most common country (ties: alphabetical) and its share of all rows, nulls included."""
    if countries.len() == 0:
        return None, None
    counts = (
        countries.drop_nulls().value_counts(name="n").sort(["n", COUNTRY], descending=[True, False])
    )
    if counts.height == 0:
        return None, None
    return str(counts[COUNTRY][0]), int(counts["n"][0]) / countries.len()


def _notable(deviations: Mapping[str, float]) -> list[tuple[str, float]]:
    """Features far from the population: value first, then the largest differences first."""
    far = [(name, value) for name, value in deviations.items() if abs(value) >= NOTABLE]
    far.sort(key=lambda item: (item[0] != MONETARY_TOTAL, -abs(item[1])))
    return far


def _description(deviations: Mapping[str, float], country: str | None, size: int) -> str:
    if size == 0:
        return "no customers"
    words = [feature_words(name)[0 if value > 0 else 1] for name, value in _notable(deviations)]
    if country is not None:
        words.append(country)
    return ", ".join(words) if words else "close to the typical customer"


def _name(deviations: Mapping[str, float]) -> tuple[str, set[str]]:
    """ "<High|Mid|Low>-value <lapsed|loyal|new|active|occasional>" and the features it states."""
    if not deviations:
        return "Empty", set()
    value = deviations.get(MONETARY_TOTAL, 0.0)
    level = "High" if value >= NOTABLE else "Low" if value <= -NOTABLE else "Mid"
    recency = deviations.get("recency_days", 0.0)
    frequency = max(
        (deviations[name] for name in _FREQUENCY_FEATURES if name in deviations), default=0.0
    )
    tenure = deviations.get("tenure_days", 0.0)
    if recency >= NOTABLE:
        status, stated = "lapsed", {"recency_days"}
    elif frequency >= NOTABLE:
        status, stated = "loyal", set(_FREQUENCY_FEATURES)
    elif tenure <= -NOTABLE:
        status, stated = "new", {"tenure_days"}
    elif recency <= -NOTABLE:
        status, stated = "active", {"recency_days"}
    else:
        status, stated = "occasional", set()
    return f"{level}-value {status}", {MONETARY_TOTAL, *stated}


def segment_names(deviations: Sequence[Mapping[str, float]]) -> list[str]:
    """Short, distinct names; segments with the same name get their strongest other trait added.

    ``deviations`` holds, per segment, feature -> (segment median - population median) in
    standard deviations. Names still shared after that are numbered ("... 2", "... 3").
    """
    named = [_name(segment) for segment in deviations]
    base = [name for name, _ in named]
    unique = list(base)
    for index, (name, stated) in enumerate(named):
        if base.count(name) < 2:
            continue
        traits = [
            feature_words(feature)[0 if value > 0 else 1]
            for feature, value in _notable(deviations[index])
            if feature not in stated
        ]
        if traits:
            unique[index] = f"{name}, {traits[0]}"
    seen: dict[str, int] = {}
    for index, name in enumerate(unique):
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            unique[index] = f"{name} {seen[name]}"
    return unique

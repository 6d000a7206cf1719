"""How well clusters of records match the truth: pairwise and cluster-level figures.

Pairwise: every two records in one predicted cluster are a predicted match, every two in one
true cluster a true match; precision, recall and F1 follow (the measure of the record-linkage
literature and of the Febrl benchmarks). Pairs are counted from cluster sizes, never listed, so
millions of records cost little. With ``source`` (linking files) only pairs across sources count.

Cluster level: the share of true entities with two or more records whose cluster was found
exactly (no record missing, none extra), and the numbers of predicted and true clusters.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from crmind.errors import ModelDataError


def pairwise_scores(
    predicted: npt.ArrayLike, truth: npt.ArrayLike, source: npt.ArrayLike | None = None
) -> dict[str, Any]:
    """``precision``, ``recall``, ``f1`` and the pair counts behind them."""
    frame = _frame(predicted, truth, source)
    predicted_pairs = _pairs(frame, ["predicted"], source is not None)
    true_pairs = _pairs(frame, ["truth"], source is not None)
    correct = _pairs(frame, ["predicted", "truth"], source is not None)
    precision = correct / predicted_pairs if predicted_pairs else 1.0
    recall = correct / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "predicted_pairs": predicted_pairs,
        "true_pairs": true_pairs,
        "correct_pairs": correct,
    }


def cluster_scores(predicted: npt.ArrayLike, truth: npt.ArrayLike) -> dict[str, Any]:
    """Share of true multi-record entities found exactly, and cluster counts."""
    frame = _frame(predicted, truth, None)
    entities = frame.group_by("truth").agg(
        pl.len().alias("size"), pl.col("predicted").n_unique().alias("clusters")
    )
    cluster_sizes = frame.group_by("predicted").len().rename({"len": "predicted_size"})
    first = frame.group_by("truth").agg(pl.col("predicted").first())
    joined = entities.join(first, on="truth").join(cluster_sizes, on="predicted")
    multi = joined.filter(pl.col("size") >= 2)
    exact = multi.filter((pl.col("clusters") == 1) & (pl.col("predicted_size") == pl.col("size")))
    return {
        "true_clusters": entities.height,
        "predicted_clusters": cluster_sizes.height,
        "multi_record_entities": multi.height,
        "exactly_found": exact.height,
        "exact_cluster_rate": exact.height / multi.height if multi.height else 1.0,
    }


def _frame(
    predicted: npt.ArrayLike, truth: npt.ArrayLike, source: npt.ArrayLike | None
) -> pl.DataFrame:
    columns = {"predicted": np.asarray(predicted), "truth": np.asarray(truth)}
    if source is not None:
        columns["source"] = np.asarray(source)
    sizes = {len(values) for values in columns.values()}
    if len(sizes) != 1:
        raise ModelDataError(f"predicted, truth (and source) differ in length: {sorted(sizes)}")
    return pl.DataFrame(columns)


def _pairs(frame: pl.DataFrame, keys: list[str], across_sources: bool) -> int:
    """Pairs of records sharing ``keys`` (only pairs from different sources if asked)."""
    total = _within(frame, keys)
    if across_sources:
        total -= _within(frame, [*keys, "source"])
    return total


def _within(frame: pl.DataFrame, keys: list[str]) -> int:
    sizes = frame.group_by(keys).len().get_column("len").cast(pl.Int64)
    return int((sizes * (sizes - 1) // 2).sum())

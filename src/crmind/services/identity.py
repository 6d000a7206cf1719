"""Use case: find duplicate customers in the store, review them and merge them.

The store's active customers (not merged into another) are resolved probabilistically on name,
e-mail, phone, date of birth, address, city and postcode (:mod:`crmind.identity.resolve`);
fields that no customer has are left out. :func:`find_duplicates` returns the candidate pairs
with their probability and the fields that agree / are similar / differ, and the clusters at or
above the threshold. Pairs a user marked "not the same" (:func:`crmind.services.identity_store.
exclude_pair`) are never clustered together. :func:`merge_duplicates` applies the clusters
(or, as a dry run, only says what it would do) through
:func:`crmind.services.identity_store.merge_clusters`, one transaction per cluster, undoable.
Personal fields are stored encrypted: they are decrypted in memory for the comparison only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import polars as pl
from sqlalchemy import Engine

from crmind.errors import ModelDataError
from crmind.identity.blocking import LEFT, RIGHT
from crmind.identity.fields import CUSTOMER_FIELDS, FieldSpec
from crmind.identity.resolve import (
    DEFAULT_THRESHOLD,
    PROBABILITY,
    ResolveOptions,
    describe_pairs,
    resolve,
)
from crmind.privacy.binding import cipher_of
from crmind.privacy.customer_fields import reveal
from crmind.services.identity_store import ClusterMergeResult, excluded_pairs, merge_clusters
from crmind.store.frames import read_sql

logger = logging.getLogger(__name__)

_QUERY = (
    "SELECT id AS customer_id, name, first_name, last_name, email, phone, address, city, "
    "postcode, birth_date FROM customers WHERE merged_into IS NULL ORDER BY id"
)


@dataclass(frozen=True)
class Duplicates:
    """Candidate pairs of customers and the clusters above the threshold."""

    threshold: float
    customers: int
    fields: list[str]
    pairs: pl.DataFrame  # customer_a, customer_b, probability, match_weight, agree, similar, ...
    clusters: list[list[int]]  # customer ids, two or more per cluster, survivor not yet chosen
    probabilities: dict[frozenset[int], float]  # pair -> probability, for the pairs in clusters


def customer_records(engine: Engine) -> pl.DataFrame:
    """Active customers with the fields compared (decrypted with the engine's cipher); names
    split when only a full name is known."""
    frame = reveal(read_sql(engine, _QUERY), cipher_of(engine))
    full = pl.col("name").cast(pl.String).str.strip_chars()
    last_space = full.str.find(r" [^ ]+$")
    return frame.with_columns(
        pl.coalesce(pl.col("first_name"), full.str.slice(0, last_space)).alias("first_name"),
        pl.coalesce(pl.col("last_name"), full.str.slice(last_space + 1)).alias("last_name"),
        pl.col("birth_date").cast(pl.String),
    ).drop("name")


def find_duplicates(
    engine: Engine, *, threshold: float = DEFAULT_THRESHOLD, min_probability: float = 0.5
) -> Duplicates:
    """Resolve the store's active customers; see the module docstring."""
    records = customer_records(engine)
    fields = _present_fields(records)
    ids = records.get_column("customer_id").to_numpy()
    row_of = {int(customer): row for row, customer in enumerate(ids)}
    apart = tuple(
        (row_of[a], row_of[b])
        for a, b in (sorted(pair) for pair in excluded_pairs(engine))
        if a in row_of and b in row_of
    )
    empty = Duplicates(threshold, records.height, [f.name for f in fields], _no_pairs(), [], {})
    if records.height < 2 or not fields:
        return empty
    try:
        resolution = resolve(
            records, fields, ResolveOptions(threshold=threshold, cannot_link=apart)
        )
    except ModelDataError as exc:
        logger.info("no duplicates to look at: %s", exc)
        return empty
    likely = np.flatnonzero(resolution.pairs.get_column(PROBABILITY).to_numpy() >= min_probability)
    described = describe_pairs(resolution, likely)
    pairs = described.with_columns(
        pl.Series("customer_a", ids[described.get_column(LEFT).to_numpy()], dtype=pl.Int64),
        pl.Series("customer_b", ids[described.get_column(RIGHT).to_numpy()], dtype=pl.Int64),
    ).drop(LEFT, RIGHT)
    pairs = pairs.select("customer_a", "customer_b", pl.exclude("customer_a", "customer_b"))
    pairs = pairs.sort(PROBABILITY, descending=True)
    clusters = _clusters(resolution.clusters, ids)
    in_cluster = {customer for cluster in clusters for customer in cluster}
    probabilities = {
        frozenset((a, b)): p
        for a, b, p in pairs.select("customer_a", "customer_b", PROBABILITY).iter_rows()
        if a in in_cluster and b in in_cluster and p >= threshold
    }
    return Duplicates(
        threshold=threshold,
        customers=records.height,
        fields=[spec.name for spec in fields],
        pairs=pairs,
        clusters=clusters,
        probabilities=probabilities,
    )


def merge_duplicates(
    engine: Engine, *, threshold: float = DEFAULT_THRESHOLD, apply: bool = False
) -> tuple[Duplicates, ClusterMergeResult | None]:
    """Find the clusters and, with ``apply``, merge each into one surviving customer."""
    found = find_duplicates(engine, threshold=threshold, min_probability=threshold)
    if not apply or not found.clusters:
        return found, None
    result = merge_clusters(engine, found.clusters, found.probabilities)
    return found, result


def _present_fields(records: pl.DataFrame) -> list[FieldSpec]:
    """The customer fields at least two customers have (others cannot tell anyone apart)."""
    counts = records.select(pl.col(spec.name).is_not_null().sum() for spec in CUSTOMER_FIELDS)
    return [spec for spec in CUSTOMER_FIELDS if counts.get_column(spec.name).item() >= 2]


def _clusters(labels: np.ndarray, ids: np.ndarray) -> list[list[int]]:
    frame = pl.DataFrame({"label": labels, "customer_id": ids})
    grouped = (
        frame.group_by("label")
        .agg(pl.col("customer_id").sort())
        .filter(pl.col("customer_id").list.len() >= 2)
        .sort(pl.col("customer_id").list.first())
    )
    return [list(map(int, members)) for members in grouped.get_column("customer_id").to_list()]


def _no_pairs() -> pl.DataFrame:
    return pl.DataFrame(
        schema={"customer_a": pl.Int64, "customer_b": pl.Int64, PROBABILITY: pl.Float64}
    )

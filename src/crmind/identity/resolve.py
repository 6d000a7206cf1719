"""Probabilistic identity resolution of a frame of records, end to end.

:func:`resolve` cleans the fields (:mod:`~crmind.identity.fields`), finds candidate pairs by
multi-pass blocking (:mod:`~crmind.identity.blocking`), compares them field by field
(:mod:`~crmind.identity.compare`), learns Fellegi-Sunter weights without labels
(:mod:`~crmind.identity.fellegi_sunter`; ``u`` from random pairs) and clusters the pairs at or
above the threshold (:mod:`~crmind.identity.clusters`). :func:`describe_pairs` says for each
pair which fields agree, which are merely similar and which disagree — what a reviewer needs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import polars as pl

from crmind.errors import ConfigurationError, ModelDataError
from crmind.identity.blocking import (
    DEFAULT_MAX_BLOCK,
    LEFT,
    RIGHT,
    BlockingRule,
    candidate_pairs,
    default_rules,
)
from crmind.identity.clusters import cluster_records
from crmind.identity.compare import Levels, comparison_levels
from crmind.identity.fellegi_sunter import FellegiSunterModel
from crmind.identity.fields import MISSING, FieldSpec, normalise

logger = logging.getLogger(__name__)

PROBABILITY: Final = "probability"
MATCH_WEIGHT: Final = "match_weight"
DEFAULT_THRESHOLD: Final = 0.9


@dataclass(frozen=True)
class ResolveOptions:
    """How records are blocked, compared and clustered."""

    threshold: float = DEFAULT_THRESHOLD
    rules: tuple[BlockingRule, ...] | None = None  # None: default_rules(fields)
    max_block: int = DEFAULT_MAX_BLOCK
    random_pairs: int = 200_000
    u_prior_pairs: float | None = 1000.0  # see FellegiSunterModel; None: u from random pairs only
    random_state: int = 0
    cannot_link: tuple[tuple[int, int], ...] = field(default=())


@dataclass(frozen=True)
class Resolution:
    """The outcome: scored candidate pairs, the cluster of every record and the model."""

    fields: list[FieldSpec]
    pairs: pl.DataFrame  # left, right (row numbers), probability, match_weight
    levels: Levels  # agreement level per pair and field (rows as in pairs)
    clusters: np.ndarray  # cluster label per row: the smallest row number in the cluster
    model: FellegiSunterModel


def resolve(
    frame: pl.DataFrame,
    fields: Sequence[FieldSpec],
    options: ResolveOptions | None = None,
    *,
    source: str | None = None,
) -> Resolution:
    """Resolve the records of ``frame`` (row ``i`` is record ``i``); see the module docstring.

    With ``source``, records are linked across sources only (two files, two systems).
    """
    options = options or ResolveOptions()
    specs = list(fields)
    if not specs:
        raise ConfigurationError("no fields to compare")
    if frame.height < 2:
        raise ModelDataError(f"identity resolution needs at least 2 records, got {frame.height}")
    wanted = list(dict.fromkeys([spec.name for spec in specs] + ([source] if source else [])))
    missing = [name for name in wanted if name not in frame.columns]
    if missing:
        raise ConfigurationError(
            f"no column(s) {', '.join(missing)}; columns are {', '.join(frame.columns)}"
        )
    clean = normalise(frame.select(wanted), specs)
    rules = list(options.rules) if options.rules is not None else default_rules(specs)
    pairs = candidate_pairs(clean, rules, max_block=options.max_block, source=source)
    logger.info("blocking: %d candidate pairs among %d records", pairs.height, frame.height)
    if pairs.is_empty():
        raise ModelDataError("blocking found no candidate pairs: no two records share a key")
    left = pairs.get_column(LEFT).to_numpy()
    right = pairs.get_column(RIGHT).to_numpy()
    levels = comparison_levels(clean, left, right, specs)
    sample_left, sample_right = random_pairs(
        clean, options.random_pairs, options.random_state, source=source
    )
    random_levels = comparison_levels(clean, sample_left, sample_right, specs)
    model = FellegiSunterModel(u_prior_pairs=options.u_prior_pairs).fit(
        levels, random_levels, [spec.levels for spec in specs], [spec.name for spec in specs]
    )
    weight = model.match_weight(levels)
    probability = model.predict_proba(levels)
    scored = pairs.with_columns(
        pl.Series(PROBABILITY, probability), pl.Series(MATCH_WEIGHT, weight)
    )
    clusters = cluster_records(
        frame.height, left, right, probability, options.threshold, options.cannot_link
    )
    return Resolution(fields=specs, pairs=scored, levels=levels, clusters=clusters, model=model)


def random_pairs(
    frame: pl.DataFrame, count: int, random_state: int, *, source: str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``count`` random pairs of distinct rows (across sources with ``source``) for ``u``."""
    rng = np.random.default_rng(random_state)
    n = frame.height
    if source is None:
        left = rng.integers(0, n, count)
        right = (left + rng.integers(1, n, count)) % n  # never the same row
        return left, right
    labels = frame.get_column(source).to_numpy()
    first = np.flatnonzero(labels == labels[0])
    other = np.flatnonzero(labels != labels[0])
    if other.size == 0:
        raise ModelDataError(f"every record has the same {source!r}: there is nothing to link")
    return rng.choice(first, count), rng.choice(other, count)


def describe_pairs(resolution: Resolution, rows: Iterable[int] | None = None) -> pl.DataFrame:
    """Per pair (all, or the positions ``rows`` of ``resolution.pairs``): ``agree``,
    ``similar``, ``differ`` and ``missing`` — the field names at each kind of level."""
    chosen = (
        np.arange(resolution.pairs.height)
        if rows is None
        else np.asarray(list(rows), dtype=np.int64)  # an empty list would be float
    )
    levels = resolution.levels[chosen]
    names = np.asarray([spec.name for spec in resolution.fields], dtype=object)
    tops = np.asarray([spec.levels - 1 for spec in resolution.fields])
    kinds = {
        "agree": levels == tops,
        "similar": (levels > 0) & (levels < tops),
        "differ": levels == 0,
        "missing": levels == MISSING,
    }
    columns = {
        kind: pl.Series(kind, [names[row].tolist() for row in mask], dtype=pl.List(pl.String))
        for kind, mask in kinds.items()
    }
    picked: pl.DataFrame = resolution.pairs[chosen.tolist()]
    return picked.with_columns(*columns.values())

"""Use case: measure identity resolution on labelled files (``crmind evaluate identity``).

One file is de-duplicated; two or more are linked (only pairs across files count). The true
entity of each record comes from a column (``truth_col``), from a pattern applied to the id
(``truth_regex``: its first group, e.g. ``^(rec-\\d+)`` for the Febrl files, whose ids are
``rec-12-org`` / ``rec-12-dup-0``), or from a separate file of ``id, entity`` rows
(``truth_path``). Every other column is compared, with a comparator guessed from its name unless
given. The report holds the pairwise precision / recall / F1 and cluster figures of crmind's
resolution beside two deterministic baselines — the usual CRM rule "same name and date of birth"
(the columns whose name holds ``name``, ``date``, ``dob`` or ``birth``; every field if none does)
and exact match on every compared field, both after cleaning — and how many true pairs blocking
kept.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from crmind.errors import ConfigurationError, MappingError
from crmind.identity.blocking import LEFT, RIGHT
from crmind.identity.clusters import cluster_records
from crmind.identity.evaluate import cluster_scores, pairwise_scores
from crmind.identity.fields import guess_fields, normalise
from crmind.identity.resolve import PROBABILITY, ResolveOptions, resolve
from crmind.ingest.readers import read_table

SOURCE = "__source"
_KEY_FIELD = re.compile(r"name|date|dob|birth")


def evaluate_identity_files(
    paths: Sequence[Path],
    *,
    id_col: str,
    truth_col: str | None = None,
    truth_regex: str | None = None,
    truth_path: Path | None = None,
    comparators: Mapping[str, str] | None = None,
    ignore: Sequence[str] = (),
    options: ResolveOptions | None = None,
) -> dict[str, Any]:
    """Resolve the records of ``paths`` and score the result against the truth (docstring)."""
    if sum(x is not None for x in (truth_col, truth_regex, truth_path)) != 1:
        raise ConfigurationError("give exactly one of truth_col, truth_regex and truth_path")
    if not paths:
        raise ConfigurationError("give at least one data file")
    options = options or ResolveOptions()
    frames = [_read(path, id_col, truth_col, ignore) for path in paths]
    columns = frames[0].columns
    for path, frame in zip(paths[1:], frames[1:], strict=True):
        if frame.columns != columns:
            raise MappingError(path, f"columns {frame.columns} differ from {columns}")
    records = pl.concat(
        [frame.with_columns(pl.lit(index).alias(SOURCE)) for index, frame in enumerate(frames)]
    )
    truth = _truth(records, id_col, truth_col, truth_regex, truth_path)
    compared = [name for name in columns if name not in (id_col, truth_col)]
    fields = guess_fields(compared, comparators)
    linking = len(paths) > 1
    started = time.perf_counter()
    resolution = resolve(records, fields, options, source=SOURCE if linking else None)
    seconds = time.perf_counter() - started
    source = records.get_column(SOURCE).to_numpy() if linking else None
    left = resolution.pairs.get_column(LEFT).to_numpy()
    right = resolution.pairs.get_column(RIGHT).to_numpy()
    clean = normalise(records.select(compared), fields)
    key_fields = [name for name in compared if _KEY_FIELD.search(name.lower())] or compared
    same_key = _exact_clusters(clean.select(key_fields))
    baseline = _exact_clusters(clean)
    return {
        "files": [str(path) for path in paths],
        "mode": "link" if linking else "deduplicate",
        "records": records.height,
        "fields": {spec.name: spec.comparator.value for spec in fields},
        "threshold": options.threshold,
        "candidate_pairs": resolution.pairs.height,
        "true_pairs_in_candidates": int((truth[left] == truth[right]).sum()),
        "seconds": seconds,
        "em": {
            "lambda": resolution.model.lambda_,
            "iterations": resolution.model.n_iter_,
            "converged": resolution.model.converged_,
        },
        "crmind": {
            **pairwise_scores(resolution.clusters, truth, source),
            **cluster_scores(resolution.clusters, truth),
        },
        "key_fields": key_fields,
        "same_key_baseline": {
            **pairwise_scores(same_key, truth, source),
            **cluster_scores(same_key, truth),
        },
        "exact_match_baseline": {
            **pairwise_scores(baseline, truth, source),
            **cluster_scores(baseline, truth),
        },
        "by_threshold": {
            str(threshold): pairwise_scores(
                cluster_records(
                    records.height,
                    left,
                    right,
                    resolution.pairs.get_column(PROBABILITY).to_numpy(),
                    threshold,
                ),
                truth,
                source,
            )["f1"]
            for threshold in (0.5, 0.8, 0.9, 0.95, 0.99)
        },
    }


def _read(path: Path, id_col: str, truth_col: str | None, ignore: Sequence[str]) -> pl.DataFrame:
    frame = read_table(path).frame.drop("_row", strict=False)
    needed = [name for name in (id_col, truth_col) if name]
    missing = [name for name in [*needed, *ignore] if name not in frame.columns]
    if missing:
        raise MappingError(path, f"no column {missing}; columns found: {frame.columns}")
    frame = frame.drop(*ignore).with_columns(pl.col(pl.String).str.strip_chars())
    if frame.get_column(id_col).null_count():
        raise MappingError(path, f"column {id_col!r} has empty ids")
    return frame


def _truth(
    records: pl.DataFrame,
    id_col: str,
    truth_col: str | None,
    truth_regex: str | None,
    truth_path: Path | None,
) -> np.ndarray:
    ids = records.get_column(id_col)
    if truth_col is not None:
        entities = records.get_column(truth_col)
    elif truth_regex is not None:
        entities = ids.str.extract(truth_regex, 1)
        unmatched = ids.filter(entities.is_null())
        if unmatched.len():
            raise ConfigurationError(
                f"truth_regex {truth_regex!r} matches no group in {unmatched.len()} id(s), "
                f"e.g. {unmatched[0]!r}"
            )
    else:
        assert truth_path is not None
        table = read_table(truth_path).frame.drop("_row", strict=False)
        if id_col not in table.columns or table.width != 2:
            raise MappingError(truth_path, f"expected two columns, {id_col!r} and the entity")
        entity = next(name for name in table.columns if name != id_col)
        mapping = table.select(pl.col(id_col).str.strip_chars(), pl.col(entity).alias("__entity"))
        entities = records.select(id_col).join(mapping, on=id_col, how="left")["__entity"]
        if entities.null_count():
            raise MappingError(truth_path, f"{entities.null_count()} record id(s) have no entity")
    return entities.cast(pl.String).fill_null("").to_numpy()


def _exact_clusters(clean: pl.DataFrame) -> np.ndarray:
    """Records equal on every cleaned field of ``clean`` are one cluster; a record with an empty
    field stays alone (an unknown value matches nothing)."""
    fields = clean.columns
    key = pl.concat_str([pl.col(name) for name in fields], separator="\x1f")
    empty = pl.any_horizontal([pl.col(name).is_null() for name in fields])
    numbered = clean.with_row_index("row").with_columns(
        pl.when(empty)
        .then(pl.lit("\x00") + pl.col("row").cast(pl.String))
        .otherwise(key)
        .alias("key")
    )
    labels = numbered.select(pl.col("row").min().over("key")).to_series().to_numpy()
    return np.asarray(labels, dtype=np.int64)

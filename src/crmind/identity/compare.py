"""Agreement levels of record pairs, field by field, with rapidfuzz's vectorised comparators.

:func:`comparison_levels` returns one row per pair and one column per field: the agreement level
of :mod:`crmind.identity.fields` (0 = different, higher = stronger, -1 = missing). Similarities
are computed element-wise over whole columns by ``rapidfuzz.process.cpdist`` (C++; no Python loop
per pair).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
from rapidfuzz import fuzz
from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler
from rapidfuzz.process import cpdist

from crmind.identity.fields import MISSING, Comparator, FieldSpec

Levels = npt.NDArray[np.int8]

_NAME_THRESHOLDS = (0.92, 0.80)
_TEXT_THRESHOLDS = (90.0, 70.0)
_EMAIL_TYPO = 0.92


def comparison_levels(
    frame: pl.DataFrame,
    left: npt.ArrayLike,
    right: npt.ArrayLike,
    fields: Sequence[FieldSpec],
    *,
    workers: int = 1,
) -> Levels:
    """Levels (pairs x fields) of the pairs ``(left[i], right[i])`` of rows of cleaned ``frame``."""
    lefts = np.asarray(left, dtype=np.int64)
    rights = np.asarray(right, dtype=np.int64)
    levels = np.empty((lefts.size, len(fields)), dtype=np.int8)
    for index, spec in enumerate(fields):
        column = frame.get_column(spec.name)
        a = column.gather(lefts)
        b = column.gather(rights)
        levels[:, index] = _field_levels(spec.comparator, a, b, workers)
    return levels


def _field_levels(comparator: Comparator, a: pl.Series, b: pl.Series, workers: int) -> Levels:
    missing = (a.is_null() | b.is_null()).to_numpy()
    equal = (a == b).fill_null(False).to_numpy()
    texts_a = a.fill_null("").to_list()
    texts_b = b.fill_null("").to_list()
    result = np.zeros(len(a), dtype=np.int8)
    if comparator is Comparator.EXACT:
        result[equal] = 1
    elif comparator is Comparator.CODE:
        edits = cpdist(texts_a, texts_b, scorer=DamerauLevenshtein.distance, workers=workers)
        result[edits <= 1] = 1
        result[equal] = 2
    elif comparator is Comparator.EMAIL:
        similarity = _similarity(texts_a, texts_b, JaroWinkler.normalized_similarity, workers)
        result[similarity >= _EMAIL_TYPO] = 1
        result[equal] = 2
    else:
        if comparator is Comparator.TEXT:
            scorer, (strong, weak) = fuzz.token_set_ratio, _TEXT_THRESHOLDS
        else:
            scorer, (strong, weak) = JaroWinkler.normalized_similarity, _NAME_THRESHOLDS
        similarity = _similarity(texts_a, texts_b, scorer, workers)
        result[similarity >= weak] = 1
        result[similarity >= strong] = 2
        result[equal] = 3
    result[missing] = MISSING
    return result


def _similarity(
    a: list[str], b: list[str], scorer: Callable[..., Any], workers: int
) -> npt.NDArray[np.float64]:
    scores = cpdist(a, b, scorer=scorer, workers=workers, dtype=np.float64)
    return np.asarray(scores, dtype=np.float64)

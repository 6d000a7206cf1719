"""Train / test splits of interactions for offline evaluation.

- :func:`time_split`: a global cut-off; test = interactions after it (default: the last
  ``test_days`` days) of users who also have training interactions (a recommender cannot be
  judged on users it never saw; cold-start users are measured separately).
- :func:`user_last_split`: each user's last ``n`` interactions by time are the test, for users
  with more than ``n``.
- :func:`random_split`: a seeded random fraction of the interactions, and :func:`k_fold` the
  seeded k-fold partition used for rating prediction.

Each returns ``(train, test)`` frames with the input's columns.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import numpy as np
import polars as pl

from crmind.errors import ConfigurationError, ModelDataError
from crmind.recommend.data import TIME, USER, check_interactions


def time_split(
    interactions: pl.DataFrame, *, cutoff: datetime | None = None, test_days: int = 30
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Before / after ``cutoff`` (default: ``test_days`` before the last interaction)."""
    frame = _timed(interactions)
    if cutoff is None:
        if test_days < 1:
            raise ConfigurationError(f"test_days must be at least 1, not {test_days}")
        last = frame.get_column(TIME).max()
        assert isinstance(last, datetime)
        cutoff = last - timedelta(days=test_days)
    train = frame.filter(pl.col(TIME) <= cutoff)
    test = frame.filter(pl.col(TIME) > cutoff).join(
        train.select(USER).unique(), on=USER, how="semi"
    )
    return _checked(train, test, f"cut-off {cutoff}")


def user_last_split(interactions: pl.DataFrame, *, n: int = 1) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Each user's last ``n`` interactions (ties broken by order) test, the rest train."""
    if n < 1:
        raise ConfigurationError(f"n must be at least 1, not {n}")
    frame = _timed(interactions).with_row_index("_order")
    ranked = frame.with_columns(
        pl.col(TIME).rank("ordinal", descending=True).over(USER).alias("_from_end"),
        pl.len().over(USER).alias("_count"),
    )
    eligible = pl.col("_count") > n
    test = ranked.filter(eligible & (pl.col("_from_end") <= n))
    train = ranked.filter(~(eligible & (pl.col("_from_end") <= n)))
    drop = ["_order", "_from_end", "_count"]
    return _checked(train.drop(drop), test.drop(drop), f"the last {n} per user")


def random_split(
    interactions: pl.DataFrame, *, test_fraction: float = 0.2, seed: int = 0
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A seeded random ``test_fraction`` of the interactions is the test."""
    if not 0 < test_fraction < 1:
        raise ConfigurationError(f"test_fraction must be in (0, 1), not {test_fraction}")
    frame = check_interactions(interactions)
    chosen = np.random.default_rng(seed).random(frame.height) < test_fraction
    mask = pl.Series(chosen)
    return _checked(frame.filter(~mask), frame.filter(mask), "the random split")


def k_fold(
    interactions: pl.DataFrame, *, folds: int = 5, seed: int = 0
) -> Iterator[tuple[pl.DataFrame, pl.DataFrame]]:
    """``folds`` seeded (train, test) partitions; every interaction is tested once."""
    if folds < 2:
        raise ConfigurationError(f"folds must be at least 2, not {folds}")
    frame = check_interactions(interactions)
    fold_of = np.random.default_rng(seed).permutation(frame.height) % folds
    for fold in range(folds):
        mask = pl.Series(fold_of == fold)
        yield frame.filter(~mask), frame.filter(mask)


def _timed(interactions: pl.DataFrame) -> pl.DataFrame:
    frame = check_interactions(interactions)
    if TIME not in frame.columns:
        raise ModelDataError(f"a time split needs the {TIME!r} column in the interactions")
    if frame.get_column(TIME).null_count():
        raise ModelDataError(f"{frame.get_column(TIME).null_count()} interactions have no time")
    return frame


def _checked(
    train: pl.DataFrame, test: pl.DataFrame, what: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    if train.is_empty() or test.is_empty():
        raise ModelDataError(
            f"{what} leaves {train.height} training and {test.height} test interactions; "
            "both must be non-empty"
        )
    return train, test

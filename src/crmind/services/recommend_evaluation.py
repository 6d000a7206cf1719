"""Use case: measure recommenders on a user's own interactions file (``crmind evaluate recommend``).

The file holds one row per interaction: a user column, an item column and optionally a rating and
a time. Without a rating every row counts 1 (repeated rows add up). The split is ``random`` (20 %
of the interactions, seeded), ``time`` (the last ``test_days`` days; needs the time column) or
``user-last`` (each user's last interaction; needs the time column). Every model named, and
popularity always, is fitted on the same training part and measured on the same test part; with
``exclude_seen`` a test interaction with an item the user had in training does not count. With a
rating column the ``rating-*`` models also get RMSE and MAE over every test rating.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import polars as pl

from crmind.errors import ConfigurationError, MappingError, ModelDataError
from crmind.ingest import cleaning as clean
from crmind.ingest.readers import read_table
from crmind.recommend.data import ITEM, TIME, USER, VALUE
from crmind.recommend.evaluate import evaluate_ranking
from crmind.recommend.metrics import mae, rmse
from crmind.recommend.models.rating_baseline import RatingRecommender
from crmind.recommend.registry import BASELINE, make_recommender
from crmind.recommend.split import random_split, time_split, user_last_split

SPLITS: Final = ("random", "time", "user-last")


def evaluate_recommenders_file(
    path: Path,
    *,
    user_col: str,
    item_col: str,
    rating_col: str | None = None,
    time_col: str | None = None,
    split: str = "random",
    models: Sequence[str] = ("popularity", "item-knn", "ease"),
    k: int = 10,
    test_days: int = 30,
    exclude_seen: bool = True,
    random_state: int = 0,
) -> dict[str, Any]:
    """Split the file's interactions and measure every model on the split (module docstring)."""
    if split not in SPLITS:
        raise ConfigurationError(f"split must be one of {', '.join(SPLITS)}, not {split!r}")
    names = list(dict.fromkeys([BASELINE, *models]))
    recommenders = {name: make_recommender(name, random_state) for name in names}
    interactions = read_interactions(path, user_col, item_col, rating_col, time_col)
    if split == "random":
        train, test = random_split(interactions, seed=random_state)
    elif split == "time":
        train, test = time_split(interactions, test_days=test_days)
    else:
        train, test = user_last_split(interactions)
    rated = test
    test = _ranking_test(test, train, exclude_seen, split)
    results = evaluate_ranking(recommenders, train, test, k=k, exclude_seen=exclude_seen)
    if rating_col:
        for name, model in recommenders.items():
            if isinstance(model, RatingRecommender):
                predicted = model.predict(rated.get_column(USER), rated.get_column(ITEM))
                actual = rated.get_column(VALUE).to_numpy()
                results[name] |= {"rmse": rmse(actual, predicted), "mae": mae(actual, predicted)}
    return {
        "file": str(path),
        "split": split,
        "k": k,
        "exclude_seen": exclude_seen,
        "train": train.height,
        "test": test.height,
        "test_users": test.get_column(USER).n_unique(),
        "items": interactions.get_column(ITEM).n_unique(),
        "models": results,
    }


def _ranking_test(
    test: pl.DataFrame, train: pl.DataFrame, exclude_seen: bool, split: str
) -> pl.DataFrame:
    """The test interactions a ranking can hit: of users seen in training, and (with
    ``exclude_seen``) with items new to them."""
    held_out = test.height
    if exclude_seen:
        test = test.join(train.select(USER, ITEM), on=[USER, ITEM], how="anti")
    test = test.join(train.select(USER).unique(), on=USER, how="semi")
    if test.is_empty():
        raise ModelDataError(
            f"none of the {held_out:,} test interactions of the {split} split is with an item new "
            "to a user seen in training; repeat interactions count with --include-seen"
        )
    return test


def read_interactions(
    path: Path,
    user_col: str,
    item_col: str,
    rating_col: str | None = None,
    time_col: str | None = None,
) -> pl.DataFrame:
    """The file's interactions as ``user_id``, ``item_id``, ``value`` [, ``occurred_at``]."""
    frame = read_table(path).frame
    wanted = [name for name in (user_col, item_col, rating_col, time_col) if name]
    missing = [name for name in wanted if name not in frame.columns]
    if missing:
        columns = [name for name in frame.columns if name != "_row"]
        raise MappingError(path, f"no column {missing}; columns found: {columns}")
    selected = [pl.col(user_col).alias(USER), pl.col(item_col).alias(ITEM)]
    if rating_col:
        selected.append(pl.col(rating_col).cast(pl.Float64, strict=False).alias(VALUE))
    else:
        selected.append(pl.lit(1.0).alias(VALUE))
    interactions = frame.select("_row", *selected)
    if rating_col:
        bad = interactions.filter(pl.col(VALUE).is_null())
        if bad.height:
            raise MappingError(
                path,
                f"{bad.height} rating(s) in {rating_col!r} are not numbers (first at row "
                f"{bad['_row'][0]})",
            )
    if time_col:
        column = frame.get_column(time_col)
        parsed = clean.parse_datetime(column)
        if parsed.invalid.any() and column.str.contains(r"^\s*\d{9,10}\s*$").all():
            parsed = clean.parse_datetime(column, formats=["epoch"])  # Unix seconds
        if parsed.invalid.any():
            first = frame.filter(parsed.invalid)["_row"][0]
            raise MappingError(path, f"{time_col!r} holds text that is not a time (row {first})")
        interactions = interactions.with_columns(pl.Series(TIME, parsed.values))
    return interactions.drop("_row")

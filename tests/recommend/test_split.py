"""Splits: time, last-n per user, random and k-fold."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
import pytest

from crmind.errors import ConfigurationError, ModelDataError
from crmind.recommend.split import k_fold, random_split, time_split, user_last_split

START = datetime(2024, 1, 1)


def interactions() -> pl.DataFrame:
    rows = []
    for user in range(1, 6):
        for day in range(user * 2):
            rows.append((user, f"i{day}", 1.0, START + timedelta(days=day * 5)))
    return pl.DataFrame(rows, schema=["user_id", "item_id", "value", "occurred_at"], orient="row")


def test_time_split_keeps_test_users_known_from_training() -> None:
    frame = interactions()
    train, test = time_split(frame, cutoff=START + timedelta(days=12))
    cutoff = START + timedelta(days=12)
    assert train.filter(pl.col("occurred_at") > cutoff).is_empty()
    assert test.filter(pl.col("occurred_at") <= cutoff).is_empty()
    assert set(test["user_id"]) <= set(train["user_id"])
    default_train, default_test = time_split(frame, test_days=10)
    last = frame.select(pl.col("occurred_at").max()).item()
    assert default_test.filter(pl.col("occurred_at") <= last - timedelta(days=10)).is_empty()
    assert default_train.height + default_test.height <= frame.height


def test_user_last_split_holds_out_each_users_last_n() -> None:
    train, test = user_last_split(interactions(), n=2)
    assert test.group_by("user_id").len()["len"].to_list() == [2] * 4  # user 1 has only 2
    last = interactions().group_by("user_id").agg(pl.col("occurred_at").max())
    joined = test.group_by("user_id").agg(pl.col("occurred_at").max()).join(last, on="user_id")
    assert (joined["occurred_at"] == joined["occurred_at_right"]).all()
    assert 1 in set(train["user_id"])
    assert 1 not in set(test["user_id"])


def test_random_split_is_seeded() -> None:
    a = random_split(interactions(), test_fraction=0.3, seed=1)
    b = random_split(interactions(), test_fraction=0.3, seed=1)
    assert a[1].equals(b[1])
    assert a[0].height + a[1].height == interactions().height


def test_k_fold_tests_every_interaction_once() -> None:
    tested = pl.concat([test for _, test in k_fold(interactions(), folds=3, seed=0)])
    assert tested.sort(tested.columns).equals(interactions().sort(tested.columns))


def test_bad_splits_are_clear() -> None:
    with pytest.raises(ModelDataError, match="occurred_at"):
        time_split(interactions().drop("occurred_at"))
    with pytest.raises(ModelDataError, match="both must be non-empty"):
        time_split(interactions(), cutoff=START + timedelta(days=1000))
    with pytest.raises(ConfigurationError):
        random_split(interactions(), test_fraction=1.5)
    with pytest.raises(ConfigurationError):
        list(k_fold(interactions(), folds=1))

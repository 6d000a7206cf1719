from __future__ import annotations

import random

import polars as pl

from crmind.ingest.cleaning import flag_outliers


def test_flag_outliers_flags_huge_magnitudes_of_either_sign() -> None:
    values = pl.Series("quantity", [1, 2, 3, 6, 12, 24, 10, 4, 80995, -80995, -2, None])
    flags = flag_outliers(values)
    assert flags.name == "quantity"
    assert flags.to_list() == [False] * 8 + [True, True, False, False]


def test_flag_outliers_leaves_ordinary_quantities_alone() -> None:
    rng = random.Random(7)
    ordinary = [rng.choice([1, 2, 3, 4, 6, 10, 12, 24]) for _ in range(5_000)]
    values = pl.Series([*ordinary, *range(1, 201), 74215, 80995])
    flags = flag_outliers(values)
    assert not flags.head(len(ordinary) + 200).any()
    assert flags.tail(2).to_list() == [True, True]


def test_flag_outliers_does_not_flag_everything_that_differs_from_a_constant_column() -> None:
    values = pl.Series([1] * 1000 + [2, 3, 5, 1000])
    assert flag_outliers(values).to_list() == [False] * 1003 + [True]


def test_flag_outliers_a_larger_k_flags_less() -> None:
    values = pl.Series([1, 2, 3, 4, 5, 6, 8, 10, 12, 100, 5000])
    assert flag_outliers(values, k=1.0).to_list() == [False] * 9 + [True, True]
    assert flag_outliers(values, k=3.0).to_list() == [False] * 10 + [True]


def test_flag_outliers_never_flags_null_or_nan_and_copes_with_no_values() -> None:
    assert flag_outliers(pl.Series([None, float("nan"), 1.0])).to_list() == [False, False, False]
    assert flag_outliers(pl.Series("x", [None, None], dtype=pl.Float64)).to_list() == [False, False]
    assert flag_outliers(pl.Series([], dtype=pl.Int64)).to_list() == []


def test_flag_outliers_runs_on_500k_rows() -> None:
    rng = random.Random(1)
    values = pl.Series([rng.lognormvariate(1.0, 1.0) for _ in range(500_000)] + [1e9])
    flags = flag_outliers(values)
    assert flags.len() == 500_001
    assert flags[-1]

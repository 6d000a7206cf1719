"""Comparing a frame the spark engine made with the local engine's."""

from __future__ import annotations

import polars as pl

FLOAT_TOLERANCE = 1e-12
"""Relative tolerance of float columns: Spark may add money in another order than polars."""


def assert_frames_match(local: pl.DataFrame, remote: pl.DataFrame) -> None:
    """Same columns, types and rows; floats within FLOAT_TOLERANCE (relative)."""
    assert local.columns == remote.columns
    assert local.schema == remote.schema
    assert local.height == remote.height
    for name in local.columns:
        mine, theirs = local[name], remote[name]
        if mine.dtype.is_float():
            assert (mine.is_null() == theirs.is_null()).all(), name
            gaps = ((mine - theirs).abs() / (mine.abs() + 1.0)).fill_null(0.0).to_numpy()
            assert gaps.max(initial=0.0) <= FLOAT_TOLERANCE, f"{name} differs by {gaps.max()}"
        else:
            assert mine.equals(theirs), name

"""Tests of crmind.ingest.readers.model."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from crmind.columns import ROW
from crmind.ingest.readers.model import RAW_LIMIT, RawTable, RowReject, cut_raw


def test_rows_read_counts_rows_and_rejects() -> None:
    frame = pl.DataFrame({ROW: [2, 4], "a": ["x", "y"]})
    table = RawTable(Path("f.csv"), "csv", frame, (RowReject(3, "bad", "1,2,3"),))
    assert table.rows_read == 3


def test_reject_field_defaults_to_none() -> None:
    assert RowReject(2, "bad", "raw").field is None


def test_cut_raw_keeps_short_text_and_marks_a_cut() -> None:
    assert cut_raw("abc") == "abc"
    cut = cut_raw("x" * (RAW_LIMIT + 5))
    assert len(cut) == RAW_LIMIT
    assert cut.endswith("…")

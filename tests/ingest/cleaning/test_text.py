from __future__ import annotations

import polars as pl

from crmind.ingest.cleaning import clean_text


def test_clean_text_strips_and_collapses_whitespace() -> None:
    s = pl.Series("name", ["  Jane \t Doe ", "a\u3000b", "x\u00a0 y", "line\nbreak", "plain text"])
    assert clean_text(s).to_list() == ["Jane Doe", "a b", "x y", "line break", "plain text"]


def test_clean_text_turns_blank_into_null_and_keeps_nulls() -> None:
    s = pl.Series(["", "   ", None, "\t\n", "ok"])
    assert clean_text(s).to_list() == [None, None, None, None, "ok"]


def test_clean_text_keeps_the_name_and_casts_typed_columns() -> None:
    result = clean_text(pl.Series("qty", [1, None, 3]))
    assert result.name == "qty"
    assert result.dtype == pl.String
    assert result.to_list() == ["1", None, "3"]


def test_clean_text_handles_an_all_null_column() -> None:
    assert clean_text(pl.Series("x", [None, None])).to_list() == [None, None]


def test_clean_text_runs_on_500k_rows() -> None:
    s = pl.Series([f"  customer   {i % 1000}\t" if i % 7 else None for i in range(500_000)])
    result = clean_text(s)
    assert result.len() == 500_000
    assert result[1] == "customer 1"
    assert result.null_count() == s.null_count()

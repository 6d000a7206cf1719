"""Tests of crmind.ingest.readers.frame."""

from __future__ import annotations

import polars as pl

from crmind.columns import ROW
from crmind.ingest.readers.frame import finish_frame, name_columns, string_frame


def test_names_are_stripped_and_duplicates_numbered() -> None:
    names, made_up = name_columns([" id ", "id", "name", "id", "name "])
    assert names == ["id", "id_2", "name", "id_3", "name_2"]
    assert made_up == frozenset()


def test_empty_names_are_made_up_from_the_position() -> None:
    names, made_up = name_columns(["a", None, "  ", "a"])
    assert names == ["a", "column_2", "column_3", "a_2"]
    assert made_up == {"column_2", "column_3"}


def test_the_row_column_name_is_taken() -> None:
    names, _ = name_columns([ROW, "x"])
    assert names == [f"{ROW}_2", "x"]


def test_finish_frame_puts_row_first_and_turns_empty_strings_into_null() -> None:
    frame = string_frame(["a", "b"], [["1", ""], ["", "y"]])
    finished = finish_frame(frame, pl.Series([2, 3]))
    assert finished.columns == [ROW, "a", "b"]
    assert finished.schema[ROW] == pl.Int64
    assert finished.rows() == [(2, "1", None), (3, None, "y")]


def test_finish_frame_skips_rows_without_any_value_but_keeps_numbers() -> None:
    frame = string_frame(["a", "b"], [["1", "2"], ["", "  "], [None, None], ["3", "4"]])
    finished = finish_frame(frame, pl.Series([2, 3, 4, 5]))
    assert finished[ROW].to_list() == [2, 5]


def test_finish_frame_drops_unnamed_empty_columns_only() -> None:
    frame = string_frame(["a", "column_2", "column_3"], [["1", "", "x"], ["2", None, None]])
    finished = finish_frame(frame, pl.Series([2, 3]), made_up={"column_2", "column_3"})
    assert finished.columns == [ROW, "a", "column_3"]


def test_string_frame_makes_string_columns_even_without_rows() -> None:
    frame = string_frame(["a", "b"], [])
    assert frame.schema == pl.Schema({"a": pl.String, "b": pl.String})
    assert frame.height == 0

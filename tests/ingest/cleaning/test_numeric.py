from __future__ import annotations

import random

import polars as pl
import pytest

from crmind.ingest.cleaning import parse_decimal, parse_integer
from crmind.ingest.cleaning.numeric import COMMA_DETAIL, POINT_DETAIL


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,234.50", 1234.5),
        ("1234.5", 1234.5),
        (" 3 ", 3.0),
        ("-2", -2.0),
        ("+2", 2.0),
        ("£3.40", 3.4),
        ("$1,000", 1000.0),
        ("US$ 5", 5.0),
        ("5 EUR", 5.0),
        ("GBP 5", 5.0),
        ("(12.00)", -12.0),
        ("(£12.00)", -12.0),
        ("-£3.40", -3.4),
        ("£-3.40", -3.4),
        ("- 3.40", -3.4),
        ("\u22123.40", -3.4),
        ("1 234 567.5", 1234567.5),
        ("1'234.50", 1234.5),
        (".5", 0.5),
        ("5.", 5.0),
        ("1.5e3", 1500.0),
        ("0", 0.0),
    ],
)
def test_parse_decimal_reads_common_spellings(text: str, expected: float) -> None:
    parsed = parse_decimal(pl.Series([text]))
    assert parsed.values.to_list() == [expected]
    assert parsed.invalid.to_list() == [False]


@pytest.mark.parametrize(
    "text",
    [
        "x",
        "£",
        "1,2",
        "12,34",
        "1.2.3",
        "(-5)",
        "((5))",
        "5)",
        "(5",
        "3 . 4",
        "1e999",
        "nan",
        "inf",
    ],
)
def test_parse_decimal_marks_what_is_not_a_number_invalid(text: str) -> None:
    parsed = parse_decimal(pl.Series(["1.50", text]))
    assert parsed.values.to_list() == [1.5, None]
    assert parsed.invalid.to_list() == [False, True]


def test_parse_decimal_keeps_nulls_and_blanks_as_null_but_not_invalid() -> None:
    parsed = parse_decimal(pl.Series("price", [None, "", "  ", "2.5", "oops"]))
    assert parsed.values.name == "price"
    assert parsed.values.dtype == pl.Float64
    assert parsed.values.to_list() == [None, None, None, 2.5, None]
    assert parsed.invalid.dtype == pl.Boolean
    assert parsed.invalid.to_list() == [False, False, False, False, True]
    assert parsed.invalid_count == 1


def test_parse_decimal_detects_a_decimal_comma_column() -> None:
    parsed = parse_decimal(pl.Series(["1.234,50", "3,40", "1.000", "12", "-0,5", "€ 1.234.567,89"]))
    assert parsed.detail == COMMA_DETAIL
    assert parsed.values.to_list() == [1234.5, 3.4, 1000.0, 12.0, -0.5, 1234567.89]
    assert not parsed.invalid.any()


def test_parse_decimal_reads_values_against_the_column_convention() -> None:
    parsed = parse_decimal(pl.Series(["3,40", "2,10", "1,234.50"]))
    assert parsed.detail == COMMA_DETAIL
    assert parsed.values.to_list() == [3.4, 2.1, None]
    assert parsed.invalid.to_list() == [False, False, True]


def test_parse_decimal_reads_ambiguous_grouping_with_a_decimal_point_by_default() -> None:
    parsed = parse_decimal(pl.Series(["1,234", "1.234", "7"]))
    assert parsed.detail == POINT_DETAIL
    assert parsed.values.to_list() == [1234.0, 1.234, 7.0]


def test_parse_decimal_convention_can_be_forced() -> None:
    parsed = parse_decimal(pl.Series(["1,234", "1.234", "7"]), decimal_comma=True)
    assert parsed.detail == COMMA_DETAIL
    assert parsed.values.to_list() == [1.234, 1234.0, 7.0]


def test_parse_decimal_accepts_numeric_columns() -> None:
    parsed = parse_decimal(pl.Series([1.5, None, 3.0]))
    assert parsed.values.to_list() == [1.5, None, 3.0]
    assert parsed.invalid.to_list() == [False, False, False]


def test_parse_integer_reads_whole_numbers_only() -> None:
    texts = ["6", "-12", "6.0", "6.5", "1,000", "(3)", "1e3", None, "", "abc"]
    parsed = parse_integer(pl.Series("quantity", texts))
    assert parsed.values.dtype == pl.Int64
    assert parsed.values.to_list() == [6, -12, 6, None, 1000, -3, 1000, None, None, None]
    assert parsed.invalid.to_list() == [
        False,
        False,
        False,
        True,
        False,
        False,
        False,
        False,
        False,
        True,
    ]


def test_parse_integer_reads_large_digit_strings_exactly_and_rejects_overflow() -> None:
    parsed = parse_integer(pl.Series(["9223372036854775807", "9223372036854775808", "1e20"]))
    assert parsed.values.to_list() == [9223372036854775807, None, None]
    assert parsed.invalid.to_list() == [False, True, True]


def test_parse_integer_with_a_decimal_comma_column() -> None:
    parsed = parse_integer(pl.Series(["1.234", "2,0", "2,5"]), decimal_comma=True)
    assert parsed.values.to_list() == [1234, 2, None]
    assert parsed.invalid.to_list() == [False, False, True]


def test_parsers_run_on_500k_rows() -> None:
    rng = random.Random(3)
    texts = [f"£{rng.randint(0, 10**6):,}.{rng.randint(0, 99):02d}" for _ in range(500_000)]
    texts[::1000] = ["n/a"] * 500
    decimals = parse_decimal(pl.Series(texts))
    assert decimals.values.len() == 500_000
    assert decimals.invalid_count == 500
    integers = parse_integer(pl.Series([str(i - 250_000) for i in range(500_000)]))
    assert integers.values.sum() == sum(range(-250_000, 250_000))
    assert integers.invalid_count == 0

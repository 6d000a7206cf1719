from __future__ import annotations

import polars as pl
import pytest

from crmind.errors import CrmindError
from crmind.ingest.cleaning import normalize_email, normalize_phone


def test_normalize_email_trims_and_lower_cases() -> None:
    parsed = normalize_email(pl.Series("email", [" Jane.Doe@Example.COM ", "mailto:Bob@X.org"]))
    assert parsed.values.to_list() == ["jane.doe@example.com", "bob@x.org"]
    assert parsed.values.name == "email"
    assert parsed.invalid.to_list() == [False, False]


@pytest.mark.parametrize(
    "text",
    [
        "jane@localhost",
        "a@b@c.com",
        "a b@c.com",
        "@x.com",
        "a@",
        "a@.com",
        "a@x..com",
        "a@x.c",
        "a@x.com;b@y.com",
        "Jane <jane@x.com>",
        "not an email",
    ],
)
def test_normalize_email_marks_implausible_addresses_invalid(text: str) -> None:
    parsed = normalize_email(pl.Series([text, "ok@x.com"]))
    assert parsed.values.to_list() == [None, "ok@x.com"]
    assert parsed.invalid.to_list() == [True, False]


def test_normalize_email_accepts_plus_tags_subdomains_and_international_addresses() -> None:
    texts = ["first.last+tag@mail.example.co.uk", "张三@例子.中国"]
    assert normalize_email(pl.Series(texts)).values.to_list() == texts


def test_normalize_email_keeps_nulls_and_blanks_as_null_but_not_invalid() -> None:
    parsed = normalize_email(pl.Series([None, "", "  "]))
    assert parsed.values.to_list() == [None, None, None]
    assert parsed.invalid.to_list() == [False, False, False]


def test_normalize_email_runs_on_500k_rows() -> None:
    texts = [f" User.{i}@Example{i % 1000}.COM " if i % 50 else f"bad {i}" for i in range(500_000)]
    parsed = normalize_email(pl.Series(texts))
    assert parsed.values[1] == "user.1@example1.com"
    assert parsed.invalid_count == 10_000


def test_normalize_phone_formats_national_and_international_numbers_as_e164() -> None:
    texts = [
        "07911 123456",
        "+44 7911 123456",
        "020 7946 0958",
        "+1 650-253-0000",
        "+44 (0)20 7946 0958",
    ]
    parsed = normalize_phone(pl.Series("phone", texts))
    assert parsed.values.to_list() == [
        "+447911123456",
        "+447911123456",
        "+442079460958",
        "+16502530000",
        "+442079460958",
    ]
    assert parsed.values.name == "phone"
    assert not parsed.invalid.any()


def test_normalize_phone_marks_impossible_numbers_invalid_and_keeps_nulls() -> None:
    parsed = normalize_phone(pl.Series(["12345", "abc", None, "  ", "07911 123456"]))
    assert parsed.values.to_list() == [None, None, None, None, "+447911123456"]
    assert parsed.invalid.to_list() == [True, True, False, False, False]


def test_normalize_phone_require_valid_false_accepts_possible_numbers() -> None:
    # right length for the UK, but in no allocated range
    strict = normalize_phone(pl.Series(["+44 9999 999999"]))
    lenient = normalize_phone(pl.Series(["+44 9999 999999"]), require_valid=False)
    assert strict.invalid.to_list() == [True]
    assert lenient.values.to_list() == ["+449999999999"]


def test_normalize_phone_takes_a_region_per_row() -> None:
    texts = ["(650) 253-0000", "07911 123456", "030 123456", "+44 7911 123456", "07911 123456"]
    regions = ["us", "GB", "DE", None, None]
    parsed = normalize_phone(pl.Series(texts), pl.Series(regions))
    assert parsed.values.to_list() == [
        "+16502530000",
        "+447911123456",
        "+4930123456",
        "+447911123456",
        None,
    ]
    assert parsed.invalid.to_list() == [False, False, False, False, True]


def test_normalize_phone_without_a_region_reads_only_international_numbers() -> None:
    parsed = normalize_phone(pl.Series(["07911 123456", "+44 7911 123456"]), None)
    assert parsed.values.to_list() == [None, "+447911123456"]
    assert parsed.invalid.to_list() == [True, False]


def test_normalize_phone_refuses_a_region_series_of_another_length() -> None:
    with pytest.raises(CrmindError, match="2 values for 3 phone numbers"):
        normalize_phone(pl.Series(["1", "2", "3"]), pl.Series(["GB", "US"]))


def test_normalize_phone_runs_on_500k_rows_with_repeated_numbers() -> None:
    numbers = pl.Series([f"07911 {100000 + i}" for i in range(2_000)] + ["nope"])
    parsed = normalize_phone(numbers.sample(500_000, with_replacement=True, seed=0))
    assert parsed.values.len() == 500_000
    assert parsed.values.drop_nulls().str.starts_with("+447911").all()
    assert parsed.invalid.sum() == parsed.values.null_count()

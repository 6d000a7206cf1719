from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest

from crmind.errors import CrmindError
from crmind.ingest.cleaning import parse_datetime


@pytest.mark.parametrize(
    ("text", "expected", "detail"),
    [
        ("2010-12-01 08:26:00", datetime(2010, 12, 1, 8, 26), "%Y-%m-%d %H:%M:%S%.f"),
        # alone, 12/1/2010 reads both ways: day-first is assumed (see the month-first test below)
        ("12/1/2010 8:26", datetime(2010, 1, 12, 8, 26), "%d/%m/%Y %H:%M"),
        ("19970101", datetime(1997, 1, 1), "%Y%m%d"),
        ("2024-03-05T10:00:00+08:00", datetime(2024, 3, 5, 2, 0), "%Y-%m-%dT%H:%M:%S%.f%#z"),
        ("2024-03-05T10:00:00Z", datetime(2024, 3, 5, 10, 0), "%Y-%m-%dT%H:%M:%S%.f%#z"),
        ("2024-03-05T10:00:00.250-05:00", datetime(2024, 3, 5, 15, 0, 0, 250_000), None),
        ("2024年3月5日", datetime(2024, 3, 5), "%Y年%m月%d日"),
        ("2024-03-05", datetime(2024, 3, 5), "%Y-%m-%d"),
        ("2024/03/05 10:30", datetime(2024, 3, 5, 10, 30), "%Y/%m/%d %H:%M"),
        ("05.03.2024", datetime(2024, 3, 5), "%d.%m.%Y"),
        ("5-Mar-2024", datetime(2024, 3, 5), "%d-%B-%Y"),
        ("Mar 5, 2024", datetime(2024, 3, 5), "%B %d, %Y"),
        ("1709632800", datetime(2024, 3, 5, 10, 0), "epoch"),
    ],
)
def test_parse_datetime_reads_one_value_of_each_known_format(
    text: str, expected: datetime, detail: str | None
) -> None:
    parsed = parse_datetime(pl.Series([text]))
    assert parsed.values.to_list() == [expected]
    assert parsed.invalid.to_list() == [False]
    if detail is not None:
        assert parsed.detail.startswith(detail)


def test_parse_datetime_returns_naive_utc_microseconds_and_keeps_nulls() -> None:
    parsed = parse_datetime(pl.Series("at", ["2010-12-01 08:26:00", None, "", "  ", "soon"]))
    assert parsed.values.dtype == pl.Datetime("us", None)
    assert parsed.values.name == "at"
    assert parsed.values.to_list() == [datetime(2010, 12, 1, 8, 26), None, None, None, None]
    assert parsed.invalid.to_list() == [False, False, False, False, True]


def test_parse_datetime_detects_month_first_from_a_day_above_12() -> None:
    parsed = parse_datetime(pl.Series(["12/1/2010 8:26", "12/13/2010 9:00", "1/4/2011 10:00"]))
    assert parsed.detail == "%m/%d/%Y %H:%M"
    assert parsed.values.to_list() == [
        datetime(2010, 12, 1, 8, 26),
        datetime(2010, 12, 13, 9, 0),
        datetime(2011, 1, 4, 10, 0),
    ]


def test_parse_datetime_detects_day_first_from_a_day_above_12() -> None:
    parsed = parse_datetime(pl.Series(["1/12/2010", "13/12/2010"]))
    assert parsed.detail == "%d/%m/%Y"
    assert parsed.values.to_list() == [datetime(2010, 12, 1), datetime(2010, 12, 13)]


def test_parse_datetime_finds_the_deciding_value_beyond_the_sample() -> None:
    # 3,000 distinct ambiguous dates, one that only reads month-first.
    days = [date(2000, 1, 1) + timedelta(days=i) for i in range(20_000)]
    ambiguous = [f"{d.month:02d}/{d.day:02d}/{d.year}" for d in days if d.day <= 12][:3_000]
    parsed = parse_datetime(pl.Series([*ambiguous, "12/31/2010"]))
    assert parsed.detail == "%m/%d/%Y"
    assert parsed.invalid_count == 0


def test_parse_datetime_assumes_day_first_when_nothing_decides_and_says_so() -> None:
    parsed = parse_datetime(pl.Series(["01/02/2024", "03/04/2024"]))
    assert parsed.values.to_list() == [datetime(2024, 2, 1), datetime(2024, 4, 3)]
    assert "ambiguous" in parsed.detail
    assert "day-first" in parsed.detail


def test_parse_datetime_dayfirst_settles_the_order() -> None:
    month_first = parse_datetime(pl.Series(["01/02/2024", "03/04/2024"]), dayfirst=False)
    assert month_first.values.to_list() == [datetime(2024, 1, 2), datetime(2024, 3, 4)]
    assert month_first.detail == "%m/%d/%Y"
    day_first = parse_datetime(pl.Series(["01/02/2024", "12/13/2024"]), dayfirst=True)
    assert day_first.values.to_list() == [datetime(2024, 2, 1), None]
    assert day_first.invalid.to_list() == [False, True]


def test_parse_datetime_reads_a_column_mixing_iso_and_day_first() -> None:
    texts = ["2024-03-05", "2024-03-06 10:00:00", "05/03/2024", "31/12/2024", "junk"]
    parsed = parse_datetime(pl.Series(texts))
    assert parsed.values.to_list() == [
        datetime(2024, 3, 5),
        datetime(2024, 3, 6, 10),
        datetime(2024, 3, 5),
        datetime(2024, 12, 31),
        None,
    ]
    assert parsed.invalid.to_list() == [False, False, False, False, True]
    assert "%d/%m/%Y" in parsed.detail


def test_parse_datetime_never_mixes_day_first_and_month_first_in_one_column() -> None:
    parsed = parse_datetime(pl.Series(["13/01/2024", "14/01/2024", "01/13/2024"]))
    assert parsed.values.to_list() == [datetime(2024, 1, 13), datetime(2024, 1, 14), None]
    assert parsed.invalid.to_list() == [False, False, True]


def test_parse_datetime_converts_naive_local_time_to_utc() -> None:
    texts = ["2024-07-01 12:00", "2024-01-01 12:00", "2024-10-27 01:30"]
    parsed = parse_datetime(pl.Series(texts), timezone="Europe/London")
    # summer time is UTC+1; winter time is UTC; the repeated 01:30 takes the earlier instant
    assert parsed.values.to_list() == [
        datetime(2024, 7, 1, 11),
        datetime(2024, 1, 1, 12),
        datetime(2024, 10, 27, 0, 30),
    ]


def test_parse_datetime_a_local_time_skipped_by_daylight_saving_is_invalid() -> None:
    parsed = parse_datetime(
        pl.Series(["2024-03-31 01:30", "2024-03-31 02:30"]), timezone="Europe/London"
    )
    assert parsed.values.to_list() == [None, datetime(2024, 3, 31, 1, 30)]
    assert parsed.invalid.to_list() == [True, False]


def test_parse_datetime_values_with_an_offset_ignore_the_timezone_argument() -> None:
    parsed = parse_datetime(pl.Series(["2024-03-05T10:00:00+08:00"]), timezone="America/New_York")
    assert parsed.values.to_list() == [datetime(2024, 3, 5, 2)]


def test_parse_datetime_date_only_values_are_local_midnight() -> None:
    parsed = parse_datetime(pl.Series(["2024年3月5日"]), timezone="Asia/Shanghai")
    assert parsed.values.to_list() == [datetime(2024, 3, 4, 16)]


def test_parse_datetime_rejects_years_outside_1900_to_2100() -> None:
    parsed = parse_datetime(pl.Series(["2024-01-01", "1899-12-31", "2101-01-01", "0099-01-01"]))
    assert parsed.values.to_list() == [datetime(2024, 1, 1), None, None, None]
    assert parsed.invalid.to_list() == [False, True, True, True]


def test_parse_datetime_with_explicit_formats_uses_only_those() -> None:
    parsed = parse_datetime(pl.Series(["05|03|2024", "2024-03-05"]), formats=["%d|%m|%Y"])
    assert parsed.values.to_list() == [datetime(2024, 3, 5), None]
    assert parsed.invalid.to_list() == [False, True]
    assert parsed.detail == "%d|%m|%Y"


def test_parse_datetime_says_when_nothing_matched() -> None:
    parsed = parse_datetime(pl.Series(["soon", "later"]))
    assert parsed.invalid.to_list() == [True, True]
    assert parsed.detail == "no known date format matched"


def test_parse_datetime_converts_columns_that_are_already_dates() -> None:
    naive = parse_datetime(pl.Series([datetime(2024, 7, 1, 12), None]), timezone="Europe/London")
    assert naive.values.to_list() == [datetime(2024, 7, 1, 11), None]
    assert naive.invalid.to_list() == [False, False]
    zoned = pl.Series([datetime(2024, 1, 1, 9, tzinfo=UTC)]).dt.convert_time_zone("Asia/Tokyo")
    assert parse_datetime(zoned).values.to_list() == [datetime(2024, 1, 1, 9)]
    dates = parse_datetime(pl.Series([date(2024, 1, 2)]))
    assert dates.values.to_list() == [datetime(2024, 1, 2)]
    assert dates.values.dtype == pl.Datetime("us", None)


def test_parse_datetime_refuses_an_unknown_timezone() -> None:
    with pytest.raises(CrmindError, match="Mars/Olympus"):
        parse_datetime(pl.Series(["2024-01-01"]), timezone="Mars/Olympus")


def test_parse_datetime_runs_on_500k_rows() -> None:
    start = datetime(2010, 12, 1, 8, 26)
    instants = pl.Series([start + timedelta(minutes=7 * i) for i in range(500_000)])
    texts = instants.dt.strftime("%d/%m/%Y %H:%M").to_list()
    texts[::1000] = ["not a date"] * 500
    parsed = parse_datetime(pl.Series(texts))
    assert parsed.detail == "%d/%m/%Y %H:%M"
    assert parsed.invalid_count == 500
    assert parsed.values.len() == 500_000
    assert parsed.values[1] == start + timedelta(minutes=7)
    assert parsed.values[-1] == start + timedelta(minutes=7 * 499_999)

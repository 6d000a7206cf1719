"""The cleaning functions on the real UCI Online Retail file (541,909 rows), read as text."""

from __future__ import annotations

import io
import lzma
from datetime import datetime

import polars as pl
import pytest

from crmind.ingest.cleaning import (
    clean_text,
    country_code,
    flag_outliers,
    parse_datetime,
    parse_decimal,
    parse_integer,
)
from tests.conftest import shared_data

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def retail() -> pl.DataFrame:
    with lzma.open(shared_data("online_retail_uci/online_retail.csv.xz")) as f:
        return pl.read_csv(io.BytesIO(f.read()), infer_schema=False)


def test_every_quantity_price_and_date_parses(retail: pl.DataFrame) -> None:
    assert retail.height == 541_909
    quantity = parse_integer(retail["Quantity"])
    price = parse_decimal(retail["UnitPrice"])
    invoiced = parse_datetime(retail["InvoiceDate"], timezone="Europe/London")
    assert quantity.invalid_count == price.invalid_count == invoiced.invalid_count == 0
    total = (quantity.values * price.values).sum()
    assert total == pytest.approx(9_747_747.93, abs=0.01)
    # winter timestamps are UTC already; the last invoice is on 9 December 2011
    assert invoiced.values.min() == datetime(2010, 12, 1, 8, 26)
    assert invoiced.values.max() == datetime(2011, 12, 9, 12, 50)


def test_the_80995_unit_rows_are_outliers_and_ordinary_quantities_are_not(
    retail: pl.DataFrame,
) -> None:
    quantity = parse_integer(retail["Quantity"]).values
    flags = flag_outliers(quantity)
    assert quantity.filter(quantity.abs() == 80_995).len() == 2
    assert flags.filter(quantity.abs() == 80_995).all()
    assert not flags.filter(quantity.abs() <= 200).any()
    assert flags.sum() < 100


def test_every_country_but_three_non_countries_gets_a_code(retail: pl.DataFrame) -> None:
    codes = country_code(retail["Country"])
    unmapped = set(retail["Country"].filter(codes.is_null()).unique())
    assert unmapped == {"Unspecified", "European Community", "Channel Islands"}
    assert codes.drop_nulls().n_unique() == 35


def test_descriptions_lose_only_surplus_whitespace(retail: pl.DataFrame) -> None:
    description = retail["Description"]
    cleaned = clean_text(description)
    assert cleaned.null_count() == description.null_count()
    expected = description.str.strip_chars().str.replace_all(r"\s+", " ")
    assert (cleaned == expected).all()
    assert (cleaned != description).sum() > 10_000  # "FELT TOADSTOOL  SMALL" and the like

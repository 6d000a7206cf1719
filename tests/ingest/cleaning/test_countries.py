from __future__ import annotations

import polars as pl
import pytest

from crmind.ingest.cleaning import country_code, known_countries

UCI_ONLINE_RETAIL = {
    "United Kingdom": "GB", "France": "FR", "Australia": "AU", "Netherlands": "NL",
    "Germany": "DE", "Norway": "NO", "EIRE": "IE", "Switzerland": "CH", "Spain": "ES",
    "Poland": "PL", "Portugal": "PT", "Italy": "IT", "Belgium": "BE", "Lithuania": "LT",
    "Japan": "JP", "Iceland": "IS", "Channel Islands": None, "Denmark": "DK", "Cyprus": "CY",
    "Sweden": "SE", "Austria": "AT", "Israel": "IL", "Finland": "FI", "Bahrain": "BH",
    "Greece": "GR", "Hong Kong": "HK", "Singapore": "SG", "Lebanon": "LB",
    "United Arab Emirates": "AE", "Saudi Arabia": "SA", "Czech Republic": "CZ", "Canada": "CA",
    "Unspecified": None, "Brazil": "BR", "USA": "US", "European Community": None, "Malta": "MT",
    "RSA": "ZA",
}  # fmt: skip


def test_country_code_covers_the_38_countries_of_uci_online_retail() -> None:
    assert len(UCI_ONLINE_RETAIL) == 38
    names = pl.Series(list(UCI_ONLINE_RETAIL))
    assert country_code(names).to_list() == list(UCI_ONLINE_RETAIL.values())


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("UK", "GB"),
        ("gb", "GB"),
        ("GBR", "GB"),
        ("England", "GB"),
        ("United States", "US"),
        (" u.s.a. ", "US"),
        ("China", "CN"),
        ("中国", "CN"),
        ("Taiwan", "TW"),
        ("The Netherlands", "NL"),
        ("Holland", "NL"),
        ("deu", "DE"),
        ("St. Lucia", "LC"),
        ("Côte d’Ivoire", "CI"),
        ("Cote d'Ivoire", "CI"),
        ("Korea, Republic of", "KR"),
        ("Guinea Bissau", "GW"),
        ("Trinidad & Tobago", "TT"),
        ("Türkiye", "TR"),
    ],
)
def test_country_code_reads_codes_aliases_and_spelling_variants(text: str, code: str) -> None:
    assert country_code(pl.Series([text])).to_list() == [code]


def test_country_code_gives_null_for_unknown_blank_and_null() -> None:
    result = country_code(pl.Series("country", ["Narnia", "", None, "XX"]))
    assert result.name == "country"
    assert result.to_list() == [None, None, None, None]


def test_known_countries_lists_every_iso_3166_country_once() -> None:
    table = known_countries()
    assert table.height == 249
    assert table.get_column("alpha2").n_unique() == 249
    assert table.get_column("alpha3").n_unique() == 249
    assert table.filter(pl.col("alpha2") == "GB").row(0) == ("GB", "GBR", "United Kingdom")


def test_country_code_maps_every_listed_name_and_code_back_to_its_own_country() -> None:
    table = known_countries()
    for column in ("alpha2", "alpha3", "name"):
        assert country_code(table.get_column(column)).to_list() == table["alpha2"].to_list()


def test_country_code_runs_on_500k_rows() -> None:
    names = pl.Series(["United Kingdom", "uk", "Germany", "EIRE", "USA", "Narnia", None])
    result = country_code(names.sample(500_000, with_replacement=True, seed=2))
    assert result.len() == 500_000
    assert set(result.drop_nulls().unique()) == {"GB", "DE", "IE", "US"}

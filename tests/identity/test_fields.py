"""Field specs: cleaning (normalise), comparator guesses and their errors."""

from __future__ import annotations

import polars as pl
import pytest

from crmind.errors import ConfigurationError
from crmind.identity.fields import (
    CUSTOMER_FIELDS,
    LEVELS,
    MISSING,
    Comparator,
    FieldSpec,
    guess_fields,
    normalise,
)


def clean(comparator: Comparator, values: list[str | None]) -> list[str | None]:
    frame = pl.DataFrame({"v": values}, schema={"v": pl.String})
    result: list[str | None] = normalise(frame, [FieldSpec("v", comparator)])["v"].to_list()
    return result


def test_levels_of_each_comparator_match_the_docstring_table() -> None:
    assert dict(LEVELS) == {
        Comparator.NAME: 4,
        Comparator.TEXT: 4,
        Comparator.CODE: 3,
        Comparator.EMAIL: 3,
        Comparator.EXACT: 2,
    }
    assert FieldSpec("x", Comparator.CODE).levels == 3
    assert MISSING == -1
    assert {spec.name for spec in CUSTOMER_FIELDS} >= {"first_name", "email", "birth_date"}


@pytest.mark.parametrize("comparator", [Comparator.NAME, Comparator.TEXT, Comparator.EXACT])
def test_text_like_fields_lowercase_strip_accents_and_punctuation(comparator: Comparator) -> None:
    assert clean(comparator, ["  Zoë   O'Brien-SMITH ", "Chloé\tDubois", "ÅNGSTRÖM, Jr."]) == [
        "zoe o brien smith",
        "chloe dubois",
        "angstrom jr",
    ]


def test_code_fields_keep_only_letters_and_digits() -> None:
    assert clean(Comparator.CODE, ["(555) 123-4567", "1990-01-02", " SW1A 1AA ", "é-12"]) == [
        "5551234567",
        "19900102",
        "sw1a1aa",
        "e12",
    ]


def test_email_is_lowercased_and_trimmed_but_keeps_its_punctuation() -> None:
    assert clean(Comparator.EMAIL, [" John.Smith+crm@Example.COM "]) == [
        "john.smith+crm@example.com"
    ]


@pytest.mark.parametrize("comparator", list(Comparator))
def test_empty_blank_and_punctuation_only_values_become_null(comparator: Comparator) -> None:
    values = ["", "   ", None] + (["--", "()"] if comparator != Comparator.EMAIL else [])
    assert clean(comparator, values) == [None] * len(values)


def test_non_string_columns_are_cast_and_other_columns_left_alone() -> None:
    frame = pl.DataFrame({"postcode": [4011, None], "note": ["Keep ME", "x"]})
    result = normalise(frame, [FieldSpec("postcode", Comparator.CODE)])
    assert result.schema["postcode"] == pl.String
    assert result["postcode"].to_list() == ["4011", None]
    assert result["note"].to_list() == ["Keep ME", "x"]


def test_an_unknown_field_is_a_configuration_error_naming_it() -> None:
    frame = pl.DataFrame({"name": ["a"]})
    with pytest.raises(ConfigurationError, match=r"'nickname'.*columns are name"):
        normalise(frame, [FieldSpec("nickname", Comparator.NAME)])


def test_guess_fields_from_column_names() -> None:
    columns = [
        "email",
        "E_Mail_Address",
        "date_of_birth",
        "dob",
        "phone",
        "mobile",
        "postcode",
        "zip",
        "soc_sec_id",
        "street_number",
        "customer_id",
        "address_1",
        "street",
        "state",
        "country",
        "gender",
        "given_name",
        "surname",
        "suburb",
    ]
    guessed = {spec.name: spec.comparator for spec in guess_fields(columns)}
    assert list(guessed) == columns
    assert guessed == {
        "email": Comparator.EMAIL,
        "E_Mail_Address": Comparator.EMAIL,  # "mail" wins over "addr"
        "date_of_birth": Comparator.CODE,
        "dob": Comparator.CODE,
        "phone": Comparator.CODE,
        "mobile": Comparator.CODE,
        "postcode": Comparator.CODE,
        "zip": Comparator.CODE,
        "soc_sec_id": Comparator.CODE,
        "street_number": Comparator.CODE,  # a number, not an address
        "customer_id": Comparator.CODE,
        "address_1": Comparator.TEXT,
        "street": Comparator.TEXT,
        "state": Comparator.EXACT,
        "country": Comparator.EXACT,
        "gender": Comparator.EXACT,
        "given_name": Comparator.NAME,
        "surname": Comparator.NAME,
        "suburb": Comparator.NAME,
    }


def test_overrides_win_over_the_guess() -> None:
    specs = guess_fields(["surname", "state", "email"], {"surname": "text", "state": "name"})
    assert specs == [
        FieldSpec("surname", Comparator.TEXT),
        FieldSpec("state", Comparator.NAME),
        FieldSpec("email", Comparator.EMAIL),
    ]


def test_a_bad_comparator_name_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match=r"'surname': comparator 'fuzzy' is not one of"):
        guess_fields(["surname"], {"surname": "fuzzy"})


def test_an_override_for_an_unknown_column_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match=r"unknown column.*nickname"):
        guess_fields(["surname"], {"nickname": "name"})

"""Normalise e-mail addresses and phone numbers so the same contact always looks the same."""

from __future__ import annotations

import phonenumbers
import polars as pl

from crmind.errors import CrmindError
from crmind.ingest.cleaning.distinct import spread
from crmind.ingest.cleaning.parsed import Parsed, parsed_from
from crmind.ingest.cleaning.text import as_text, clean_text

# One "@"; a local part and dot-separated domain labels with no whitespace, quotes, brackets or
# list separators; at least one dot in the domain, no empty label, a last label of two characters
# or more. Internationalised (non-ASCII) addresses pass.
_NOT_ALLOWED = r"\s@<>()\[\],;:\""
_LABEL = rf"[^{_NOT_ALLOWED}.]+"
_EMAIL = rf"^[^{_NOT_ALLOWED}]+@{_LABEL}(?:\.{_LABEL})*\.[^{_NOT_ALLOWED}.]{{2,}}$"


def normalize_email(s: pl.Series) -> Parsed:
    """Trim, drop a ``mailto:`` prefix and lower-case; invalid unless a plausible address.

    Plausible: exactly one ``@``, no whitespace, quotes, brackets, commas or semicolons, a domain
    with at least one dot and no empty label. Deliverability is not checked.

    >>> normalize_email(pl.Series([" Jane.Doe@Example.COM ", "jane@localhost"])).values.to_list()
    ['jane.doe@example.com', None]
    """
    keys = pl.DataFrame({"text": as_text(s)})
    distinct = keys.unique()
    text = clean_text(distinct.get_column("text"))
    address = text.str.replace(r"(?i)^mailto:", "").str.to_lowercase()
    plausible = address.str.contains(_EMAIL).fill_null(False)
    answers = pl.DataFrame(
        {"value": address.set(~plausible, None), "invalid": text.is_not_null() & ~plausible}
    )
    return parsed_from(spread(keys, distinct, answers), s.name)


def normalize_phone(
    s: pl.Series,
    default_region: str | pl.Series | None = "GB",
    *,
    require_valid: bool = True,
) -> Parsed:
    """Phone numbers to E.164 (``+447911123456``) with ``phonenumbers``, once per distinct value.

    ``default_region`` is the ISO 3166 alpha-2 region of numbers written without ``+``: one code
    for the whole column, a Series of codes (one per row, e.g. from
    :func:`~crmind.ingest.cleaning.countries.country_code`), or None (then only numbers written in
    international form parse). A number is invalid when it cannot be parsed or, with
    ``require_valid`` (the default), when ``phonenumbers.is_valid_number`` rejects it; with
    ``require_valid=False`` ``is_possible_number`` (a length check) is enough. Extensions are
    dropped, as E.164 has none.
    """
    if isinstance(default_region, pl.Series):
        if len(default_region) != len(s):
            msg = (
                f"default_region has {len(default_region)} values for {len(s)} phone numbers; "
                "expected one region per number"
            )
            raise CrmindError(msg)
        region = as_text(default_region)
    else:
        region = pl.repeat(default_region, len(s), dtype=pl.String, eager=True)
    keys = pl.DataFrame({"text": as_text(s), "region": region})
    distinct = keys.unique()
    text = clean_text(distinct.get_column("text"))
    international = text.str.starts_with("+").fill_null(False)
    # The region only matters for numbers written without "+": drop it there, so that
    # "+44 7911 123456" is parsed once whatever region its rows carry.
    region = clean_text(distinct.get_column("region")).str.to_uppercase().set(international, None)
    numbers = pl.DataFrame({"text": text, "region": region})
    to_parse = numbers.unique()
    e164 = [
        _to_e164(number, code, require_valid) if number and (code or number[0] == "+") else None
        for number, code in to_parse.iter_rows()
    ]
    answers = pl.DataFrame({"value": pl.Series(e164, dtype=pl.String)})
    value = spread(numbers, to_parse, answers).get_column("value")
    answers = pl.DataFrame({"value": value, "invalid": text.is_not_null() & value.is_null()})
    return parsed_from(spread(keys, distinct, answers), s.name)


def _to_e164(number: str, region: str | None, require_valid: bool) -> str | None:
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        return None
    ok = (
        phonenumbers.is_valid_number(parsed)
        if require_valid
        else phonenumbers.is_possible_number(parsed)
    )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) if ok else None


def email_of(text: str) -> str | None:
    """One e-mail address normalised as :func:`normalize_email` does, or None if implausible."""
    value = normalize_email(pl.Series([text], dtype=pl.String)).values[0]
    return None if value is None else str(value)


def phone_of(text: str, default_region: str | None = "GB") -> str | None:
    """One phone number in E.164 as :func:`normalize_phone` reads it, or None if invalid."""
    value = normalize_phone(pl.Series([text], dtype=pl.String), default_region).values[0]
    return None if value is None else str(value)

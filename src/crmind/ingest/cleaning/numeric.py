"""Parse imported amounts and counts: currency signs, thousands separators, decimal commas.

Accepted (after :func:`~crmind.ingest.cleaning.text.clean_text`):

- a sign ``+`` / ``-`` (also the Unicode minus), or accounting parentheses ``(12.00)``;
- a currency symbol (``£``, ``$``, ``US$``, ``€``, ``¥``, ...) or ISO code (``GBP``, ``USD``,
  ``EUR``, ...) on either side of the number or its sign, with or without spaces;
- thousands grouped by threes with ``,`` (decimal point), ``.`` (decimal comma), a space, a
  no-break space or an apostrophe (``1'234.50``);
- a decimal point or, when the column uses it, a decimal comma; an exponent (``1.5e3``) with a
  decimal point.

The convention is decided once per column: values only readable one way vote for it (``3.40`` or
``1,234.50`` for the point, ``3,40`` or ``1.234,50`` for the comma); values readable both ways
(``1,234``, ``1.234``, ``12``) do not vote, and the point wins a tie. Values that do not fit the
chosen convention are invalid rather than guessed at.
"""

from __future__ import annotations

import polars as pl

from crmind.ingest.cleaning.distinct import spread
from crmind.ingest.cleaning.parsed import Parsed, parsed_from
from crmind.ingest.cleaning.text import clean_text

_CURRENCY = (  # with the whitespace around it: "- £ 3.40" -> "-3.40"
    r"(?i)\s*(?:(?:us|au|a|ca|c|hk|nz|s|r)?\$|[£€¥₹₩₽¢₺₫฿₱₪]|kr"
    r"|usd|gbp|eur|jpy|cny|rmb|chf|aud|cad|hkd|sgd|nzd|sek|nok|dkk|pln|czk|inr|brl|zar)\s*"
)
_GROUP = r" \x{00A0}\x{202F}'’"  # separators of thousands in either convention
_SIGN = r"(?:[+-] ?)?"
_POINT = rf"^{_SIGN}(?:(?:\d{{1,3}}(?:[,{_GROUP}]\d{{3}})+|\d+)(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$"
_COMMA = rf"^{_SIGN}(?:(?:\d{{1,3}}(?:[.{_GROUP}]\d{{3}})+|\d+)(?:,\d*)?|,\d+)$"
_INT64_LIMIT = 2.0**63

POINT_DETAIL = "decimal point (1,234.50)"
COMMA_DETAIL = "decimal comma (1.234,50)"


def parse_decimal(s: pl.Series, *, decimal_comma: bool | None = None) -> Parsed:
    """Parse amounts like ``"1,234.50"``, ``"£3.40"``, ``"(12.00)"`` or ``"1.234,50"`` to Float64.

    ``decimal_comma`` forces the convention; ``None`` detects it from the column (see the module
    docstring). ``detail`` names the convention used. Infinite results are invalid.

    >>> parse_decimal(pl.Series(["£1,234.50", "(12)", "x", None])).values.to_list()
    [1234.5, -12.0, None, None]
    """
    keys = pl.DataFrame({"text": s}, schema={"text": pl.String}, strict=False)
    distinct = keys.unique()
    numbers, detail = _read_numbers(distinct.get_column("text"), decimal_comma)
    value = numbers.get_column("digits").cast(pl.Float64, strict=False)
    value = value.set(~value.is_finite().fill_null(True), None)
    answers = _answers(numbers, value)
    return parsed_from(spread(keys, distinct, answers), s.name, detail)


def parse_integer(s: pl.Series, *, decimal_comma: bool | None = None) -> Parsed:
    """Parse counts such as ``"6"``, ``"-12"``, ``"1,000"`` or ``"6.0"`` to Int64.

    Accepts everything :func:`parse_decimal` accepts, provided the number is whole and fits in
    Int64: ``"6.5"`` is invalid. Digit strings are read exactly, without a detour through floats.
    """
    keys = pl.DataFrame({"text": s}, schema={"text": pl.String}, strict=False)
    distinct = keys.unique()
    numbers, detail = _read_numbers(distinct.get_column("text"), decimal_comma)
    digits = numbers.get_column("digits")
    exact = digits.cast(pl.Int64, strict=False)
    real = digits.cast(pl.Float64, strict=False)
    whole = real.is_finite() & (real == real.floor()) & (real.abs() < _INT64_LIMIT)
    via_float = real.set(~whole.fill_null(False), None).cast(pl.Int64)
    value = pl.select(pl.coalesce(exact, via_float)).to_series()
    answers = _answers(numbers, value)
    return parsed_from(spread(keys, distinct, answers), s.name, detail)


def _answers(numbers: pl.DataFrame, value: pl.Series) -> pl.DataFrame:
    """The ``value`` / ``invalid`` frame for the distinct texts read by :func:`_read_numbers`."""
    signed = pl.select(
        pl.when(numbers.get_column("negative")).then(-value).otherwise(value)
    ).to_series()
    invalid = numbers.get_column("present") & signed.is_null()
    return pl.DataFrame({"value": signed, "invalid": invalid})


def _read_numbers(text: pl.Series, decimal_comma: bool | None) -> tuple[pl.DataFrame, str]:
    """Reduce each text to plain digits with a ``.`` decimal point, ready for a cast.

    Returns the frame (``digits``: null when the text is not a number under the chosen convention;
    ``negative``: written in accounting parentheses; ``present``: the text was not blank) and the
    detail naming the convention.
    """
    cleaned = clean_text(text)
    in_parentheses = cleaned.str.contains(r"^\(.*\)$").fill_null(False)
    unwrapped = cleaned.str.strip_prefix("(").str.strip_suffix(")")
    body = (
        pl.select(pl.when(in_parentheses).then(unwrapped).otherwise(cleaned))
        .to_series()
        .str.replace_all(_CURRENCY, "")
        .str.replace_all("\u2212", "-", literal=True)
    )
    fits_point = body.str.contains(_POINT).fill_null(False)
    fits_comma = body.str.contains(_COMMA).fill_null(False)
    if decimal_comma is None:
        comma_votes = int((fits_comma & ~fits_point).sum())
        decimal_comma = comma_votes > int((fits_point & ~fits_comma).sum())
    if decimal_comma:
        digits = body.str.replace_all(rf"[.{_GROUP}]", "").str.replace(",", ".", literal=True)
        fits, detail = fits_comma, COMMA_DETAIL
    else:
        digits = body.str.replace_all(rf"[,{_GROUP}]", "")
        fits, detail = fits_point, POINT_DETAIL
    # "(12)" is negative; "(-12)" is nonsense, not a double negative.
    signed_in_parentheses = in_parentheses & body.str.contains(r"^[+-]").fill_null(False)
    usable = fits & ~signed_in_parentheses
    frame = pl.DataFrame(
        {
            "digits": digits.set(~usable, None),
            "negative": in_parentheses,
            "present": cleaned.is_not_null(),
        }
    )
    return frame, detail

"""What is compared when two customer records are matched, and how each field is cleaned first.

A :class:`FieldSpec` names a column and its :class:`Comparator`, which decides both the cleaning
(:func:`normalise`) and the agreement levels that :mod:`crmind.identity.compare` computes:

==========  ======  ==============================================================================
comparator  levels  from strongest to weakest agreement
==========  ======  ==============================================================================
name        4       exact; Jaro-Winkler >= 0.92; Jaro-Winkler >= 0.80; different
text        4       exact; token-set ratio >= 90; token-set ratio >= 70; different (addresses)
code        3       exact; one edit apart (Damerau-Levenshtein 1: a typo or two swapped digits);
                    different (dates of birth, postcodes, phone numbers, ids)
email       3       exact; Jaro-Winkler >= 0.92 (a typo); different
exact       2       exact; different (low-cardinality fields such as a state)
==========  ======  ==============================================================================

Level 0 is always "different"; a missing value on either side is level -1 and counts as neither
agreement nor disagreement. Cleaning lowercases, strips accents' combining marks, turns
punctuation into spaces and collapses whitespace; ``code`` fields keep only letters and digits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

import polars as pl

from crmind.errors import ConfigurationError


class Comparator(StrEnum):
    """How a field is cleaned and compared (see the module docstring)."""

    NAME = "name"
    TEXT = "text"
    CODE = "code"
    EMAIL = "email"
    EXACT = "exact"


LEVELS: Final[Mapping[Comparator, int]] = {
    Comparator.NAME: 4,
    Comparator.TEXT: 4,
    Comparator.CODE: 3,
    Comparator.EMAIL: 3,
    Comparator.EXACT: 2,
}
"""Number of agreement levels (0 .. n-1, higher = stronger) of each comparator."""

MISSING: Final = -1
"""The level of a pair where either value is missing."""


@dataclass(frozen=True)
class FieldSpec:
    """A column compared with a comparator."""

    name: str
    comparator: Comparator

    @property
    def levels(self) -> int:
        """How many agreement levels this field has."""
        return LEVELS[self.comparator]


CUSTOMER_FIELDS: Final = (
    FieldSpec("first_name", Comparator.NAME),
    FieldSpec("last_name", Comparator.NAME),
    FieldSpec("email", Comparator.EMAIL),
    FieldSpec("phone", Comparator.CODE),
    FieldSpec("birth_date", Comparator.CODE),
    FieldSpec("address", Comparator.TEXT),
    FieldSpec("city", Comparator.NAME),
    FieldSpec("postcode", Comparator.CODE),
)
"""The fields of the store's ``customers`` table that identity resolution compares."""

_GUESSES: Final = (
    (re.compile(r"mail"), Comparator.EMAIL),
    (re.compile(r"date|dob|birth|phone|mobile|tel|post|zip|ssn|soc_sec|number|_id$|^id_"), None),
    (re.compile(r"addr|street"), Comparator.TEXT),
    (re.compile(r"^state$|^country|gender|^sex$"), Comparator.EXACT),
)


def guess_fields(
    columns: Iterable[str], overrides: Mapping[str, str] | None = None
) -> list[FieldSpec]:
    """A :class:`FieldSpec` per column, the comparator guessed from its name (``overrides``,
    column -> comparator name, win): e-mail, codes (dates, phones, postcodes, numbers, ids),
    addresses, low-cardinality categories, and names for everything else."""
    overrides = dict(overrides or {})
    columns = list(columns)
    unknown = [name for name in overrides if name not in columns]
    if unknown:
        raise ConfigurationError(f"comparators given for unknown column(s) {', '.join(unknown)}")
    specs = []
    for name in columns:
        if name in overrides:
            specs.append(FieldSpec(name, _comparator(overrides[name], name)))
            continue
        lowered = name.lower()
        comparator = Comparator.NAME
        for pattern, guess in _GUESSES:
            if pattern.search(lowered):
                comparator = guess or Comparator.CODE
                break
        specs.append(FieldSpec(name, comparator))
    return specs


def normalise(frame: pl.DataFrame, fields: Iterable[FieldSpec]) -> pl.DataFrame:
    """``frame`` with every field column cleaned to a String (empty -> null); others unchanged."""
    expressions = []
    for spec in fields:
        if spec.name not in frame.columns:
            raise ConfigurationError(
                f"field {spec.name!r} is not a column; columns are {', '.join(frame.columns)}"
            )
        text = pl.col(spec.name).cast(pl.String).str.to_lowercase()
        text = text.str.normalize("NFKD").str.replace_all(r"\p{Mn}", "")
        if spec.comparator is Comparator.CODE:
            text = text.str.replace_all(r"[^\p{L}\p{N}]", "")
        elif spec.comparator is Comparator.EMAIL:
            text = text.str.strip_chars()
        else:
            text = text.str.replace_all(r"[^\p{L}\p{N}]+", " ").str.strip_chars()
        expressions.append(pl.when(text.str.len_chars() > 0).then(text).alias(spec.name))
    return frame.with_columns(expressions)


def _comparator(name: str, column: str) -> Comparator:
    try:
        return Comparator(name)
    except ValueError:
        choices = ", ".join(c.value for c in Comparator)
        raise ConfigurationError(
            f"column {column!r}: comparator {name!r} is not one of {choices}"
        ) from None

"""The result of parsing one imported column: values, which rows failed, and how it was read."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class Parsed:
    """A parsed column.

    ``values``  the parsed Series, same length as the input; null where the input was null, blank
                or could not be parsed.
    ``invalid`` a Boolean Series of the same length, never null: True exactly where the input held
                text that could not be parsed (so the caller can write a reject reason per row).
    ``detail``  how the column was read, in words (the date format or decimal convention detected);
                empty when there was nothing to decide.
    """

    values: pl.Series
    invalid: pl.Series
    detail: str = ""

    @property
    def invalid_count(self) -> int:
        """How many rows held text that could not be parsed."""
        return int(self.invalid.sum())


def parsed_from(answers: pl.DataFrame, name: str, detail: str = "") -> Parsed:
    """Build a :class:`Parsed` from a frame with a ``value`` and an ``invalid`` column."""
    return Parsed(
        values=answers.get_column("value").alias(name),
        invalid=answers.get_column("invalid").fill_null(False).alias(name),
        detail=detail,
    )

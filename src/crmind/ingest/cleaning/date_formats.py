"""The date and time formats crmind recognises, and how one format reads a column.

A :class:`DateFormat` is a chrono/strftime pattern as polars reads it (``%.f`` = optional fraction
of a second, ``%#z`` = UTC offset ``+08``, ``+0800``, ``+08:00`` or ``Z``), or one of the epoch
markers :data:`EPOCH_SECONDS` / :data:`EPOCH_MILLISECONDS`. :data:`DEFAULT_FORMATS` lists them in
order of preference: when two formats read equally many values, the earlier one wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

import polars as pl

EPOCH_SECONDS: Final = "epoch"
EPOCH_MILLISECONDS: Final = "epoch_ms"
FIRST_YEAR: Final = 1900
LAST_YEAR: Final = 2100

# digits, microseconds per tick
_EPOCH_DIGITS = {EPOCH_SECONDS: ("9,10", 1_000_000), EPOCH_MILLISECONDS: ("12,13", 1_000)}
"""Digits of epoch times 1973..2286 (seconds) and 2001..2286 (milliseconds), and micros per tick."""
_OFFSET = re.compile(r"%[#:]?z")

Order = Literal["day-first", "month-first"]


@dataclass(frozen=True)
class DateFormat:
    """One way of writing a point in time."""

    pattern: str

    @property
    def order(self) -> Order | None:
        """``day-first`` / ``month-first`` for numeric day-month formats, else None."""
        if self.pattern.startswith("%d") and "%m" in self.pattern:
            return "day-first"
        if self.pattern.startswith("%m") and "%d" in self.pattern:
            return "month-first"
        return None

    @property
    def is_zoned(self) -> bool:
        """Whether the text itself says which instant it is (a UTC offset, or epoch time)."""
        return self.pattern in _EPOCH_DIGITS or _OFFSET.search(self.pattern) is not None

    def read(self, text: pl.Series, timezone: str) -> pl.Series:
        """Parse ``text`` to naive UTC ``Datetime("us")``; null where it does not fit this format.

        Naive wall-clock times are taken to be in ``timezone`` (an IANA name): a time skipped by a
        daylight-saving change does not exist and gives null; a repeated one takes the earlier
        instant. Instants outside the years 1900..2100 give null.
        """
        if self.pattern in _EPOCH_DIGITS:
            digits, micros = _EPOCH_DIGITS[self.pattern]
            ticks = text.str.extract(rf"^(\d{{{digits}}})$").cast(pl.Int64)
            instant = (ticks * micros).cast(pl.Datetime("us"))
        else:
            parsed = text.str.to_datetime(self.pattern, time_unit="us", strict=False)
            if self.is_zoned:
                instant = parsed.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
            else:
                instant = to_utc(parsed, timezone)
        return within_years(instant)


def to_utc(local: pl.Series, timezone: str) -> pl.Series:
    """Naive wall-clock datetimes in ``timezone`` -> naive UTC datetimes (see DateFormat.read)."""
    if timezone == "UTC":
        return local
    zoned = local.dt.replace_time_zone(timezone, ambiguous="earliest", non_existent="null")
    return zoned.dt.convert_time_zone("UTC").dt.replace_time_zone(None)


def within_years(instant: pl.Series) -> pl.Series:
    """``instant`` with null wherever the year is outside FIRST_YEAR..LAST_YEAR."""
    year = instant.dt.year()
    out_of_range = ((year < FIRST_YEAR) | (year > LAST_YEAR)).fill_null(False)
    return instant.set(out_of_range, None)


def _formats(*patterns: str) -> tuple[DateFormat, ...]:
    return tuple(DateFormat(p) for p in patterns)


DEFAULT_FORMATS: Final = _formats(
    # ISO 8601 and its everyday variants
    "%Y-%m-%dT%H:%M:%S%.f%#z",
    "%Y-%m-%dT%H:%M%#z",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M:%S%.f%#z",
    "%Y-%m-%d %H:%M%#z",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y%m%d",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    # numeric day and month: which comes first is decided per column
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%m-%d-%Y",
    # month names (%B reads "Dec" as well as "December")
    "%d-%B-%Y",
    "%d %B %Y",
    "%B %d, %Y",
    "%B %d %Y",
    # Chinese
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日",
    # Unix time
    EPOCH_SECONDS,
    EPOCH_MILLISECONDS,
)

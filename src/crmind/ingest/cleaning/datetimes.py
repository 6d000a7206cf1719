"""Parse imported date/time columns whose format is not known in advance.

The format is detected per column, over the distinct values:

1. every candidate format (:data:`~crmind.ingest.cleaning.date_formats.DEFAULT_FORMATS` or the
   caller's ``formats``) reads a sample of at most 2,000 distinct values, spread evenly over them
   (100,000 if none of the 2,000 reads); the format that reads the most wins; on a tie the earlier
   candidate wins;
2. if day-first and month-first formats tie (``01/02/2024`` reads both ways) they are compared
   again over all distinct values, so that a single ``13/01/2024`` or ``01/13/2024`` decides;
   if they still tie, day-first is assumed and ``detail`` says so. ``dayfirst=True`` / ``False``
   settles the order up front: formats of the other order are not tried at all;
3. the values the winner could not read go through steps 1-2 again with the remaining formats, so a
   column mixing ISO and ``%d/%m/%Y`` works; once a day-first (month-first) format has been used,
   month-first (day-first) formats are dropped, so one column never mixes the two readings.

Naive values are wall-clock times in ``timezone``; values with a UTC offset (or epoch numbers)
are instants. Both are returned as naive UTC ``Datetime("us")``, stored alike by SQLite and
PostgreSQL. Date-only values are midnight in ``timezone``. Years outside 1900..2100 are invalid.
"""

from __future__ import annotations

import polars as pl

from crmind.errors import CrmindError
from crmind.ingest.cleaning.date_formats import (
    DEFAULT_FORMATS,
    DateFormat,
    to_utc,
    within_years,
)
from crmind.ingest.cleaning.distinct import spread
from crmind.ingest.cleaning.parsed import Parsed, parsed_from
from crmind.ingest.cleaning.text import as_text, clean_text

SAMPLE_SIZE = 2_000
WIDE_SAMPLE_SIZE = 100_000
_NO_MATCH = "no known date format matched"
_AMBIGUOUS = "day/month order ambiguous, assumed day-first"


def parse_datetime(
    s: pl.Series,
    *,
    formats: list[str] | None = None,
    timezone: str = "UTC",
    dayfirst: bool | None = None,
) -> Parsed:
    """Parse a column of dates or date-times to naive UTC ``Datetime("us")``.

    ``formats`` replaces the candidate formats (chrono/strftime patterns, or ``"epoch"`` /
    ``"epoch_ms"``); ``timezone`` is the IANA zone of naive values; ``dayfirst`` forces the order of
    numeric day and month. ``detail`` names the format(s) used. A column that is already Date or
    Datetime is only converted. See the module docstring for the detection rules.

    >>> parse_datetime(pl.Series(["2024-07-01 12:00"]), timezone="Europe/London").values.to_list()
    [datetime.datetime(2024, 7, 1, 11, 0)]
    """
    _check_timezone(timezone)
    if s.dtype == pl.Date or isinstance(s.dtype, pl.Datetime):
        return _convert_temporal(s, timezone)
    candidates = DEFAULT_FORMATS if formats is None else tuple(DateFormat(f) for f in formats)
    if dayfirst is not None:
        excluded = "month-first" if dayfirst else "day-first"
        candidates = tuple(c for c in candidates if c.order != excluded)
    keys = pl.DataFrame({"text": as_text(s)})
    distinct = keys.unique()
    text = clean_text(distinct.get_column("text"))
    value, detail = _read(text, candidates, timezone)
    answers = pl.DataFrame({"value": value, "invalid": text.is_not_null() & value.is_null()})
    return parsed_from(spread(keys, distinct, answers), s.name, detail)


def _read(
    text: pl.Series, candidates: tuple[DateFormat, ...], timezone: str
) -> tuple[pl.Series, str]:
    """Read ``text`` with the best candidate, then the rest with the next best, and so on."""
    result = pl.repeat(None, len(text), dtype=pl.Datetime("us"), eager=True)
    pending = text.is_not_null().arg_true()
    pool = list(candidates)
    used: list[str] = []
    ambiguous = False
    while pool and len(pending) > 0:
        remaining = text.gather(pending)
        chosen, tied = _choose(pool, remaining, timezone)
        if chosen is None:
            break
        parsed = chosen.read(remaining, timezone)
        read = parsed.is_not_null()
        result.scatter(pending.filter(read), parsed.filter(read))
        pending = pending.filter(~read)
        used.append(chosen.pattern)
        ambiguous = ambiguous or tied
        pool = [c for c in pool if c != chosen and not _conflict(c, chosen)]
    return result, _describe(used, ambiguous)


def _choose(
    pool: list[DateFormat], text: pl.Series, timezone: str
) -> tuple[DateFormat | None, bool]:
    """The candidate reading most of ``text``; and whether day/month order was a coin toss."""
    sample = _sample(text, SAMPLE_SIZE)
    scores = _scores(pool, sample, timezone)
    if max(scores) == 0 and len(sample) < len(text):  # look harder for a rare format
        sample = _sample(text, WIDE_SAMPLE_SIZE)
        scores = _scores(pool, sample, timezone)
    best = max(scores)
    if best == 0:
        return None, False
    top = [c for c, n in zip(pool, scores, strict=True) if n == best]
    if _both_orders(top) and len(sample) < len(text):
        full = _scores(top, text, timezone)
        top = [c for c, n in zip(top, full, strict=True) if n == max(full)]
    if _both_orders(top):
        return next(c for c in top if c.order == "day-first"), True
    return top[0], False


def _sample(text: pl.Series, size: int) -> pl.Series:
    """At most ``size`` values spread evenly over ``text``."""
    return text.gather_every(-(-len(text) // size))


def _scores(pool: list[DateFormat], text: pl.Series, timezone: str) -> list[int]:
    return [len(text) - c.read(text, timezone).null_count() for c in pool]


def _conflict(candidate: DateFormat, chosen: DateFormat) -> bool:
    """Whether ``candidate`` reads day and month the other way round from ``chosen``."""
    return None not in (candidate.order, chosen.order) and candidate.order != chosen.order


def _both_orders(formats: list[DateFormat]) -> bool:
    orders = {c.order for c in formats}
    return "day-first" in orders and "month-first" in orders


def _describe(used: list[str], ambiguous: bool) -> str:
    if not used:
        return _NO_MATCH
    detail = used[0] if len(used) == 1 else f"{used[0]} (also {', '.join(used[1:])})"
    return f"{detail}; {_AMBIGUOUS}" if ambiguous else detail


def _convert_temporal(s: pl.Series, timezone: str) -> Parsed:
    """A Date / Datetime column: naive values are in ``timezone``; zoned ones are instants."""
    instant = s.cast(pl.Datetime("us")) if s.dtype == pl.Date else s.dt.cast_time_unit("us")
    if isinstance(s.dtype, pl.Datetime) and s.dtype.time_zone is not None:
        instant = instant.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
    else:
        instant = to_utc(instant, timezone)
    value = within_years(instant).alias(s.name)
    return Parsed(value, (s.is_not_null() & value.is_null()).alias(s.name), "already date/time")


def _check_timezone(timezone: str) -> None:
    try:
        pl.Series([], dtype=pl.Datetime("us")).dt.replace_time_zone(timezone)
    except pl.exceptions.ComputeError as exc:
        msg = f"unknown time zone {timezone!r}; expected an IANA name such as 'Europe/London'"
        raise CrmindError(msg) from exc

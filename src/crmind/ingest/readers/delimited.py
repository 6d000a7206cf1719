"""Read delimited text (.csv, .tsv, .txt): comma, semicolon, tab, pipe or whitespace separated.

The first non-blank record is the header. Rows are numbered as a spreadsheet shows the file: the
header is row 1 and each following *record* takes the next number, blank ones included. A record
whose quoted field runs over several lines is one row, so it does not shift later numbers (they
then differ from line numbers).

Reading takes the fast path first: polars parses the whole text, and the result is kept only when
the number of delimiters outside quotes is exactly what the parsed rows need (polars pads short
records with nulls instead of failing) and no field is too long. Otherwise Python's ``csv`` module
reads record by record: a record with the wrong number of fields or a too long field becomes a
:class:`RowReject` and the good rows are kept. A record that swallows later lines through an
unbalanced quote is rejected alone - only its first line - and reading goes on at the next line.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Final

import polars as pl

from crmind.errors import ImportFileError
from crmind.ingest.readers.frame import finish_frame, name_columns, string_frame
from crmind.ingest.readers.model import RawTable, RowReject, cut_raw
from crmind.ingest.readers.sniff import WHITESPACE, csv_field_limit, decode_text, sniff_delimiter
from crmind.ingest.readers.source import Source

logger = logging.getLogger(__name__)

QUOTE: Final = '"'
_END: Final = "\uffff crmind: end of file \uffff\n"
"""A line put after the last one: a record that reaches it never closed its quote."""


def read_delimited(
    source: Source,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    max_field_chars: int = 1_000_000,
) -> RawTable:
    """Read delimited text into a :class:`RawTable` (see the module doc for the rules)."""
    text, used_encoding = decode_text(source, encoding)
    if "\n" not in text and "\r" in text:
        text = text.replace("\r", "\n")  # classic Mac OS line ends
    if delimiter is None:
        delimiter = "\t" if source.extension == ".tsv" else sniff_delimiter(text)
    _check_delimiter(source, delimiter)
    rejects: tuple[RowReject, ...] = ()
    fast = None if delimiter == WHITESPACE else _read_fast(text, delimiter, max_field_chars)
    if fast is not None:
        header, data = fast
        names, made_up = name_columns(header)
        data.columns = names
        rows = pl.int_range(2, data.height + 2, dtype=pl.Int64, eager=True)
        frame = finish_frame(data, rows, made_up)
    else:
        if delimiter != WHITESPACE:
            logger.info("%s: irregular records; reading record by record", source.path)
        records = _Records(max_field_chars)
        if delimiter == WHITESPACE:
            _split_whitespace(text, records)
        else:
            _parse_records(text, delimiter, records)
        if records.header is None:
            raise ImportFileError(source.path, "is empty")
        numbers = pl.Series(records.numbers, dtype=pl.Int64)
        frame = finish_frame(string_frame(records.names, records.rows), numbers, records.made_up)
        rejects = tuple(records.rejects)
    if frame.height == 0 and not rejects:
        raise ImportFileError(source.path, "has a header but no data rows")
    logger.debug(
        "%s: %d rows, %d rejected (encoding %s, delimiter %r)",
        source.path,
        frame.height,
        len(rejects),
        used_encoding,
        delimiter,
    )
    return RawTable(
        path=source.path,
        format="csv",
        frame=frame,
        rejects=rejects,
        encoding=used_encoding,
        delimiter=delimiter,
        compression=source.compression,
    )


def _check_delimiter(source: Source, delimiter: str) -> None:
    if delimiter == WHITESPACE:
        return
    if len(delimiter) != 1 or delimiter in '"\r\n':
        raise ImportFileError(
            source.path,
            f"delimiter {delimiter!r} is not usable; give one character other than a quote or "
            f"a line break, or {WHITESPACE!r}",
        )


def _read_fast(
    text: str, delimiter: str, max_field_chars: int
) -> tuple[tuple[str | None, ...], pl.DataFrame] | None:
    """The header and data rows parsed by polars, or ``None`` when the text needs the slow path."""
    if not delimiter.isascii():
        return None
    try:
        parsed = pl.read_csv(
            text.encode("utf-8"),
            has_header=False,
            separator=delimiter,
            quote_char=QUOTE,
            infer_schema=False,
        )
    except pl.exceptions.PolarsError as exc:
        logger.debug("fast path failed: %s", str(exc).splitlines()[0] if str(exc) else exc)
        return None
    if parsed.height == 0 or not _delimiters_agree(text, delimiter, parsed.width, parsed.height):
        return None
    longest = parsed.select(pl.all().str.len_bytes().max()).row(0)
    if any(size is not None and size > max_field_chars for size in longest):
        return None  # bytes overstate characters; the slow path measures exactly
    return parsed.row(0), parsed.slice(1)


def _delimiters_agree(text: str, delimiter: str, width: int, height: int) -> bool:
    """Whether ``text`` has exactly the delimiters outside quotes that ``height`` full rows need.

    Splitting on the quote character puts quoted text at the odd positions (a doubled quote
    inside a quoted field only adds an empty piece at an even position).
    """
    inside = 0
    if QUOTE in text:
        pieces = text.split(QUOTE)
        if len(pieces) % 2 == 0:
            return False  # an odd number of quote characters
        inside = sum(piece.count(delimiter) for piece in pieces[1::2])
    return text.count(delimiter) - inside == (width - 1) * height


@dataclass
class _Records:
    """The header, rows and rejects of the slow path, with the checks every record passes."""

    max_field_chars: int
    header: list[str] | None = None
    names: list[str] = field(default_factory=list)
    made_up: frozenset[str] = frozenset()
    rows: list[list[str]] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)
    rejects: list[RowReject] = field(default_factory=list)

    def set_header(self, header: list[str]) -> None:
        """Take ``header`` as the file's header and name the columns after it."""
        self.header = header
        self.names, self.made_up = name_columns(header)

    def problem(self, fields: list[str]) -> tuple[str, str | None] | None:
        """The reason and column name why ``fields`` cannot be a row, or ``None`` when it can."""
        if len(fields) != len(self.names):
            return f"wrong number of fields: expected {len(self.names)}, found {len(fields)}", None
        for name, value in zip(self.names, fields, strict=True):
            if len(value) > self.max_field_chars:
                reason = (
                    f"field {name!r} is too long: {len(value)} characters "
                    f"(limit {self.max_field_chars})"
                )
                return reason, name
        return None

    def add(self, number: int, fields: list[str], raw: str) -> None:
        """Keep ``fields`` as row ``number``, or reject it with ``raw`` as its content."""
        problem = self.problem(fields)
        if problem is None:
            self.rows.append(fields)
            self.numbers.append(number)
        else:
            self.reject(number, problem[0], raw, problem[1])

    def reject(self, number: int, reason: str, raw: str, name: str | None = None) -> None:
        """Record a reject."""
        self.rejects.append(RowReject(number, reason, cut_raw(raw.rstrip("\r\n")), name))


def _is_blank(fields: list[str]) -> bool:
    return all(not value or value.isspace() for value in fields)


class _LineFeed(Iterator[str]):
    """Hands lines to ``csv.reader`` and remembers how far it got."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.position = 0

    def __next__(self) -> str:
        if self.position >= len(self.lines):
            raise StopIteration
        self.position += 1
        return self.lines[self.position - 1]


def _parse_records(text: str, delimiter: str, records: _Records) -> None:
    """Read quoted delimited ``text`` record by record into ``records``."""
    lines = [*io.StringIO(text, newline=""), _END]
    end_of_file = len(lines) - 1
    feed = _LineFeed(lines)
    number = 0
    with csv_field_limit(len(text) + 1):
        reader = csv.reader(feed, delimiter=delimiter)
        while feed.position < end_of_file:
            start = feed.position
            try:
                fields = next(reader)
            except csv.Error as exc:
                number += 1
                records.reject(number, f"cannot be parsed: {exc}", lines[start])
                feed.position = start + 1
                reader = csv.reader(feed, delimiter=delimiter)
                continue
            stop = feed.position
            number += 1
            if _is_blank(fields):
                continue
            if records.header is None:
                records.set_header(fields)
                continue
            reason = _unbalanced_quote(lines[start:stop], stop > end_of_file, delimiter)
            if reason is not None:
                records.reject(number, reason, lines[start])
                feed.position = start + 1
                reader = csv.reader(feed, delimiter=delimiter)
                continue
            records.add(number, fields, "".join(lines[start:stop]))


def _unbalanced_quote(record_lines: list[str], reaches_end: bool, delimiter: str) -> str | None:
    """Why a record looks like it swallowed later lines through an unbalanced quote, if it does.

    A record reaching past the last line never closed a quote; a record over several lines whose
    quotes are not well formed (a closing quote not followed by a delimiter) has one astray.
    """
    if reaches_end:
        return "unterminated quoted field: the quote opened on this line is never closed"
    if len(record_lines) == 1 or _well_quoted("".join(record_lines), delimiter):
        return None
    return (
        "unbalanced quote: the quoted field opened on this line does not close properly "
        f"(the record would run over {len(record_lines)} lines)"
    )


def _well_quoted(raw: str, delimiter: str) -> bool:
    """Whether ``raw`` is exactly one record whose quotes follow the rules strictly."""
    reader = csv.reader(io.StringIO(raw, newline=""), delimiter=delimiter, strict=True)
    try:
        return len(list(reader)) == 1
    except csv.Error:
        return False


def _split_whitespace(text: str, records: _Records) -> None:
    """Read ``text`` whose fields are separated by runs of whitespace (no quoting)."""
    for number, line in enumerate(io.StringIO(text, newline=None), start=1):
        fields = line.split()
        if not fields:
            continue
        if records.header is None:
            records.set_header(fields)
        else:
            records.add(number, fields, line)

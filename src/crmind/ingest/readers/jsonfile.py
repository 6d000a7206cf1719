"""Read JSON (.json) and JSON Lines (.jsonl, .ndjson) records.

A .json file holds an array of objects, or an object with exactly one array of objects among its
values (``{"data": [...]}``, ``{"meta": {...}, "customers": [...]}``); row numbers are positions in
that array, from 1. A .jsonl file holds one object per line; row numbers are line numbers, from 1;
blank lines are skipped and a line that does not parse is a reject. A .json file that turns out to
hold JSON Lines is read as such.

Columns are the records' keys in the order first seen; a record without a key has null there.
Values become text: strings as they are, numbers as written by Python (``12``, ``12.5``), booleans
as ``true`` / ``false``, nested objects and arrays as compact JSON.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Final

import polars as pl

from crmind.errors import ImportFileError
from crmind.ingest.readers.frame import finish_frame, name_columns
from crmind.ingest.readers.model import Format, RawTable, RowReject, cut_raw
from crmind.ingest.readers.sniff import decode_text
from crmind.ingest.readers.source import Source

logger = logging.getLogger(__name__)

_SHAPE: Final = 'expected an array of objects or an object holding one (such as {"data": [...]})'


def read_json(
    source: Source, *, encoding: str | None = None, max_field_chars: int = 1_000_000
) -> RawTable:
    """Read a .json file (see the module doc) into a :class:`RawTable`."""
    text, used_encoding = decode_text(source, encoding)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data" and _starts_with_object_line(text):
            logger.info("%s: holds one JSON object per line; reading it as JSON Lines", source.path)
            return _lines_table(source, text, used_encoding, max_field_chars)
        raise ImportFileError(
            source.path, f"is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from exc
    records = _Records(max_field_chars)
    for number, value in enumerate(_record_array(source, document), start=1):
        records.add(number, value, None)
    return records.table(source, "json", used_encoding)


def read_json_lines(
    source: Source, *, encoding: str | None = None, max_field_chars: int = 1_000_000
) -> RawTable:
    """Read a .jsonl / .ndjson file (see the module doc) into a :class:`RawTable`."""
    text, used_encoding = decode_text(source, encoding)
    return _lines_table(source, text, used_encoding, max_field_chars)


def _lines_table(source: Source, text: str, encoding: str, max_field_chars: int) -> RawTable:
    records = _Records(max_field_chars)
    # not str.splitlines: U+2028 and other separators it splits on may sit inside JSON strings
    for number, line in enumerate(text.split("\n"), start=1):
        if not line or line.isspace():
            continue
        line = line.removesuffix("\r")
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            records.reject(number, f"invalid JSON: {exc.msg} (column {exc.colno})", line)
            continue
        records.add(number, value, line)
    return records.table(source, "jsonl", encoding)


def _starts_with_object_line(text: str) -> bool:
    first = text.lstrip().split("\n", 1)[0]
    try:
        return isinstance(json.loads(first), dict)
    except json.JSONDecodeError:
        return False


def _record_array(source: Source, document: object) -> list[object]:
    """The array of records in ``document``, or an ImportFileError naming what was found."""
    if isinstance(document, list):
        return document
    if not isinstance(document, dict):
        raise ImportFileError(source.path, f"{_SHAPE}; found {_kind(document)}")
    arrays = [
        key
        for key, value in document.items()
        if isinstance(value, list) and (not value or any(isinstance(v, dict) for v in value))
    ]
    if len(arrays) == 1:
        logger.debug("%s: records are under the key %r", source.path, arrays[0])
        found: list[object] = document[arrays[0]]
        return found
    keys = ", ".join(repr(key) for key in (arrays or list(document))[:10])
    what = "several arrays of objects" if arrays else "an object with no array of objects"
    raise ImportFileError(source.path, f"{_SHAPE}; found {what} (keys {keys or 'none'})")


def _kind(value: object) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    return "a number"


def json_text(value: object) -> str | None:
    """A JSON value as the text of a cell (see the module doc)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@dataclass
class _Records:
    """Accepted records as text, their row numbers, the rejects and the keys seen so far."""

    max_field_chars: int
    keys: dict[str, None] = field(default_factory=dict)
    rows: list[dict[str, str | None]] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)
    rejects: list[RowReject] = field(default_factory=list)

    def add(self, number: int, value: object, line: str | None) -> None:
        """Keep ``value`` as row ``number`` when it is a good record; else reject it.

        ``line`` is the record's text in the file when it has one of its own (JSON Lines).
        """
        if not isinstance(value, dict):
            raw = line if line is not None else _dump(value)
            self.reject(number, f"record is not a JSON object: found {_kind(value)}", raw)
            return
        row = {str(key): json_text(item) for key, item in value.items()}
        for key, text in row.items():
            if text is not None and len(text) > self.max_field_chars:
                reason = (
                    f"field {key.strip()!r} is too long: {len(text)} characters "
                    f"(limit {self.max_field_chars})"
                )
                raw = line if line is not None else _dump(value)
                self.reject(number, reason, raw, key.strip())
                return
        self.keys.update(dict.fromkeys(row))
        self.rows.append(row)
        self.numbers.append(number)

    def reject(self, number: int, reason: str, raw: str, name: str | None = None) -> None:
        """Record a reject."""
        self.rejects.append(RowReject(number, reason, cut_raw(raw), name))

    def table(self, source: Source, file_format: Format, encoding: str) -> RawTable:
        """The RawTable of everything added, or an ImportFileError when there is nothing."""
        keys = list(self.keys)
        names, _ = name_columns(keys)
        columns = {
            name: [row.get(key) for row in self.rows] for key, name in zip(keys, names, strict=True)
        }
        data = pl.DataFrame(columns, schema=dict.fromkeys(names, pl.String))
        frame = finish_frame(data, pl.Series(self.numbers, dtype=pl.Int64))
        if frame.height == 0 and not self.rejects:
            raise ImportFileError(source.path, "contains no records")
        logger.debug("%s: %d rows, %d rejected", source.path, frame.height, len(self.rejects))
        return RawTable(
            path=source.path,
            format=file_format,
            frame=frame,
            rejects=tuple(self.rejects),
            encoding=encoding,
            compression=source.compression,
        )


def _dump(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)

"""Tests of crmind.ingest.readers.jsonfile."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crmind.columns import ROW
from crmind.errors import ImportFileError
from crmind.ingest.readers.jsonfile import json_text, read_json, read_json_lines
from crmind.ingest.readers.model import RawTable, RowReject
from crmind.ingest.readers.source import open_source


def _read(tmp_path: Path, name: str, content: str, max_field_chars: int = 1_000_000) -> RawTable:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    source = open_source(path)
    reader = read_json if source.format == "json" else read_json_lines
    return reader(source, max_field_chars=max_field_chars)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, None),
        ("x", "x"),
        (True, "true"),
        (False, "false"),
        (12, "12"),
        (12.5, "12.5"),
        ({"b": [1, "é"]}, '{"b":[1,"é"]}'),
        ([], "[]"),
    ],
)
def test_json_values_become_text(value: object, text: str | None) -> None:
    assert json_text(value) == text


def test_array_of_objects(tmp_path: Path) -> None:
    records = [{"id": 1, "name": "Ann", "vip": True}, {"id": 2, "city": "Oslo", "vip": None}]
    table = _read(tmp_path, "c.json", json.dumps(records))
    assert (table.format, table.encoding) == ("json", "utf-8")
    assert table.frame.columns == [ROW, "id", "name", "vip", "city"]
    assert table.frame.rows() == [(1, "1", "Ann", "true", None), (2, "2", None, None, "Oslo")]


def test_object_holding_one_array_of_objects(tmp_path: Path) -> None:
    content = json.dumps({"meta": {"count": 2}, "tags": ["a"], "data": [{"id": 1}, {"id": 2}]})
    assert _read(tmp_path, "c.json", content).frame.rows() == [(1, "1"), (2, "2")]


def test_records_that_are_not_objects_are_rejects(tmp_path: Path) -> None:
    table = _read(tmp_path, "c.json", '[{"id": 1}, [1, 2], "x", {"id": 4}]')
    assert table.frame.rows() == [(1, "1"), (4, "4")]
    assert table.rejects == (
        RowReject(2, "record is not a JSON object: found an array", "[1, 2]"),
        RowReject(3, "record is not a JSON object: found a string", '"x"'),
    )


def test_nested_values_are_compact_json(tmp_path: Path) -> None:
    table = _read(
        tmp_path, "c.json", '[{"id": 1, "address": {"city": "Zürich"}, "tags": ["a", "b"]}]'
    )
    assert table.frame.row(0) == (1, "1", '{"city":"Zürich"}', '["a","b"]')


def test_keys_are_stripped_and_made_unique(tmp_path: Path) -> None:
    table = _read(tmp_path, "c.json", '[{"id": 1, " id": 2, "": 3, "_row": 4}]')
    assert table.frame.columns == [ROW, "id", "id_2", "column_3", "_row_2"]


def test_long_field_is_a_reject(tmp_path: Path) -> None:
    table = _read(tmp_path, "c.json", '[{"id": 1, "note": "abcdef"}, {"id": 2}]', max_field_chars=5)
    assert table.frame.rows() == [(2, "2")]
    (reject,) = table.rejects
    assert (reject.row, reject.field) == (1, "note")
    assert reject.reason == "field 'note' is too long: 6 characters (limit 5)"


def test_invalid_json_names_line_and_column(tmp_path: Path) -> None:
    with pytest.raises(
        ImportFileError, match=r"is not valid JSON: Expecting .:. delimiter at line 2, column 8"
    ) as e:
        _read(tmp_path, "c.json", '[{"id": 1},\n {"id" 2}]')
    assert isinstance(e.value.__cause__, json.JSONDecodeError)


@pytest.mark.parametrize(
    ("content", "found"),
    [
        ('"text"', "found a string"),
        ("42", "found a number"),
        ('{"id": 1, "name": "Ann"}', "found an object with no array of objects"),
        ('{"a": [{"x": 1}], "b": [{"y": 2}]}', "found several arrays of objects"),
    ],
)
def test_wrong_top_level_shape(tmp_path: Path, content: str, found: str) -> None:
    with pytest.raises(ImportFileError, match=f"expected an array of objects.*; {found}"):
        _read(tmp_path, "c.json", content)


def test_empty_array_has_no_records(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="contains no records"):
        _read(tmp_path, "c.json", '{"data": []}')


def test_json_lines_in_a_json_file_are_read_as_json_lines(tmp_path: Path) -> None:
    table = _read(tmp_path, "c.json", '{"id": 1}\n{"id": 2}\n')
    assert (table.format, table.frame.rows()) == ("jsonl", [(1, "1"), (2, "2")])


def test_json_lines_number_rows_by_line_and_reject_bad_lines(tmp_path: Path) -> None:
    content = '{"id": 1}\n\n{"id": 2, "name": "Bob"}\r\n{"id": 3,\n[3]\n{"id": 6}'
    table = _read(tmp_path, "events.ndjson", content)
    assert table.format == "jsonl"
    assert table.frame.rows() == [(1, "1", None), (3, "2", "Bob"), (6, "6", None)]
    assert table.rejects == (
        RowReject(
            4,
            "invalid JSON: Expecting property name enclosed in double quotes (column 10)",
            '{"id": 3,',
        ),
        RowReject(5, "record is not a JSON object: found an array", "[3]"),
    )
    assert table.rows_read == 5


def test_json_lines_keep_line_separators_inside_strings(tmp_path: Path) -> None:
    table = _read(tmp_path, "e.jsonl", '{"note": "a\u2028b"}\n{"note": "c"}\n')
    assert table.frame.rows() == [(1, "a\u2028b"), (2, "c")]


def test_json_lines_without_any_good_line_keep_the_rejects(tmp_path: Path) -> None:
    table = _read(tmp_path, "e.jsonl", "not json\n")
    assert table.frame.columns == [ROW]
    assert [reject.row for reject in table.rejects] == [1]

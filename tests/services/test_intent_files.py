from __future__ import annotations

import json
from pathlib import Path

import pytest

from crmind.assistant.intents_spec import OUT_OF_SCOPE
from crmind.errors import ImportFileError, MappingError
from crmind.services.intent_files import IntentData, read_intent_data, read_intent_set
from tests.conftest import shared_data


def test_clinc150_splits_are_read_with_out_of_scope_labels() -> None:
    path = shared_data("clinc150/data_full.json")
    data = read_intent_data(IntentData(path, "val,oos_val"), oos_label="oos")
    assert len(data.texts) == 3100
    assert data.out_of_scope == 100
    assert len(data.intents) == 150
    assert data.source == "data_full.json [val,oos_val]"


def test_banking77_is_read_by_its_columns() -> None:
    path = shared_data("banking77/test.csv")
    data = read_intent_data(IntentData(path), label_col="category")
    assert len(data.texts) == 3080
    assert len(data.intents) == 77
    assert data.out_of_scope == 0


def test_json_splits_may_hold_objects_and_tables_may_be_json_arrays(tmp_path: Path) -> None:
    splits = tmp_path / "splits.json"
    splits.write_text(json.dumps({"a": [{"q": "hi", "y": "greeting"}], "b": [["bye", "x"]]}))
    data = read_intent_data(IntentData(splits, "a"), text_col="q", label_col="y")
    assert (data.texts, data.labels) == (["hi"], ["greeting"])
    records = tmp_path / "records.json"
    records.write_text(json.dumps([{"text": "hi", "label": "out_of_scope"}]))
    assert read_intent_data(IntentData(records)).labels == [OUT_OF_SCOPE]
    with pytest.raises(MappingError, match="split 'a', item 1: expected the fields 'text'"):
        read_intent_data(IntentData(splits, "a"))


def test_an_empty_label_or_text_is_named_by_its_row(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("text,label\nhello,greeting\n,greeting\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match=r"bad\.csv: row 3: the text is empty"):
        read_intent_data(IntentData(path))


def test_an_intent_set_is_read_as_labelled_messages(tmp_path: Path) -> None:
    shipped = read_intent_set()
    assert shipped.source == "the shipped retail intent set"
    assert len(shipped.intents) == 10
    assert shipped.out_of_scope >= 50
    with pytest.raises(ImportFileError, match="has no splits"):
        read_intent_data(IntentData(tmp_path / "x.yaml", "train"))

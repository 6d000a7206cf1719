"""Labelled messages for intent models, from the files users and public data sets come in.

- **Tables** (CSV, TSV, XLSX, JSON arrays of objects, JSON Lines, Parquet; compressed too): a
  text column and a label column, as Banking77's ``train.csv`` (``text``, ``category``).
- **JSON of named splits**, as CLINC150's ``data_full.json``: an object whose keys are splits
  (``train``, ``val``, ``test``, ``oos_train``...) each holding ``[text, label]`` pairs (or
  objects with the text and label columns). ``split`` names the splits to read, joined by
  commas: ``test,oos_test``.
- **An intent set** in YAML (:mod:`crmind.assistant.intents_spec`): its examples, with its
  out-of-scope examples.

Labels equal to ``oos_label`` (CLINC150's ``oos``) and :data:`OUT_OF_SCOPE` itself mark
messages no intent covers. Every problem names the file and the row, split or column.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crmind.assistant.intents_spec import OUT_OF_SCOPE, load_intent_spec
from crmind.errors import ImportFileError, MappingError
from crmind.ingest.readers import read_table
from crmind.ingest.readers.sniff import decode_text
from crmind.ingest.readers.source import open_source


@dataclass(frozen=True)
class IntentData:
    """Where labelled messages come from: a file, and for a JSON of splits, which ones."""

    path: Path
    split: str | None = None

    @property
    def name(self) -> str:
        return self.path.name + (f" [{self.split}]" if self.split else "")


@dataclass(frozen=True)
class LabelledTexts:
    """Messages and their labels (:data:`OUT_OF_SCOPE` for those no intent covers)."""

    texts: list[str]
    labels: list[str]
    source: str

    @property
    def out_of_scope(self) -> int:
        return sum(label == OUT_OF_SCOPE for label in self.labels)

    @property
    def intents(self) -> list[str]:
        return sorted({label for label in self.labels if label != OUT_OF_SCOPE})

    def summary(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "texts": len(self.texts),
            "intents": len(self.intents),
            "out_of_scope": self.out_of_scope,
        }


def read_intent_data(
    data: IntentData,
    *,
    text_col: str = "text",
    label_col: str = "label",
    oos_label: str | None = None,
) -> LabelledTexts:
    """The labelled messages of ``data`` (see the module docstring)."""
    path = data.path
    suffixes = [suffix.lower() for suffix in path.suffixes]
    if ".yaml" in suffixes or ".yml" in suffixes:
        if data.split:
            raise ImportFileError(path, "an intent set in YAML has no splits")
        return read_intent_set(path)
    document = _json_document(path) if ".json" in suffixes else None
    if isinstance(document, dict) and not _holds_records(document):
        pairs = _split_rows(path, document, data.split, text_col, label_col)
    else:
        if data.split:
            raise ImportFileError(
                path, f"split {data.split!r} given, but the file is not a JSON object of splits"
            )
        if isinstance(document, list) and document and isinstance(document[0], list):
            pairs = _pair_rows(path, document, "the file")
        else:
            pairs = _table_rows(path, text_col, label_col)
    if not pairs:
        raise ImportFileError(path, "holds no labelled messages")
    wanted_oos = {OUT_OF_SCOPE} | ({oos_label} if oos_label else set())
    texts = [text for text, _ in pairs]
    labels = [OUT_OF_SCOPE if label in wanted_oos else label for _, label in pairs]
    return LabelledTexts(texts, labels, data.name)


def read_intent_set(path: Path | None = None) -> LabelledTexts:
    """The examples of an intent set in YAML (None: the shipped retail set)."""
    texts, labels = load_intent_spec(path).training_data()
    return LabelledTexts(texts, labels, path.name if path else "the shipped retail intent set")


def _json_document(path: Path) -> Any:
    text, _ = decode_text(open_source(path))
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None  # JSON Lines and the like: the table reader says what is wrong


def _holds_records(document: dict[str, Any]) -> bool:
    """An object holding one array of objects (``{"data": [...]}``) is a table, not splits."""
    arrays = [value for value in document.values() if isinstance(value, list)]
    return len(arrays) == 1 and bool(arrays[0]) and isinstance(arrays[0][0], dict)


def _split_rows(
    path: Path, document: dict[str, Any], split: str | None, text_col: str, label_col: str
) -> list[tuple[str, str]]:
    splits = [key for key, value in document.items() if isinstance(value, list)]
    if not split:
        raise ImportFileError(
            path, f"is a JSON object of splits: name one or more with a split (found {splits})"
        )
    rows: list[tuple[str, str]] = []
    for name in (part.strip() for part in split.split(",")):
        if name not in splits:
            raise ImportFileError(path, f"has no split {name!r}; splits found: {splits}")
        items = document[name]
        where = f"split {name!r}"
        if items and isinstance(items[0], dict):
            rows += _object_rows(path, items, where, text_col, label_col)
        else:
            rows += _pair_rows(path, items, where)
    return rows


def _pair_rows(path: Path, items: Sequence[Any], where: str) -> list[tuple[str, str]]:
    rows = []
    for number, item in enumerate(items, start=1):
        if (
            not isinstance(item, list)
            or len(item) != 2
            or not all(isinstance(value, str) for value in item)
        ):
            raise ImportFileError(
                path, f"{where}, item {number}: expected a [text, label] pair, found {item!r:.80}"
            )
        rows.append(_checked(path, item[0], item[1], f"{where}, item {number}"))
    return rows


def _object_rows(
    path: Path, items: Sequence[Any], where: str, text_col: str, label_col: str
) -> list[tuple[str, str]]:
    rows = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict) or text_col not in item or label_col not in item:
            found = sorted(item) if isinstance(item, dict) else type(item).__name__
            raise MappingError(
                path,
                f"{where}, item {number}: expected the fields {text_col!r} and {label_col!r}, "
                f"found {found}",
            )
        text, label = str(item[text_col] or ""), str(item[label_col] or "")
        rows.append(_checked(path, text, label, f"{where}, item {number}"))
    return rows


def _table_rows(path: Path, text_col: str, label_col: str) -> list[tuple[str, str]]:
    frame = read_table(path).frame
    missing = [name for name in (text_col, label_col) if name not in frame.columns]
    if missing:
        found = [name for name in frame.columns if name != "_row"]
        raise MappingError(path, f"no column {missing}; columns found: {found}")
    return [
        _checked(path, text or "", label or "", f"row {row}")
        for row, text, label in zip(
            frame["_row"].to_list(),
            frame[text_col].to_list(),
            frame[label_col].to_list(),
            strict=True,
        )
    ]


def _checked(path: Path, text: str, label: str, where: str) -> tuple[str, str]:
    if not label.strip():
        raise ImportFileError(path, f"{where}: the label is empty")
    if not text.strip():
        raise ImportFileError(path, f"{where}: the text is empty")
    return text, label.strip()

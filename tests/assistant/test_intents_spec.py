from __future__ import annotations

from pathlib import Path

import pytest

from crmind.assistant.intents_spec import OUT_OF_SCOPE, load_intent_spec, parse_intent_spec
from crmind.errors import ImportFileError

GOOD = """
version: 1
intents:
  - name: order_status
    description: Where an order is.
    examples:
      en: [where is my order, has it shipped]
      zh: [我的订单到哪了]
  - name: greeting
    examples: [hello, 你好]
out_of_scope:
  en: [tell me a joke]
"""


def test_an_intent_set_reads_examples_by_language() -> None:
    spec = parse_intent_spec(GOOD, "mine.yaml")
    assert spec.names == ["order_status", "greeting"]
    assert spec.intents[0].examples["zh"] == ("我的订单到哪了",)
    assert spec.intents[1].examples == {"und": ("hello", "你好")}
    assert spec.intents[1].description == ""
    texts, labels = spec.training_data()
    assert texts[-1] == "tell me a joke"
    assert labels == ["order_status"] * 3 + ["greeting"] * 2 + [OUT_OF_SCOPE]


def test_an_intent_set_is_read_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(GOOD, encoding="utf-8")
    assert load_intent_spec(path).source == str(path)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("intents: [", "not valid YAML"),
        ("- a\n- b", "a list under 'intents'"),
        ("intents:\n  - examples: [a, b]\n  - name: x\n    examples: [a, b]", "number 1 has no"),
        (
            "intents:\n  - name: a\n    examples: [x, y]\n  - name: a\n    examples: [x, y]",
            "'a' is defined twice",
        ),
        ("intents:\n  - name: a\n    examples: [x, y]", "at least 2 intents"),
        (
            "intents:\n  - name: a\n    examples: [x]\n  - name: b\n    examples: [x, y]",
            "'a' needs at least 2 examples",
        ),
        (
            "intents:\n  - name: a\n    examples:\n      en: [yes, no]\n"
            "  - name: b\n    examples: [x, y]",
            "intent 'a', language 'en': example True is not text",
        ),
        (
            "intents:\n  - name: out_of_scope\n    examples: [x, y]\n"
            "  - name: b\n    examples: [x, y]",
            "'out_of_scope' is reserved",
        ),
        (
            "intents:\n  - name: a\n    examples: hello\n  - name: b\n    examples: [x, y]",
            "must map a language code",
        ),
    ],
)
def test_a_bad_intent_set_is_refused_naming_file_and_problem(text: str, problem: str) -> None:
    with pytest.raises(ImportFileError, match=r"^mine\.yaml: ") as raised:
        parse_intent_spec(text, "mine.yaml")
    assert problem in str(raised.value)


def test_a_missing_intent_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match=r"nope\.yaml: cannot read"):
        load_intent_spec(tmp_path / "nope.yaml")

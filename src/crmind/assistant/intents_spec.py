"""Intent sets in YAML: the intents a classifier learns, each with examples per language.

The format (the shipped default retail set, ``assistant/data/intents.yaml``, is one)::

    version: 1
    intents:
      - name: order_status
        description: Where an order is, whether it has shipped, its tracking number.
        examples:
          en: [where is my order, has my order shipped yet?]
          zh: [我的订单到哪了, 订单发货了吗]
    out_of_scope:              # optional: messages no intent covers
      en: [what's the weather like]
      zh: [讲个笑话]

``out_of_scope`` examples are never learnt as an intent: they only tell the classifier how
unsure it is on messages it should refuse, so its threshold can be chosen on them
(:class:`crmind.assistant.intents.IntentClassifier`). Every problem is reported with the file
and the intent (or field) it is in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from crmind.errors import ImportFileError

OUT_OF_SCOPE = "out_of_scope"
"""The label of a message no intent covers (a prediction's ``intent`` when it is refused)."""

DEFAULT_SPEC = "intents.yaml"


@dataclass(frozen=True)
class IntentDefinition:
    """One intent: its name, what it means, and example utterances by language code."""

    name: str
    description: str
    examples: Mapping[str, tuple[str, ...]]

    def all_examples(self) -> list[str]:
        """The examples of every language, in the file's order."""
        return [text for texts in self.examples.values() for text in texts]


@dataclass(frozen=True)
class IntentSpec:
    """An intent set, plus optional out-of-scope examples (by language)."""

    intents: tuple[IntentDefinition, ...]
    out_of_scope: Mapping[str, tuple[str, ...]]
    source: str = ""

    @property
    def names(self) -> list[str]:
        return [intent.name for intent in self.intents]

    def training_data(self) -> tuple[list[str], list[str]]:
        """Texts and labels to fit a classifier on: every example of every intent, then the
        out-of-scope examples labelled :data:`OUT_OF_SCOPE`."""
        texts: list[str] = []
        labels: list[str] = []
        for intent in self.intents:
            examples = intent.all_examples()
            texts += examples
            labels += [intent.name] * len(examples)
        refused = [text for texts_ in self.out_of_scope.values() for text in texts_]
        return texts + refused, labels + [OUT_OF_SCOPE] * len(refused)


def load_intent_spec(path: Path | None = None) -> IntentSpec:
    """Read an intent set from ``path`` (None: the shipped default retail set)."""
    if path is None:
        where = resources.files("crmind.assistant") / "data" / DEFAULT_SPEC
        return parse_intent_spec(where.read_text(encoding="utf-8"), str(where))
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFileError(path, f"cannot read the intent file ({exc})") from exc
    return parse_intent_spec(text, str(path))


def parse_intent_spec(text: str, source: str = "<text>") -> IntentSpec:
    """Parse the YAML text of an intent set; ``source`` names it in errors."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ImportFileError(source, f"not valid YAML ({exc})") from exc
    if not isinstance(document, dict) or not isinstance(document.get("intents"), list):
        raise ImportFileError(source, "expected a mapping with a list under 'intents'")
    intents: list[IntentDefinition] = []
    seen: set[str] = set()
    for number, item in enumerate(document["intents"], start=1):
        intent = _intent(item, number, source)
        if intent.name in seen:
            raise ImportFileError(source, f"intent {intent.name!r} is defined twice")
        seen.add(intent.name)
        intents.append(intent)
    if len(intents) < 2:
        raise ImportFileError(source, f"needs at least 2 intents, found {len(intents)}")
    out_of_scope = _examples(document.get("out_of_scope") or {}, source, "out_of_scope")
    return IntentSpec(tuple(intents), out_of_scope, source)


def _intent(item: Any, number: int, source: str) -> IntentDefinition:
    if not isinstance(item, dict):
        raise ImportFileError(source, f"intent number {number} is not a mapping")
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ImportFileError(source, f"intent number {number} has no 'name'")
    name = name.strip()
    if name == OUT_OF_SCOPE:
        raise ImportFileError(
            source, f"{OUT_OF_SCOPE!r} is reserved: list such messages under 'out_of_scope'"
        )
    examples = _examples(item.get("examples"), source, f"intent {name!r}")
    if sum(len(texts) for texts in examples.values()) < 2:
        raise ImportFileError(source, f"intent {name!r} needs at least 2 examples")
    description = item.get("description") or ""
    if not isinstance(description, str):
        raise ImportFileError(source, f"intent {name!r}: 'description' must be text")
    return IntentDefinition(name, description.strip(), examples)


def _examples(value: Any, source: str, where: str) -> dict[str, tuple[str, ...]]:
    """Examples by language; a list without languages counts as ``und`` (undetermined)."""
    if isinstance(value, list):
        value = {"und": value}
    if not isinstance(value, dict):
        raise ImportFileError(
            source, f"{where}: 'examples' must map a language code to a list of texts"
        )
    result: dict[str, tuple[str, ...]] = {}
    for language, texts in value.items():
        if not isinstance(texts, list):
            raise ImportFileError(source, f"{where}, language {language!r}: expected a list")
        for text in texts:
            if not isinstance(text, str):
                raise ImportFileError(
                    source,
                    f"{where}, language {language!r}: example {text!r} is not text "
                    "(quote it: YAML reads words like no, yes, on as booleans)",
                )
        cleaned = tuple(text.strip() for text in texts if text.strip())
        if cleaned:
            result[str(language)] = cleaned
    return result

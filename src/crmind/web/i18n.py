"""The dashboard's one translation table: every string the interface shows, in English and
Chinese (simplified).

Each page keeps its strings in a module of :mod:`crmind.web.texts` (``TEXTS = {"en": {...},
"zh": {...}}``, keys prefixed with the page's name); :func:`table` merges them into one table and
refuses a key defined twice. A test checks that every key exists in both languages and that
every key a template asks for exists.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Final

from crmind.errors import CrmindError
from crmind.web.texts import MODULES

LANGUAGES: Final = ("en", "zh")
DEFAULT_LANGUAGE: Final = "en"
LANGUAGE_COOKIE: Final = "crmind_lang"
LANGUAGE_NAMES: Final = {"en": "English", "zh": "中文"}


class TranslationError(CrmindError):
    """The translation table is inconsistent (a key defined twice, a language missing)."""


@functools.cache
def table() -> Mapping[str, Mapping[str, str]]:
    """language -> key -> text, merged from every module of :mod:`crmind.web.texts`."""
    merged: dict[str, dict[str, str]] = {language: {} for language in LANGUAGES}
    for module in MODULES:
        for language in LANGUAGES:
            texts = module.TEXTS.get(language)
            if texts is None:
                raise TranslationError(f"{module.__name__} has no {language!r} texts")
            twice = set(texts) & set(merged[language])
            if twice:
                raise TranslationError(
                    f"{module.__name__} defines keys another module has: {sorted(twice)}"
                )
            merged[language].update(texts)
    return merged


def normalise_language(value: str | None) -> str | None:
    """``en`` or ``zh`` for a language tag (``zh-CN``, ``zh_Hans``, ``en-GB``...), else None."""
    if not value:
        return None
    primary = value.strip().lower().replace("_", "-").split("-")[0]
    return primary if primary in LANGUAGES else None


def language_from_header(accept_language: str | None) -> str | None:
    """The first supported language of an Accept-Language header, in the order given."""
    for part in (accept_language or "").split(","):
        found = normalise_language(part.split(";")[0])
        if found:
            return found
    return None


def translate(language: str, key: str, **params: object) -> str:
    """The text of ``key`` in ``language`` with ``{name}`` placeholders filled; English when the
    language lacks it, the key itself when no language has it (visible, and caught by tests)."""
    texts = table()
    text = texts.get(language, {}).get(key) or texts[DEFAULT_LANGUAGE].get(key)
    if text is None:
        return key
    return text.format(**params) if params else text


class Translator:
    """``t("nav.overview")`` in templates: :func:`translate` bound to one language."""

    def __init__(self, language: str) -> None:
        self.language = language

    def __call__(self, key: str, **params: object) -> str:
        return translate(self.language, key, **params)

    def has(self, key: str) -> bool:
        """Whether the table holds ``key`` (for keys made from data, e.g. feature names)."""
        return key in table()[DEFAULT_LANGUAGE]

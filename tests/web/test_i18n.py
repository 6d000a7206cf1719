"""The translation table: both languages complete, every key a template asks for defined."""

from __future__ import annotations

import re
from pathlib import Path

import crmind.web
from crmind.web.i18n import LANGUAGES, language_from_header, normalise_language, table, translate

TEMPLATES = Path(crmind.web.__file__).parent / "templates"
PAGES = Path(crmind.web.__file__).parent / "pages"


def test_every_key_exists_in_both_languages() -> None:
    texts = table()
    english, chinese = set(texts["en"]), set(texts["zh"])
    assert english - chinese == set()
    assert chinese - english == set()
    assert all(texts[lang][key].strip() for lang in LANGUAGES for key in texts[lang])


def test_placeholders_are_the_same_in_both_languages() -> None:
    texts = table()
    for key, english in texts["en"].items():
        assert set(re.findall(r"\{(\w+)\}", english)) == set(
            re.findall(r"\{(\w+)\}", texts["zh"][key])
        ), key


def test_every_literal_key_in_templates_and_pages_is_defined() -> None:
    used: set[str] = set()
    for path in [*TEMPLATES.rglob("*.html"), *PAGES.rglob("*.py")]:
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_]+\.[a-z0-9_.]+)["']""", path.read_text()))
    assert used, "no keys found: the pattern is wrong"
    assert sorted(used - set(table()["en"])) == []


def test_language_tags_are_read_leniently() -> None:
    assert normalise_language("zh-CN") == "zh"
    assert normalise_language("zh_Hans") == "zh"
    assert normalise_language("fr") is None
    assert language_from_header("fr-FR,zh-CN;q=0.8,en;q=0.5") == "zh"
    assert language_from_header("") is None


def test_placeholders_are_filled_and_unknown_keys_show_themselves() -> None:
    assert (
        translate("en", "error.403", role="viewer") == "Your role (viewer) may not see this page."
    )
    assert "viewer" in translate("zh", "error.403", role="viewer")
    assert translate("zh", "no.such.key") == "no.such.key"

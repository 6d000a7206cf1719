"""Language detection by script: Chinese (simplified and traditional), English, other
languages, mixed texts, and texts with no letters."""

from __future__ import annotations

import pytest

from crmind.text.language import LanguageGuess, detect_language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("物流很快，质量不错", LanguageGuess("zh", False)),
        ("物流很快，質量不錯，服務態度好", LanguageGuess("zh", False)),  # traditional characters
        ("The delivery was late and the box was damaged.", LanguageGuess("en", False)),
        ("Great!!!", LanguageGuess("en", False)),
        ("质量很好 but delivery was slow", LanguageGuess("en", True)),
        ("质量很好，包装也很精美 but slow", LanguageGuess("zh", True)),
        ("Love this phone, 性价比高", LanguageGuess("en", True)),
        ("iPhone充电很快", LanguageGuess("zh", False)),  # a brand name does not make it mixed
        ("Le produit est très bien et la livraison rapide", LanguageGuess("other", False)),
        ("El envío fue muy rápido", LanguageGuess("other", False)),
        ("Доставка была быстрой", LanguageGuess("other", False)),
        ("配送がとても早かったです", LanguageGuess("other", True)),  # Japanese: kana with kanji
        ("👍👍👍", LanguageGuess("other", False)),
        ("", LanguageGuess("other", False)),
        ("12345 !!!", LanguageGuess("other", False)),
    ],
)
def test_languages_by_script(text: str, expected: LanguageGuess) -> None:
    assert detect_language(text) == expected

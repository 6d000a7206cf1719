"""Which language a feedback text is in: ``zh``, ``en`` or ``other``, and whether it mixes two.

Feedback is short and noisy, so this reads scripts, not statistics: Chinese is Han characters
(simplified or traditional) without Japanese kana; Latin-script text is English unless it has
letters or function words of other Latin-script languages; Cyrillic, Arabic, Korean, Japanese,
Thai and the rest are ``other``. A text's Chinese share is its Han characters (1.5 to a word)
against its words in other scripts; the larger side names the language, and a text is *mixed*
when the second side has at least two words and a fifth of the text ("质量很好 but delivery was
slow"; a brand name in a Chinese sentence is not enough). A text with no letters at all (emoji,
numbers) is ``other``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Language = Literal["zh", "en", "other"]

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff]")
_LATIN_WORD = re.compile(r"[A-Za-z\u00c0-\u024f]+(?:'[A-Za-z]+)?")
_OTHER_LETTER = re.compile(r"[\u0370-\u03ff\u0400-\u04ff\u0590-\u05ff\u0600-\u06ff\u0e00-\u0e7f]")
_ACCENTED = re.compile(r"[\u00c0-\u024f]")

_ENGLISH_WORDS = (
    "the a an and or but is are was were be been it its this that these those i me my we our "
    "you your he she they them their to of in on at for with from by not no very so too "
    "have has had do does did can could will would should what when how all just"
)
_OTHER_LATIN_WORDS = (
    "le la les des du est et une un pas tres très el los las es y con por para que muy pero "
    "der die das und ist nicht ein eine sehr mit het een niet zeer og ikke er på il di che non "
    "della sono molto não com uma"
)
_ENGLISH = frozenset(_ENGLISH_WORDS.split())
_OTHER_LATIN = frozenset(_OTHER_LATIN_WORDS.split())
HAN_PER_WORD = 1.5
"""Han characters per word of Chinese (most words are one or two characters)."""
MIXED_SHARE = 0.2
MIN_MIXED_WORDS = 2


@dataclass(frozen=True)
class LanguageGuess:
    """A text's language and whether a second one takes at least ``MIXED_SHARE`` of it."""

    language: Language
    mixed: bool


def detect_language(text: str) -> LanguageGuess:
    """The language of ``text`` (see the module docstring)."""
    han = len(_HAN.findall(text))
    if _KANA.search(text) or _HANGUL.search(text):
        return LanguageGuess("other", han > 0)
    words = _LATIN_WORD.findall(text)
    foreign = len(_OTHER_LETTER.findall(text))
    if han + len(words) + foreign == 0:
        return LanguageGuess("other", False)
    chinese = han / HAN_PER_WORD
    total = chinese + len(words) + foreign
    second = sorted([chinese, len(words), foreign])[-2]
    mixed = second >= MIN_MIXED_WORDS and second >= MIXED_SHARE * total
    if chinese >= max(len(words), foreign):
        return LanguageGuess("zh", mixed)
    if foreign > len(words):
        return LanguageGuess("other", mixed)
    return LanguageGuess(_latin_language(words), mixed)


def _latin_language(words: list[str]) -> Language:
    lowered = [word.lower() for word in words]
    english = sum(word in _ENGLISH for word in lowered)
    other = sum(word in _OTHER_LATIN for word in lowered)
    accented = sum(bool(_ACCENTED.search(word)) for word in lowered)
    if other > english or (english == 0 and accented > 0):
        return "other"
    return "en"

"""Tokens of feedback text in English and Chinese, with negation, emoticons and emoji kept.

- **Normalising**: Unicode NFKC (full-width letters and digits become ASCII), lower case, white
  space collapsed, and
  traditional Chinese characters converted to simplified (OpenCC ``t2s``), so 質量 and 质量 are
  one word to every model.
- **English**: words (``don't`` becomes ``not``), ``!`` and ``?``, and emoticons (``:)``,
  ``:-(``, ``^_^``...). **Chinese**: words by jieba (its dictionary only, no HMM guessing of
  new words: faster, and stable across texts), punctuation dropped. A mixed text is cut by
  script: Latin runs as English, Han runs by jieba.
- **Negation**: after a negator ("not", "never", "no", "不", "没", "没有", "别", "无"...), the
  next words up to the end of the clause or a "but" / "但是" (at most ``NEGATION_SCOPE`` of
  them) get the prefix ``not_``, so "not good" and "不 满意" are features of their own,
  different from "good" and "满意". Words jieba already knows with their negator ("不错",
  "不好") stay whole.
- **Emoji** are tokens of their own (each pictograph).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterator
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import jieba

NEGATION_SCOPE = 3
NEGATED = "not_"

_ENGLISH_NEGATORS = frozenset(
    {"not", "no", "never", "nothing", "nobody", "none", "neither", "nor", "without", "cannot"}
)
_CHINESE_NEGATORS = frozenset(
    {
        "不",
        "没",
        "没有",
        "无",
        "别",
        "未",
        "非",
        "勿",
        "莫",
        "不是",
        "不太",
        "不怎么",
        "毫无",
        "并不",
    }
)
_CONTRASTS = frozenset(
    {"but", "however", "although", "though", "但", "但是", "可是", "不过", "然而"}
)
_CLAUSE_END = "."
_MARKS = frozenset("!?")
_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_OTHER_TOKEN = re.compile(
    r"(?P<emoticon>[:;=8][\-o^']?[()\[\]dpo/\\|*3]|\^[_\-.]?\^|t[_.]t|<3)"
    r"|(?P<word>[a-z0-9]+(?:'[a-z]+)?)"
    r"|(?P<mark>[!?])"
    r"|(?P<end>[.,;:…\n。、])"
    "|(?P<emoji>[\U0001f300-\U0001f5ff\U0001f600-\U0001f64f\U0001f680-\U0001f6ff"
    "\U0001f900-\U0001f9ff\U0001fa70-\U0001faff\u2600-\u26ff\u2700-\u27bf\u2b50])"
)
_CONTRACTED_NOT = frozenset({"dont", "didnt", "doesnt", "isnt", "wasnt", "wont", "cant"})


def normalise(text: str) -> str:
    """NFKC, lower case, runs of white space as one space, traditional Chinese characters as
    simplified."""
    folded = " ".join(unicodedata.normalize("NFKC", text).lower().split())
    return _to_simplified(folded) if _HAN_RUN.search(folded) else folded


def tokens(text: str, *, chinese_words: bool = True, normalised: bool = False) -> list[str]:
    """The tokens of one text in any mix of English and Chinese (see the module docstring).

    ``chinese_words=False`` leaves Han runs out (for models that read Chinese by characters:
    jieba is the slow part); ``normalised=True`` says ``text`` is :func:`normalise` 's output."""
    out: list[str] = []
    scope = 0
    normal = text if normalised else normalise(text)
    for token in _raw_tokens(normal, chinese_words):
        if token == _CLAUSE_END or token in _MARKS or token in _CONTRASTS:
            scope = 0
            if token != _CLAUSE_END:
                out.append(token)
        elif token in _ENGLISH_NEGATORS or token in _CHINESE_NEGATORS:
            out.append(token)
            scope = NEGATION_SCOPE
        elif scope and token[0].isalnum():
            out.append(NEGATED + token)
            scope -= 1
        else:
            out.append(token)
    return out


def _raw_tokens(text: str, chinese_words: bool) -> Iterator[str]:
    """In order: jieba's words for Han runs (a clause end when ``chinese_words`` is off);
    English words, marks, emoticons and emoji elsewhere; clause ends as ``"."``."""
    position = 0
    for run in _HAN_RUN.finditer(text):
        yield from _other_tokens(text[position : run.start()])
        if chinese_words:
            words = _segmenter().lcut(run.group(), HMM=False)
            yield from (word for word in words if word.strip())
        else:
            yield _CLAUSE_END
        position = run.end()
    yield from _other_tokens(text[position:])


def _other_tokens(text: str) -> Iterator[str]:
    for match in _OTHER_TOKEN.finditer(text):
        kind, value = match.lastgroup, match.group()
        if kind == "word":
            yield "not" if value.endswith("n't") or value in _CONTRACTED_NOT else value
        elif kind == "end":
            yield _CLAUSE_END
        else:
            yield value


@cache
def _segmenter() -> jieba.Tokenizer:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    segmenter = jieba.Tokenizer()
    segmenter.initialize()
    return segmenter


@cache
def _converter() -> object:
    import opencc

    return opencc.OpenCC("t2s")


def _to_simplified(text: str) -> str:
    converter = _converter()
    convert = getattr(converter, "convert")  # noqa: B009 - opencc ships no type hints
    return str(convert(text))

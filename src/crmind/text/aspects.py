"""Aspect sentiment: how customers feel about delivery, price, quality, service... separately.

An aspect is a name and its keywords in English and Chinese. A text mentions an aspect when one
of its clauses (split at sentence and clause punctuation, "but" and "但是") holds a keyword; the
aspect's sentiment is the sentiment score of those clauses (their mean when several), so in
"fast delivery but the quality is poor" delivery is positive and quality negative. The default
list covers retail; pass your own (a mapping, or a JSON / YAML-like file read by
:func:`read_aspects`) for another business.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import numpy.typing as npt

from crmind.errors import ConfigurationError
from crmind.text.tokens import normalise

DEFAULT_ASPECTS: dict[str, list[str]] = {
    "delivery": [
        "delivery", "deliver", "delivered", "shipping", "shipped", "arrived", "arrive", "courier",
        "parcel", "dispatch", "tracking", "物流", "快递", "发货", "送货", "配送", "到货", "速度",
    ],
    "price": [
        "price", "priced", "expensive", "cheap", "value", "cost", "money", "overpriced",
        "bargain", "价格", "价钱", "便宜", "贵", "性价比", "划算", "实惠",
    ],
    "quality": [
        "quality", "broke", "broken", "material", "durable", "flimsy", "sturdy", "defective",
        "works", "worked", "质量", "做工", "材质", "品质", "坏", "瑕疵", "结实",
    ],
    "service": [
        "service", "staff", "support", "rude", "helpful", "friendly", "waiter", "waitress",
        "manager", "服务", "客服", "态度", "售后", "服务员", "前台",
    ],
    "packaging": ["packaging", "packaged", "box", "wrapped", "包装", "盒子", "破损"],
}  # fmt: skip

_CLAUSES = re.compile(r"[.!?;,:。！？；，：\n]+|\b(?:but|however|although)\b|但是|可是|不过")


@dataclass(frozen=True)
class AspectMatcher:
    """Finds aspect mentions in texts and scores them with a sentiment function."""

    aspects: Mapping[str, Sequence[str]]

    def __post_init__(self) -> None:
        if not self.aspects or any(not words for words in self.aspects.values()):
            raise ConfigurationError("every aspect needs at least one keyword")

    def mentions(self, text: str) -> dict[str, list[str]]:
        """Aspect name -> the clauses of ``text`` that mention it."""
        found: dict[str, list[str]] = {}
        for clause in _CLAUSES.split(normalise(text)):
            clause = clause.strip()
            if not clause:
                continue
            for name, keywords in self._patterns.items():
                if keywords.search(clause):
                    found.setdefault(name, []).append(clause)
        return found

    def score(
        self,
        texts: Sequence[str],
        sentiment: Callable[[list[str]], npt.NDArray[np.float64]],
    ) -> list[dict[str, float]]:
        """Per text: aspect name -> mean sentiment score of its clauses that mention it.
        ``sentiment`` scores a list of texts in [-1, 1]; all clauses go to it in one call."""
        mentions = [self.mentions(text) for text in texts]
        clauses = [clause for found in mentions for parts in found.values() for clause in parts]
        scores = iter(sentiment(clauses).tolist() if clauses else [])
        result: list[dict[str, float]] = []
        for found in mentions:
            result.append(
                {
                    name: round(float(np.mean([next(scores) for _ in parts])), 4)
                    for name, parts in found.items()
                }
            )
        return result

    @cached_property
    def _patterns(self) -> dict[str, re.Pattern[str]]:
        return {name: _keyword_pattern(words) for name, words in self.aspects.items()}


def read_aspects(path: Path) -> dict[str, list[str]]:
    """Aspects from a JSON file: ``{"delivery": ["delivery", "物流", ...], ...}``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"{path}: cannot read aspects ({exc})") from exc
    if not isinstance(data, dict) or not all(
        isinstance(words, list) and all(isinstance(word, str) for word in words)
        for words in data.values()
    ):
        raise ConfigurationError(
            f'{path}: aspects must be a JSON object of keyword lists, e.g. {{"price": ["price"]}}'
        )
    return {str(name): [str(word) for word in words] for name, words in data.items()}


def _keyword_pattern(words: Sequence[str]) -> re.Pattern[str]:
    """English keywords as whole words, Chinese ones anywhere (Chinese has no spaces)."""
    parts = []
    for word in sorted({normalise(word) for word in words}, key=len, reverse=True):
        escaped = re.escape(word)
        parts.append(rf"\b{escaped}\b" if word.isascii() else escaped)
    return re.compile("|".join(parts))

"""Aspects: mentions found per clause in both languages, each scored by its own clauses."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from crmind.errors import ConfigurationError
from crmind.text.aspects import DEFAULT_ASPECTS, AspectMatcher, read_aspects


def by_words(clauses: list[str]) -> np.ndarray:
    """A stand-in sentiment: +1 for "fast" / "快", -1 for "poor" / "差", else 0."""
    return np.array(
        [1.0 if ("fast" in c or "快" in c) else -1.0 if ("poor" in c or "差" in c) else 0.0
         for c in clauses]
    )  # fmt: skip


def test_each_aspect_gets_the_sentiment_of_its_own_clauses() -> None:
    matcher = AspectMatcher(DEFAULT_ASPECTS)
    texts = [
        "Fast delivery but the quality is poor",
        "物流很快，但是质量很差",
        "Nice colour",
        "",
    ]
    assert matcher.score(texts, by_words) == [
        {"delivery": 1.0, "quality": -1.0},
        {"delivery": 1.0, "quality": -1.0},
        {},
        {},
    ]


def test_english_keywords_match_whole_words_and_traditional_chinese_matches() -> None:
    matcher = AspectMatcher(DEFAULT_ASPECTS)
    assert "price" not in matcher.mentions("priceless smile")  # not the word "price"
    assert set(matcher.mentions("服務態度很好")) == {"service"}
    assert matcher.mentions("The PRICE is fair, the price!")["price"] == [
        "the price is fair",
        "the price",
    ]


def test_aspects_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "aspects.json"
    path.write_text(json.dumps({"room": ["room", "房间"], "breakfast": ["breakfast", "早餐"]}))
    matcher = AspectMatcher(read_aspects(path))
    assert set(matcher.mentions("房间很大，早餐一般")) == {"room", "breakfast"}
    path.write_text('{"room": "room"}')
    with pytest.raises(ConfigurationError, match="keyword lists"):
        read_aspects(path)
    with pytest.raises(ConfigurationError, match="at least one keyword"):
        AspectMatcher({"room": []})

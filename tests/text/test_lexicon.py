"""Lexicon features: valences add up, negation flips them by VADER's factor, emoji count."""

from __future__ import annotations

import math

import pytest

from crmind.text.lexicon import NEGATION_FACTOR, lexicon_features, lexicon_words, valences
from crmind.text.tokens import tokens


def test_valences_add_up_and_negation_flips_them() -> None:
    good = valences()["good"]
    plain, negated = lexicon_features([tokens("good"), tokens("not good")])
    assert plain[1] == pytest.approx(good / math.sqrt(2))
    assert plain[0] == pytest.approx(good / math.sqrt(good**2 + 15))
    assert negated[2] == pytest.approx(good * NEGATION_FACTOR / math.sqrt(3))
    assert negated[1] == 0.0


def test_emoji_and_words_named_by_sign() -> None:
    found = tokens("love it but the box was damaged 😡")
    assert lexicon_words(found, 1.0) == "love"
    assert lexicon_words(found, -1.0) == "damaged 😡"
    assert lexicon_words(tokens("the box"), 1.0) == "sentiment words"

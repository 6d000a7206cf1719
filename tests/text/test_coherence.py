"""Coherence: NPMI and UMass on hand-computed cases, and found topics beat random word sets."""

from __future__ import annotations

import math

import pytest

from crmind.text.coherence import coherence, random_topics_coherence
from crmind.text.topics import TopicModel, content_words
from tests.text.test_topics import FILLER_EN, PLANTED_EN, planted_corpus


def test_npmi_and_umass_by_hand() -> None:
    texts = ["a b", "a b", "a c", "d"]  # P(a)=3/4, P(b)=1/2, P(a,b)=1/2; b and c never meet
    result = coherence([["a", "b"], ["b", "c"]], texts, str.split)
    expected_ab = math.log(0.5 / (0.75 * 0.5)) / -math.log(0.5)
    assert result.npmi_per_topic == pytest.approx([expected_ab, -1.0])
    # UMass orders by the list: log((D(a, b) + 1) / D(a)) for (a, b)
    assert result.umass_per_topic == pytest.approx([math.log(3 / 3), math.log(1 / 2)])
    assert result.npmi == pytest.approx((expected_ab - 1.0) / 2)


def test_found_topics_are_more_coherent_than_random_words() -> None:
    texts, _ = planted_corpus(PLANTED_EN, FILLER_EN, " ")
    model = TopicModel(n_topics=3, n_keywords=6).fit(texts)
    found = coherence(model.keywords_, texts, content_words, top=6)
    random = random_topics_coherence(model.keywords_, texts, content_words, top=6)
    assert found.npmi > 0.1
    assert found.npmi > random.npmi + 0.2
    assert found.umass > random.umass

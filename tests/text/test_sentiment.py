"""Sentiment: labels, scores and drivers; negation, emoji, mixed, empty and very long texts in
both languages (with the shipped model); training on the user's labels; the estimator contract."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from crmind.errors import ConfigurationError, ModelDataError
from crmind.text.default_model import default_sentiment_model, read_uci_sentences
from crmind.text.sentiment import (
    SentimentModel,
    labels_from_ratings,
    normalise_labels,
)
from tests.estimator_contract import check_estimator_contract


@pytest.fixture(scope="module")
def shipped() -> SentimentModel:
    return default_sentiment_model()


@pytest.mark.parametrize(
    ("positive", "negative"),
    [
        ("good", "not good"),
        ("It works", "It doesn't work"),
        ("Would recommend", "Would not recommend"),
        ("好", "不好"),
        ("满意", "不满意"),
        ("質量很好", "質量不好"),  # traditional characters
    ],
)
def test_negation_turns_the_label(shipped: SentimentModel, positive: str, negative: str) -> None:
    result = shipped.predict([positive, negative])
    assert result.labels == ["positive", "negative"]
    assert result.scores[0] > 0.5 > -0.5 > result.scores[1]


def test_drivers_name_the_words_behind_the_score(shipped: SentimentModel) -> None:
    result = shipped.predict(["The battery is not good", "物流很快，非常满意"])
    first, second = result.drivers
    assert any("not good" in words for words, _ in first)
    assert all(weight < 0 for _, weight in first)  # they pushed it down
    assert all(weight > 0 for _, weight in second)
    assert [abs(w) for _, w in first] == sorted((abs(w) for _, w in first), reverse=True)


def test_emoji_only_texts_read_through_the_lexicon(shipped: SentimentModel) -> None:
    result = shipped.predict(["😍😍", "😡", "👎"])
    assert result.labels == ["positive", "negative", "negative"]
    assert [words for words, _ in result.drivers[1]] == ["😡"]


def test_empty_and_unknown_texts_are_neutral(shipped: SentimentModel) -> None:
    result = shipped.predict(["", "   ", "zzqx"])
    assert result.labels[:2] == ["neutral", "neutral"]
    assert result.scores[:2].tolist() == [0.0, 0.0]
    assert result.drivers[0] == []


def test_mixed_and_very_long_texts(shipped: SentimentModel) -> None:
    mixed = shipped.predict(["质量很好，非常满意 and shipping was fast", "质量很差 terrible"])
    assert mixed.labels == ["positive", "negative"]
    long = shipped.predict(
        ["Great value and fast delivery. " * 5_000, "太差了，非常失望。" * 5_000]
    )
    assert long.labels == ["positive", "negative"]


def test_trained_on_own_labels_with_neutral(tmp_path: Path) -> None:
    texts = ["love it", "great", "awful", "hate it", "it is a phone", "arrived on tuesday"] * 5
    labels = ["positive", "positive", "negative", "negative", "neutral", "neutral"] * 5
    model = SentimentModel(char_min_df=1).fit(texts, labels)
    assert model.classes_ == ["negative", "neutral", "positive"]
    assert model.predict(["love it", "awful", "it is a phone"]).labels == [
        "positive",
        "negative",
        "neutral",
    ]


def test_labels_in_every_usual_form() -> None:
    assert normalise_labels(["Positive", "neg", 1, 0, True, 1.0, "false"]) == [
        "positive", "negative", "positive", "negative", "positive", "positive", "negative"
    ]  # fmt: skip
    assert normalise_labels([-1, 0, 1, "0.0"]) == ["negative", "neutral", "positive", "neutral"]
    with pytest.raises(ModelDataError, match="row 2: sentiment label 'great'"):
        normalise_labels(["positive", "great"])
    assert labels_from_ratings([1, 2, 3, 4, 5, None]) == [
        "negative", "negative", "neutral", "positive", "positive", None
    ]  # fmt: skip


def test_bad_training_input() -> None:
    with pytest.raises(ModelDataError, match="both negative and positive"):
        SentimentModel().fit(["good", "fine"], [1, 1])
    with pytest.raises(ModelDataError, match="2 texts but 1 labels"):
        SentimentModel().fit(["good", "bad"], [1])
    with pytest.raises(ConfigurationError, match="neutral_margin"):
        SentimentModel(neutral_margin=1.5).fit(["good", "bad"], [1, 0])


def test_contract(tmp_path: Path) -> None:
    sentences = read_uci_sentences().head(300)
    texts, labels = sentences["text"].to_list(), sentences["label"].to_list()
    check_estimator_contract(
        make=lambda: SentimentModel(),
        fit=lambda model: model.fit(texts, labels),
        outputs=lambda model: np.round(model.score(texts), 12),
        tmp_path=tmp_path,
    )

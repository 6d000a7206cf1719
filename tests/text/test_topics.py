"""Topics: planted topics are found in English and Chinese, texts get their topic, and the
model follows the estimator contract."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from crmind.errors import ModelDataError
from crmind.text.topics import TopicModel, content_words
from tests.estimator_contract import check_estimator_contract

PLANTED_EN = {
    "delivery": ["delivery", "courier", "parcel", "late", "arrived", "tracking"],
    "battery": ["battery", "charger", "charging", "drains", "hours", "power"],
    "size": ["size", "small", "fit", "large", "sleeves", "tight"],
}
PLANTED_ZH = {
    "物流": ["物流", "快递", "发货", "包裹", "配送", "送货"],
    "电池": ["电池", "充电", "续航", "电量", "耗电", "充电器"],
    "尺码": ["尺码", "偏小", "偏大", "合身", "袖子", "腰围"],
}
FILLER_EN = ["ok", "thing", "overall", "bought", "week", "order", "item", "store", "again"]
FILLER_ZH = ["整体", "购买", "东西", "商品", "店家", "订单", "这次", "下次", "收到"]


def planted_corpus(
    planted: dict[str, list[str]], filler: list[str], joiner: str, seed: int = 0
) -> tuple[list[str], list[str]]:
    """200 texts: each draws 3 words of one planted topic and 3 filler words."""
    rng = np.random.default_rng(seed)
    names = list(planted)
    texts, truth = [], []
    for i in range(200):
        name = names[i % len(names)]
        words = list(rng.choice(planted[name], 3, replace=False)) + list(rng.choice(filler, 3))
        rng.shuffle(words)
        texts.append(joiner.join(words))
        truth.append(name)
    return texts, truth


@pytest.mark.parametrize(
    ("planted", "filler", "joiner"),
    [(PLANTED_EN, FILLER_EN, " "), (PLANTED_ZH, FILLER_ZH, "，")],
    ids=["en", "zh"],
)
def test_planted_topics_are_found(
    planted: dict[str, list[str]], filler: list[str], joiner: str
) -> None:
    texts, truth = planted_corpus(planted, filler, joiner)
    model = TopicModel(n_topics=3, n_keywords=6).fit(texts)
    found = {frozenset(keywords[:4]) for keywords in model.keywords_}
    for words in planted.values():
        planted_words = set(content_words(" ".join(words)))  # as jieba cuts them
        assert any(keys <= planted_words for keys in found), (words, model.keywords_)
    topic, share = model.transform(texts)
    for name in planted:  # every text of a planted topic lands in one topic
        assert len({t for t, n in zip(topic.tolist(), truth, strict=True) if n == name}) == 1
    assert (share > 0.5).mean() > 0.9
    assert sorted(model.sizes_) == sorted([truth.count(name) for name in planted])


def test_labels_join_the_first_keywords_and_unknown_texts_have_no_topic() -> None:
    texts, _ = planted_corpus(PLANTED_EN, FILLER_EN, " ")
    model = TopicModel(n_topics=3).fit(texts)
    assert model.labels_[0] == " / ".join(model.keywords_[0][:3])
    topic, share = model.transform(["zzz qqq", "", "late parcel from the courier"])
    assert topic[:2].tolist() == [-1, -1]
    assert share[:2].tolist() == [0.0, 0.0]
    assert "courier" in model.keywords_[topic[2]]


def test_content_words_leave_out_what_names_no_topic() -> None:
    assert content_words("The delivery was NOT fast!!! :) 2 days 👍") == [
        "delivery",
        "fast",
        "days",
    ]
    assert content_words("物流很快，质量也不错的") == ["物流", "很快", "质量", "不错"]


def test_too_few_texts_or_no_words() -> None:
    with pytest.raises(ModelDataError, match="at least 10 texts"):
        TopicModel().fit(["good"] * 3)
    with pytest.raises(ModelDataError, match="no content words"):
        TopicModel().fit(["the and of :)"] * 20)


def test_contract(tmp_path: Path) -> None:
    texts, _ = planted_corpus(PLANTED_EN, FILLER_EN, " ")
    check_estimator_contract(
        make=lambda: TopicModel(n_topics=3),
        fit=lambda model: model.fit(texts),
        outputs=lambda model: model.transform(texts)[0],
        tmp_path=tmp_path,
    )

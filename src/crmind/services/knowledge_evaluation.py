"""Use case: how well knowledge-base search finds the right answer, on a file of FAQs.

The protocol (``crmind evaluate faq``), for a FAQ file of questions and answers and a file of
queries with the answer each expects (the same file may be both):

1. **Articles**: one per distinct (question, answer) pair of the FAQ file, the question as
   title and the answer as body; without a question column, one per distinct answer (body
   only). Texts are compared case-, space- and punctuation-blind.
2. **Queries**: the distinct (query, expected answer) pairs of the query file.
3. **Leave one out**: for each query, the articles whose question *is* the query are left out,
   so a query never finds itself; a query whose expected answer then has no article left
   cannot be answered and is skipped (counted as ``skipped``). With the FAQ file as its own
   query file, this makes every question that shares its answer with another question a
   query, looked up among all the other questions (its paraphrases included) and answers.
4. A query's hit is any article with the expected answer: **hit@1**, **hit@5** and **MRR**
   (reciprocal rank of the first hit, 0 past rank 10) per method:

   - ``bm25``: :class:`~crmind.assistant.knowledge.KnowledgeIndex` alone (the default search);
   - ``tfidf``: a baseline, scikit-learn's TfidfVectorizer (word unigrams, sublinear tf) over
     title and body, cosine;
   - with ``embeddings``: ``embeddings`` (E5 cosine alone) and ``fused`` (BM25 and E5 by
     reciprocal-rank fusion, what ``knowledge_index(embeddings=True)`` searches with).

Each method also reports queries per second (search only, one query at a time; for ``fused``
including the encoding of the question, so none for ``embeddings``, which reuses it) and, for
``bm25`` and ``fused``, how often the top hit is :meth:`~crmind.assistant.knowledge.
KnowledgeIndex.answerable` and how often such an answered hit is right; ``unrelated`` texts
(questions the FAQ cannot answer) give the share of them that would wrongly be answered.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from crmind.assistant.knowledge import Article, KnowledgeIndex
from crmind.assistant.knowledge_embeddings import TextEncoder, Vectors, default_encoder
from crmind.errors import MappingError, ModelDataError
from crmind.ingest.readers import read_table
from crmind.text.language import detect_language

K = 5
MRR_CUTOFF = 10
_NOT_WORD = re.compile(r"[\W_]+")

Ranker = Callable[[str, int], list[int]]


@dataclass(frozen=True)
class FaqQuery:
    text: str
    expected: str  # normalised expected answer
    excluded: frozenset[int]  # articles whose question is this query


def evaluate_faq_files(
    kb: Path,
    *,
    kb_answer_col: str,
    queries: Path,
    query_col: str,
    expected_col: str,
    kb_question_col: str | None = None,
    embeddings: bool = False,
    unrelated: Sequence[str] = (),
    encoder: TextEncoder | None = None,
) -> dict[str, Any]:
    """hit@1, hit@5 and MRR of each method (see the module docstring)."""
    kb_rows = _read(kb, [kb_answer_col] + ([kb_question_col] if kb_question_col else []))
    answers = kb_rows[kb_answer_col]
    questions = kb_rows[kb_question_col] if kb_question_col else [""] * len(answers)
    articles, answer_of = _articles(questions, answers)
    query_rows = _read(queries, [query_col, expected_col])
    faq_queries, skipped = _queries(
        query_rows[query_col], query_rows[expected_col], articles, answer_of
    )
    if not faq_queries:
        raise ModelDataError(
            f"{queries}: no query can be answered from {kb.name} (a query's expected answer "
            f"must be an answer of {kb.name}, and asked by another question when both files "
            "are the same)"
        )
    report: dict[str, Any] = {
        "kb": {"file": kb.name, "rows": len(answers), "articles": len(articles)},
        "queries": {
            "file": queries.name,
            "rows": len(query_rows[query_col]),
            "evaluated": len(faq_queries),
            "skipped": skipped,
        },
        "k": K,
        "mrr_cutoff": MRR_CUTOFF,
        "methods": {},
    }
    started = time.perf_counter()
    bm25 = KnowledgeIndex.build(articles)
    build = time.perf_counter() - started
    methods = report["methods"]
    methods["bm25"] = _grade(_bm25_ranker(bm25), faq_queries, answer_of, build)
    methods["bm25"]["answerable"] = _answerable(bm25, faq_queries, answer_of, unrelated)
    tfidf, build = _tfidf_ranker(articles)
    methods["tfidf"] = _grade(tfidf, faq_queries, answer_of, build)
    if embeddings:
        cached = _QueryCache(encoder or default_encoder())
        started = time.perf_counter()
        fused = KnowledgeIndex.build(articles, encoder=cached)
        build = time.perf_counter() - started
        vectors = fused.article_vectors
        assert vectors is not None
        # fused first: its speed includes encoding each question; the others reuse the vectors
        methods["fused"] = _grade(_bm25_ranker(fused), faq_queries, answer_of, build)
        methods["embeddings"] = _grade(_dense_ranker(cached, vectors), faq_queries, answer_of)
        methods["embeddings"]["queries_per_second"] = None
        methods["fused"]["answerable"] = _answerable(fused, faq_queries, answer_of, unrelated)
    return report


def normalise_text(text: str) -> str:
    """Lower case, NFKC, punctuation and runs of space as one space: how FAQ texts are
    compared."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return " ".join(_NOT_WORD.sub(" ", folded).split())


def _read(path: Path, columns: list[str]) -> dict[str, list[str]]:
    frame = read_table(path).frame
    missing = [name for name in columns if name not in frame.columns]
    if missing:
        found = [name for name in frame.columns if name != "_row"]
        raise MappingError(path, f"no column {missing}; columns found: {found}")
    return {name: frame.get_column(name).fill_null("").to_list() for name in columns}


def _articles(questions: Sequence[str], answers: Sequence[str]) -> tuple[list[Article], list[str]]:
    """One article per distinct (question, answer) pair, and each article's normalised answer."""
    seen: dict[tuple[str, str], int] = {}
    articles: list[Article] = []
    answer_of: list[str] = []
    for question, answer in zip(questions, answers, strict=True):
        pair = (normalise_text(question), normalise_text(answer))
        if not pair[1] or pair in seen:
            continue
        seen[pair] = len(articles)
        language = detect_language(f"{question} {answer}").language
        articles.append(Article(f"faq/{len(articles)}", question.strip(), answer.strip(), language))
        answer_of.append(pair[1])
    return articles, answer_of


def _queries(
    texts: Sequence[str], expected: Sequence[str], articles: Sequence[Article], answer_of: list[str]
) -> tuple[list[FaqQuery], int]:
    by_question: dict[str, set[int]] = {}
    for row, article in enumerate(articles):
        by_question.setdefault(normalise_text(article.title), set()).add(row)
    answers: dict[str, set[int]] = {}
    for row, answer in enumerate(answer_of):
        answers.setdefault(answer, set()).add(row)
    found: list[FaqQuery] = []
    skipped = 0
    seen: set[tuple[str, str]] = set()
    for text, answer in zip(texts, expected, strict=True):
        pair = (normalise_text(text), normalise_text(answer))
        if not pair[0] or not pair[1] or pair in seen:
            continue
        seen.add(pair)
        excluded = frozenset(by_question.get(pair[0], ()))
        if not answers.get(pair[1], set()) - excluded:
            skipped += 1
            continue
        found.append(FaqQuery(text, pair[1], excluded))
    return found, skipped


def _grade(
    rank: Ranker, queries: Sequence[FaqQuery], answer_of: list[str], build_seconds: float = 0.0
) -> dict[str, Any]:
    reciprocal: list[float] = []
    started = time.perf_counter()
    for query in queries:
        ranked = [row for row in rank(query.text, MRR_CUTOFF + len(query.excluded))
                  if row not in query.excluded][:MRR_CUTOFF]  # fmt: skip
        first = next((i for i, row in enumerate(ranked, 1) if answer_of[row] == query.expected), 0)
        reciprocal.append(1.0 / first if first else 0.0)
    seconds = time.perf_counter() - started
    ranks = np.array(reciprocal)
    return {
        "hit@1": round(float((ranks == 1.0).mean()), 4),
        f"hit@{K}": round(float((ranks >= 1.0 / K).mean()), 4),
        "mrr": round(float(ranks.mean()), 4),
        "queries_per_second": round(len(queries) / seconds, 1) if seconds else None,
        "build_seconds": round(build_seconds, 2),
    }


def _answerable(
    index: KnowledgeIndex,
    queries: Sequence[FaqQuery],
    answer_of: list[str],
    unrelated: Sequence[str],
) -> dict[str, Any]:
    """How often the top hit would be cited, how often such a cited hit is right, and the
    share of unrelated questions that would get an answer."""
    rows = {article.key: row for row, article in enumerate(index.articles)}
    answered = right = 0
    for query in queries:
        hits = [
            hit
            for hit in index.search(query.text, k=1 + len(query.excluded))
            if rows[hit.article.key] not in query.excluded
        ]
        if hits and index.answerable(hits[0]):
            answered += 1
            right += answer_of[rows[hits[0].article.key]] == query.expected
    report: dict[str, Any] = {
        "answered": round(answered / len(queries), 4),
        "answered_right": round(right / answered, 4) if answered else None,
    }
    if unrelated:
        wrong = sum(
            bool(hits) and index.answerable(hits[0])
            for hits in (index.search(text, k=1) for text in unrelated)
        )
        report["unrelated"] = len(unrelated)
        report["unrelated_answered"] = round(wrong / len(unrelated), 4)
    return report


def _bm25_ranker(index: KnowledgeIndex) -> Ranker:
    rows = {article.key: row for row, article in enumerate(index.articles)}

    def rank(text: str, k: int) -> list[int]:
        return [rows[hit.article.key] for hit in index.search(text, k=k)]

    return rank


def _tfidf_ranker(articles: Sequence[Article]) -> tuple[Ranker, float]:
    started = time.perf_counter()
    vectorizer = TfidfVectorizer(sublinear_tf=True)
    matrix = vectorizer.fit_transform([f"{a.title} {a.body}" for a in articles])
    build = time.perf_counter() - started

    def rank(text: str, k: int) -> list[int]:
        scores = (matrix @ vectorizer.transform([text]).T).toarray().ravel()
        candidates = np.flatnonzero(scores > 0)
        order = np.lexsort((candidates, -scores[candidates]))[:k]
        return [int(row) for row in candidates[order]]

    return rank, build


def _dense_ranker(encoder: TextEncoder, vectors: Vectors) -> Ranker:
    def rank(text: str, k: int) -> list[int]:
        scores = vectors @ encoder.queries([text])[0]
        order = np.lexsort((np.arange(len(scores)), -scores))[:k]
        return [int(row) for row in order]

    return rank


class _QueryCache:
    """An encoder that remembers question vectors, so the dense and fused rankings of one
    question encode it once."""

    def __init__(self, encoder: TextEncoder) -> None:
        self.encoder = encoder
        self._queries: dict[str, Vectors] = {}

    def queries(self, texts: Sequence[str]) -> Vectors:
        missing = [text for text in dict.fromkeys(texts) if text not in self._queries]
        if missing:
            for text, vector in zip(missing, self.encoder.queries(missing), strict=True):
                self._queries[text] = vector
        return np.stack([self._queries[text] for text in texts])

    def passages(self, texts: Sequence[str]) -> Vectors:
        return self.encoder.passages(texts)

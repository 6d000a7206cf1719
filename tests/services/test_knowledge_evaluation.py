"""FAQ retrieval evaluation: the leave-one-out protocol, the metrics, the errors."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from crmind.errors import MappingError, ModelDataError
from crmind.services.knowledge_evaluation import evaluate_faq_files, normalise_text

ANSWER_PASSWORD = "Use the forgot password link on the sign-in page."
ANSWER_CLOSE = "Call us and we close it the same day."


def faq_file(tmp_path: Path) -> Path:
    path = tmp_path / "faq.csv"
    pl.DataFrame(
        {
            "q": [
                "How do I reset my password?",
                "I forgot my password, what now",
                "How do I close my account?",
                "how do I close my account",  # the same pair again: one article
                "What are your opening hours?",
            ],
            "a": [ANSWER_PASSWORD, ANSWER_PASSWORD, ANSWER_CLOSE, ANSWER_CLOSE, "9 to 5."],
        }
    ).write_csv(path)
    return path


def test_a_query_never_finds_its_own_question(tmp_path: Path) -> None:
    path = faq_file(tmp_path)
    report = evaluate_faq_files(
        path, kb_question_col="q", kb_answer_col="a", queries=path, query_col="q",
        expected_col="a",
    )  # fmt: skip
    assert report["kb"]["articles"] == 4
    # the two password questions each find the other; the other two have no paraphrase
    assert (report["queries"]["evaluated"], report["queries"]["skipped"]) == (2, 2)
    bm25 = report["methods"]["bm25"]
    assert (bm25["hit@1"], bm25["hit@5"], bm25["mrr"]) == (1.0, 1.0, 1.0)
    assert set(report["methods"]) == {"bm25", "tfidf"}
    assert bm25["answerable"]["answered_right"] in (None, 1.0)


def test_without_a_question_column_every_question_looks_up_the_answers(tmp_path: Path) -> None:
    path = faq_file(tmp_path)
    report = evaluate_faq_files(
        path, kb_answer_col="a", queries=path, query_col="q", expected_col="a"
    )
    assert report["kb"]["articles"] == 3
    assert (report["queries"]["evaluated"], report["queries"]["skipped"]) == (4, 0)
    for graded in report["methods"].values():
        assert 0.0 <= graded["hit@1"] <= graded["hit@5"] <= 1.0
        assert graded["hit@1"] <= graded["mrr"] <= graded["hit@5"]


def test_a_wrong_first_hit_lowers_hit_at_1_and_mrr(tmp_path: Path) -> None:
    kb = tmp_path / "kb.csv"
    pl.DataFrame(
        {"q": ["Refund times", "Refund to card"], "a": ["Ten days.", "Original card."]}
    ).write_csv(kb)
    queries = tmp_path / "queries.csv"
    pl.DataFrame({"text": ["refund to my card"], "want": ["ten days"]}).write_csv(queries)
    report = evaluate_faq_files(
        kb, kb_question_col="q", kb_answer_col="a", queries=queries, query_col="text",
        expected_col="want",
    )  # fmt: skip
    graded = report["methods"]["bm25"]
    assert (graded["hit@1"], graded["hit@5"], graded["mrr"]) == (0.0, 1.0, 0.5)


def test_missing_columns_and_unanswerable_queries_are_errors(tmp_path: Path) -> None:
    path = faq_file(tmp_path)
    with pytest.raises(MappingError, match="no column"):
        evaluate_faq_files(path, kb_answer_col="x", queries=path, query_col="q", expected_col="a")
    other = tmp_path / "other.csv"
    pl.DataFrame({"q": ["hello"], "a": ["an answer no FAQ gives"]}).write_csv(other)
    with pytest.raises(ModelDataError, match="no query can be answered"):
        evaluate_faq_files(path, kb_answer_col="a", queries=other, query_col="q", expected_col="a")


def test_texts_are_compared_blind_to_case_space_and_punctuation() -> None:
    assert normalise_text("  How do I close my ACCOUNT?? ") == "how do i close my account"

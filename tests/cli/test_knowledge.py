"""``crmind kb import|list|show|search`` and ``crmind evaluate faq``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crmind.cli import app
from tests.conftest import shared_data

runner = CliRunner()


def test_import_the_demo_then_list_show_and_search(tmp_path: Path) -> None:
    base = ["--data-dir", str(tmp_path / "data")]
    imported = runner.invoke(app, [*base, "kb", "import", "--demo"])
    assert imported.exit_code == 0, imported.output
    assert "90 articles read (45 en, 45 zh): 90 new" in imported.stdout
    again = runner.invoke(app, [*base, "kb", "import", "--demo", "--json"])
    assert json.loads(again.stdout)["unchanged"] == 90
    listed = runner.invoke(app, [*base, "kb", "list", "--language", "zh", "--json"])
    assert len(json.loads(listed.stdout)) == 45
    shown = runner.invoke(app, [*base, "kb", "show", "returns.en/refund-time"])
    assert "How long does a refund take?" in shown.stdout
    found = runner.invoke(
        app, [*base, "kb", "search", "退款需要多久", "--language", "zh", "--json"]
    )
    assert found.exit_code == 0, found.output
    hits = json.loads(found.stdout)
    assert hits[0]["article"]["key"] == "returns.zh/refund-time"
    assert hits[0]["answerable"] is True
    table = runner.invoke(app, [*base, "kb", "search", "how long does a refund take"])
    assert "returns.en/refund-t" in table.stdout


def test_import_a_table_with_mapped_columns(tmp_path: Path) -> None:
    base = ["--data-dir", str(tmp_path / "data")]
    faq = tmp_path / "faq.csv"
    faq.write_text("question,answer\nDo you ship abroad?,Yes to 30 countries.\n", encoding="utf-8")
    result = runner.invoke(
        app,
        [*base, "kb", "import", str(faq), "--title-col", "question", "--body-col", "answer",
         "--language", "en", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["created"] == 1
    hits = json.loads(runner.invoke(app, [*base, "kb", "search", "ship abroad", "--json"]).stdout)
    assert hits[0]["article"]["key"] == "faq/do-you-ship-abroad"


def test_a_bad_file_is_one_line_naming_file_row_and_field(tmp_path: Path) -> None:
    faq = tmp_path / "faq.csv"
    faq.write_text("title,body\nA,\n", encoding="utf-8")
    result = runner.invoke(app, ["--data-dir", str(tmp_path / "data"), "kb", "import", str(faq)])
    assert result.exit_code == 1
    assert "faq.csv: row 2, field 'body': empty" in result.stderr


def test_import_needs_a_file_or_the_demo(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--data-dir", str(tmp_path / "data"), "kb", "import"])
    assert result.exit_code == 2


def test_search_on_an_empty_knowledge_base_says_so(tmp_path: Path) -> None:
    base = ["--data-dir", str(tmp_path / "data")]
    assert "no article matches" in runner.invoke(app, [*base, "kb", "search", "refund"]).stdout
    assert "no articles" in runner.invoke(app, [*base, "kb", "list"]).stdout


@pytest.mark.slow
def test_evaluate_faq_on_the_bank_faqs_paraphrases() -> None:
    path = shared_data("bank_faqs/BankFAQs.csv")
    result = runner.invoke(
        app,
        ["evaluate", "faq", "--kb", str(path), "--kb-question-col", "Question",
         "--kb-answer-col", "Answer", "--queries", str(path), "--query-col", "Question",
         "--expected-col", "Answer", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["queries"]["evaluated"] == 95
    bm25, tfidf = report["methods"]["bm25"], report["methods"]["tfidf"]
    assert bm25["hit@1"] >= 0.55  # measured 0.674 (docs/evaluation.md)
    assert bm25["hit@5"] >= 0.80  # measured 0.916
    assert bm25["mrr"] >= 0.65  # measured 0.769
    assert bm25["mrr"] >= tfidf["mrr"]


@pytest.mark.slow
def test_evaluate_faq_on_the_bank_faqs_answers_as_a_table() -> None:
    path = shared_data("bank_faqs/BankFAQs.csv")
    result = runner.invoke(
        app,
        ["evaluate", "faq", "--kb", str(path), "--kb-answer-col", "Answer", "--queries",
         str(path), "--query-col", "Question", "--expected-col", "Answer"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "1,410 articles from BankFAQs.csv; 1,465 queries" in result.stdout
    bm25_row = next(line for line in result.stdout.splitlines() if "bm25" in line)
    hit_at_1 = float(bm25_row.split("│")[2])
    assert hit_at_1 >= 0.28  # measured 0.347

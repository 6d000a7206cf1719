"""Knowledge-base retrieval quality and speed, as docs/evaluation.md reports it.

1. **Bank FAQs** (``crmind evaluate faq``'s own function, embeddings on), two protocols on
   BankFAQs.csv (read in ../shared/data, never copied; no licence stated):

   - *paraphrases*: articles are the (question, answer) pairs; every question whose answer is
     also given to another question is a query, its own article left out;
   - *answers*: articles are the distinct answers alone; every question is a query.

   CLINC150's 1,000 out-of-scope test queries (CC BY 3.0) are the unrelated questions: the
   share of them the assistant would answer from the bank FAQs.
2. **Demo knowledge base** (src/crmind/data/knowledge): the questions of
   tests/assistant/data/kb_questions.csv (written for it: 83 paraphrased customer questions in
   English and Chinese with the article each should find, 36 unrelated ones): hit@1 and hit@5
   per language, how often an answer is cited and right, how often an unrelated question is
   answered; queries per second of BM25 alone and fused with embeddings.

    OMP_NUM_THREADS=1 .venv/bin/python bench/eval_knowledge.py    # about 11 minutes on 2 cores
    OMP_NUM_THREADS=1 .venv/bin/python bench/eval_knowledge.py --demo-only   # 1 minute

(most of the time goes to embedding the bank FAQs' 1,465 and 1,410 articles, twice; with
``--demo-only`` the bank figures of the last full run are kept).

Writes bench/results/knowledge.json and .md.
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import time
from pathlib import Path
from typing import Any

from crmind.assistant.knowledge import KnowledgeIndex, read_articles
from crmind.assistant.knowledge_embeddings import default_encoder
from crmind.services.knowledge import DEMO_KNOWLEDGE
from crmind.services.knowledge_evaluation import evaluate_faq_files

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "bench" / "results"
BANK_FAQS = SHARED / "bank_faqs" / "BankFAQs.csv"
CLINC = SHARED / "clinc150" / "data_full.json"
DEMO_QUESTIONS = ROOT / "tests" / "assistant" / "data" / "kb_questions.csv"
SPEED_ROUNDS = 20


def bank_faqs() -> dict[str, Any]:
    unrelated = [text for text, _ in json.loads(CLINC.read_text())["oos_test"]]
    found: dict[str, Any] = {}
    for protocol, question_col in (("paraphrases", "Question"), ("answers", None)):
        started = time.perf_counter()
        found[protocol] = evaluate_faq_files(
            BANK_FAQS,
            kb_question_col=question_col,
            kb_answer_col="Answer",
            queries=BANK_FAQS,
            query_col="Question",
            expected_col="Answer",
            embeddings=True,
            unrelated=unrelated,
        )
        found[protocol]["seconds"] = round(time.perf_counter() - started, 1)
        print(protocol, json.dumps(found[protocol]["methods"]), flush=True)
    return found


def demo_knowledge() -> dict[str, Any]:
    articles = read_articles(DEMO_KNOWLEDGE)
    with DEMO_QUESTIONS.open(encoding="utf-8") as handle:
        questions = list(csv.DictReader(handle))
    found: dict[str, Any] = {"articles": len(articles), "questions": len(questions)}
    for method in ("bm25", "fused"):
        started = time.perf_counter()
        encoder = default_encoder() if method == "fused" else None
        index = KnowledgeIndex.build(articles, encoder=encoder)
        build = time.perf_counter() - started
        found[method] = _grade_demo(index, questions)
        found[method]["build_seconds"] = round(build, 2)
        rounds = SPEED_ROUNDS if method == "bm25" else 1
        started = time.perf_counter()
        for _ in range(rounds):
            for row in questions:
                index.search(row["query"], language=row["language"])
        seconds = time.perf_counter() - started
        found[method]["queries_per_second"] = round(rounds * len(questions) / seconds, 1)
        print(method, json.dumps(found[method]), flush=True)
    return found


def _grade_demo(index: KnowledgeIndex, questions: list[dict[str, str]]) -> dict[str, Any]:
    graded: dict[str, Any] = {}
    answered_right = answered = in_scope = unrelated = unrelated_answered = 0
    for language in ("en", "zh"):
        mine = [row for row in questions if row["language"] == language and row["expected"]]
        top1 = top5 = 0
        for row in mine:
            keys = [hit.article.key for hit in index.search(row["query"], language=language)]
            top1 += bool(keys) and keys[0] == row["expected"]
            top5 += row["expected"] in keys
        graded[language] = {
            "questions": len(mine),
            "hit@1": round(top1 / len(mine), 4),
            "hit@5": round(top5 / len(mine), 4),
        }
    for row in questions:
        hits = index.search(row["query"], language=row["language"], k=1)
        cited = bool(hits) and index.answerable(hits[0])
        if row["expected"]:
            in_scope += 1
            answered += cited
            answered_right += cited and hits[0].article.key == row["expected"]
        else:
            unrelated += 1
            unrelated_answered += cited
    graded["answered"] = round(answered / in_scope, 4)
    graded["answered_right"] = round(answered_right / answered, 4) if answered else None
    graded["unrelated_answered"] = round(unrelated_answered / unrelated, 4)
    return graded


def markdown(results: dict[str, Any]) -> str:
    lines = [
        "# Knowledge-base retrieval",
        "",
        f"{results['machine']}; `OMP_NUM_THREADS=1 .venv/bin/python bench/eval_knowledge.py`",
        "",
        "| data | protocol | method | hit@1 | hit@5 | MRR | queries/s |",
        "|---|---|---|---|---|---|---|",
    ]
    for protocol, found in results["bank_faqs"].items():
        for method, graded in found["methods"].items():
            speed = graded["queries_per_second"]
            lines.append(
                f"| bank FAQs | {protocol} ({found['queries']['evaluated']} queries) | {method} "
                f"| {graded['hit@1']:.3f} | {graded['hit@5']:.3f} | {graded['mrr']:.3f} "
                f"| {'' if speed is None else f'{speed:,.0f}'} |"
            )
    demo = results["demo"]
    for method in ("bm25", "fused"):
        for language in ("en", "zh"):
            graded = demo[method][language]
            lines.append(
                f"| demo KB | {language} ({graded['questions']} questions) | {method} "
                f"| {graded['hit@1']:.3f} | {graded['hit@5']:.3f} | | "
                f"{demo[method]['queries_per_second']:,.0f} |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--demo-only", action="store_true", help="keep the last bank figures")
    args = parser.parse_args()
    machine = f"{platform.processor() or platform.machine()}, Python {platform.python_version()}"
    demo = demo_knowledge()
    if args.demo_only:
        results = json.loads((RESULTS / "knowledge.json").read_text())
        results["demo"] = demo
    else:
        results = {"machine": machine, "demo": demo, "bank_faqs": bank_faqs()}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "knowledge.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / "knowledge.md").write_text(markdown(results))
    print(markdown(results))


if __name__ == "__main__":
    main()

"""Feedback text speed: sentiment and topics on 100,000 texts of each language, beside peers.

Each case runs in a fresh process (wall time and peak memory of that process):

- ``crmind:sentiment`` — the shipped model's ``predict`` (label, score and drivers of every text,
  language detection included) on every core, as ``crmind text analyze`` does;
  ``crmind:sentiment-1-process`` the same in one process;
- ``crmind:score`` — its ``score`` only (what aspect scoring uses), every core;
- ``crmind:topics`` — ``TopicModel`` fit and transform (jieba for Chinese);
- peers on the same texts: VADER (``vaderSentiment``, English, rule-based), snownlp
  (``SnowNLP(text).sentiments``, Chinese, naive Bayes; timed on the first 5,000 texts, it is
  slow) and scikit-learn's LDA on the same words as the topic model (``peer:lda-topics``).

Texts: English, the 3,000 bundled UCI sentences repeated to 100,000; Chinese, the reviews of
online_shopping_10_cats (../shared/data, read there, never copied) repeated to 100,000.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/bench_text.py
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHOPPING = (
    ROOT.parent / "shared" / "data" / "online_shopping_10_cats" / "online_shopping_10_cats.zip"
)
RESULTS = ROOT / "bench" / "results"
TEXTS = 100_000
SNOWNLP_TEXTS = 5_000
SENTIMENT = ["crmind:sentiment", "crmind:sentiment-1-process", "crmind:score"]
CASES = {
    "en": [*SENTIMENT, "peer:vader", "crmind:topics", "peer:lda-topics"],
    "zh": [*SENTIMENT, "peer:snownlp", "crmind:topics", "peer:lda-topics"],
}


def texts_of(language: str) -> list[str]:
    if language == "en":
        from crmind.text.default_model import read_uci_sentences

        base = read_uci_sentences()["text"].to_list()
    else:
        from crmind.services.text_evaluation import read_labelled_texts

        base, _ = read_labelled_texts(SHOPPING, "review", None)
        base = [text for text in base if text]
    return (base * (TEXTS // len(base) + 1))[:TEXTS]


def run_case(case: str, language: str) -> dict[str, Any]:
    texts = texts_of(language)
    started = time.perf_counter()
    count = len(texts)
    if case in ("crmind:sentiment", "crmind:sentiment-1-process"):
        from crmind.text.default_model import default_sentiment_model
        from crmind.text.language import detect_language

        model = default_sentiment_model()
        started = time.perf_counter()
        [detect_language(text) for text in texts]
        model.predict(texts, n_jobs=1 if case.endswith("1-process") else -1)
    elif case == "crmind:score":
        from crmind.text.default_model import default_sentiment_model

        model = default_sentiment_model()
        started = time.perf_counter()
        model.score(texts, n_jobs=-1)
    elif case == "crmind:topics":
        from crmind.text.topics import TopicModel

        model = TopicModel(n_topics=8).fit(texts)
        model.transform(texts)
    elif case == "peer:vader":
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        analyser = SentimentIntensityAnalyzer()
        started = time.perf_counter()
        [analyser.polarity_scores(text) for text in texts]
    elif case == "peer:snownlp":
        from snownlp import SnowNLP

        count = SNOWNLP_TEXTS
        [SnowNLP(text).sentiments for text in texts[:count]]
    elif case == "peer:lda-topics":
        from sklearn.decomposition import LatentDirichletAllocation
        from sklearn.feature_extraction.text import CountVectorizer

        from crmind.text.topics import content_words

        counts = CountVectorizer(analyzer=content_words, min_df=2).fit_transform(texts)
        lda = LatentDirichletAllocation(n_components=8, learning_method="online", random_state=0)
        lda.fit_transform(counts)
    else:
        raise SystemExit(f"unknown case {case}")
    seconds = time.perf_counter() - started
    return {
        "texts": count,
        "seconds": round(seconds, 2),
        "texts_per_second": round(count / seconds),
        "peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def measure(case: str, language: str) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, __file__, "--case", case, "--language", language],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
    )
    if result.returncode != 0:
        return {"error": result.stderr.strip().splitlines()[-1] if result.stderr else "failed"}
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def markdown(report: dict[str, Any]) -> str:
    lines = [
        "# Feedback text: sentiment and topics speed",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}. Command: `OPENBLAS_NUM_THREADS=1 .venv/bin/python "
        "bench/bench_text.py`. One process per case, one run; load average "
        f"{report['load_start']} at the start, {report['load_end']} at the end.",
        "",
        "*peak MiB* is the measuring process's; on every core (`crmind:sentiment`, "
        "`crmind:score`) each worker process also holds a copy of the model (about the "
        "1-process case's peak).",
        "",
        "| language | case | texts | seconds | texts/s | peak MiB |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for row in report["results"]:
        if "error" in row:
            lines.append(f"| {row['language']} | {row['case']} | error: {row['error']} | | | |")
            continue
        lines.append(
            f"| {row['language']} | {row['case']} | {row['texts']:,} | {row['seconds']} | "
            f"{row['texts_per_second']:,} | {row['peak_mib']} |"
        )
    lines += ["", "## crmind / peer (texts per second; above 1: crmind faster)", ""]
    rates = {
        (row["language"], row["case"]): row["texts_per_second"]
        for row in report["results"]
        if "error" not in row
    }
    pairs = [
        ("en", "crmind:sentiment", "peer:vader", "VADER reads a lexicon and rules only"),
        ("zh", "crmind:sentiment", "peer:snownlp", "snownlp's naive Bayes"),
        ("en", "crmind:topics", "peer:lda-topics", "scikit-learn LDA, same words"),
        ("zh", "crmind:topics", "peer:lda-topics", "scikit-learn LDA, same words"),
    ]
    for language, ours, theirs, note in pairs:
        if (language, ours) in rates and (language, theirs) in rates:
            ratio = rates[(language, ours)] / rates[(language, theirs)]
            lines.append(f"- {language}, {ours} / {theirs}: {ratio:.2f} x ({note})")
    goal = [rates.get((language, "crmind:sentiment"), 0) for language in ("en", "zh")]
    met = "met" if min(goal) >= 5_000 else "not met"
    lines.append(f"- goal, at least 5,000 texts/s for sentiment on this machine: **{met}**")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case")
    parser.add_argument("--language", default="en")
    arguments = parser.parse_args()
    if arguments.case:
        print(json.dumps(run_case(arguments.case, arguments.language)))
        return
    report: dict[str, Any] = {"load_start": [round(x, 2) for x in os.getloadavg()], "results": []}
    for language, cases in CASES.items():
        if language == "zh" and not SHOPPING.exists():
            continue
        for case in cases:
            row = {"language": language, "case": case, **measure(case, language)}
            print(json.dumps(row), flush=True)
            report["results"].append(row)
    report["load_end"] = [round(x, 2) for x in os.getloadavg()]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "text.json").write_text(json.dumps(report, indent=2) + "\n")
    (RESULTS / "text.md").write_text(markdown(report))


if __name__ == "__main__":
    main()

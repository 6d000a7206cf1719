"""Sentiment of feedback in English and Chinese: a label, a score in [-1, 1], the words behind it.

**Model.** A linear classifier (logistic regression) on three views of each text:

- *words* (TF-IDF): the tokens of :mod:`crmind.text.tokens` outside Chinese — English words,
  emoticons and emoji, with negation scopes marked ("not_good") — as unigrams and bigrams;
- *characters* (TF-IDF): 1 to 3 character n-grams of the normalised text. They carry Chinese
  ("不满意" holds "不满" and "不满意", so negation is read where it stands) without jieba, which
  would cost two thirds of the scoring time for under a point of accuracy
  (``chinese_words=True`` adds jieba's words), and English when it is misspelt;
- *lexicon*: three numbers from VADER's lexicon (:mod:`crmind.text.lexicon`), which carry the
  sentiment words the training data never showed.

**Embeddings** (``embeddings=True``; the shipped model has this reader too, but scores with
the n-grams alone unless asked, for speed): a second logistic regression reads each text's
multilingual-e5-small vector (:mod:`crmind.text.embeddings`), and a third, stacked on the two
models' out-of-fold log-probabilities over the training data, joins them
(:mod:`crmind.text.sentiment_blend`). It reads meaning the training texts never spelt out (on
the UCI IMDB sentences, 5-fold accuracy 0.84 -> 0.93) at hundreds of times the scoring cost
(docs/evaluation.md). Drivers stay the n-grams'.

**Fine-tuned** (``finetune=True``, the ``finetune`` extra: torch): E5's top
``finetune_layers`` layers are trained on the labels themselves (:mod:`crmind.text.e5_finetune`,
:data:`NETWORK_TOKENS` tokens of a text, a long one's last :data:`NETWORK_TAIL_TOKENS` among
them) on all but a stratified tenth held back
(:mod:`crmind.text.held_back`); the blend learns on that tenth how far to trust the network
beside the n-grams (and the probe). Training costs minutes per thousand texts; scoring, one
pass of the network per text.

One model reads both languages and their mixes (the vocabularies do not collide). Linear models
on n-grams are the strong classic baseline for sentiment (Wang & Manning 2012); they train in
seconds, score thousands of texts per second on one core, and explain themselves exactly: a
feature's contribution is its weight times its value in the text.

**Outputs.** ``score = P(positive) - P(negative)`` (0 for a text with no feature the model
knows, such as an empty one); the label is ``positive`` at or above ``neutral_margin``,
``negative`` at or below its negative, else ``neutral`` (a model trained with neutral examples
uses its own three probabilities the same way). ``drivers`` are the features that pushed the
score the way it went, strongest first, in words ("not good", -1.8): word features, else
character n-grams, else the lexicon words.

**Labels.** Training labels may be ``negative`` / ``neutral`` / ``positive`` (any case), -1 / 0
/ 1 (0 neutral), 0 / 1 (1 positive) or booleans; :func:`labels_from_ratings` turns star ratings
into weak labels (1-2 negative, 3 neutral, 4-5 on a five-star scale).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING, Self

import numpy as np
import numpy.typing as npt
from scipy import special
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from crmind.errors import ConfigurationError, ModelDataError
from crmind.estimator import Estimator
from crmind.text.batches import map_blocks
from crmind.text.embeddings import sentence_vectors
from crmind.text.held_back import MIN_HELD_BACK_CLASS, held_back_tenth
from crmind.text.lexicon import lexicon_features, lexicon_words
from crmind.text.sentiment_blend import (
    INNER_FOLDS,
    Blend,
    Codes,
    EmbeddingProbe,
    inner_folds,
    out_of_fold,
)
from crmind.text.tokens import NEGATED, normalise, tokens

if TYPE_CHECKING:  # torch is imported only when a model is fine-tuned (the finetune extra)
    from crmind.text.e5_finetune import FineTunedE5

NETWORK_TOKENS = 128
"""Tokens a fine-tuned network reads of a text: the first ones and, of a longer text, ..."""
NETWORK_TAIL_TOKENS = 64
"""...its last this many."""

NEGATIVE, NEUTRAL, POSITIVE = "negative", "neutral", "positive"
LABELS = (NEGATIVE, NEUTRAL, POSITIVE)
_LABEL_NAMES = {
    "negative": NEGATIVE,
    "neg": NEGATIVE,
    "-1": NEGATIVE,
    "0": NEGATIVE,
    "false": NEGATIVE,
    "neutral": NEUTRAL,
    "positive": POSITIVE,
    "pos": POSITIVE,
    "1": POSITIVE,
    "true": POSITIVE,
}


@dataclass(frozen=True)
class Sentiments:
    """Per text: label, score in [-1, 1], and drivers as (words, contribution), strongest first."""

    labels: list[str]
    scores: npt.NDArray[np.float64]
    drivers: list[list[tuple[str, float]]]


class SentimentModel(Estimator):
    """Logistic regression on word and character n-grams (see the module docstring).

    Learned attributes: ``classes_`` (labels it was trained with), ``vocabulary_size_``.
    """

    def __init__(
        self,
        *,
        C: float = 4.0,  # noqa: N803 - scikit-learn's name
        char_ngrams: tuple[int, int] = (1, 3),
        char_min_df: int = 2,
        word_min_df: int = 1,
        lexicon_weight: float = 1.0,
        chinese_words: bool = False,
        embeddings: bool = False,
        finetune: bool = False,
        finetune_layers: int = 8,
        finetune_epochs: int = 2,
        neutral_margin: float = 0.2,
        n_drivers: int = 3,
        random_state: int = 0,
    ) -> None:
        self.C = C
        self.char_ngrams = char_ngrams
        self.char_min_df = char_min_df
        self.word_min_df = word_min_df
        self.lexicon_weight = lexicon_weight
        self.chinese_words = chinese_words
        self.embeddings = embeddings
        self.finetune = finetune
        self.finetune_layers = finetune_layers
        self.finetune_epochs = finetune_epochs
        self.neutral_margin = neutral_margin
        self.n_drivers = n_drivers
        self.random_state = random_state

    def fit(self, texts: Sequence[str], labels: Sequence[object]) -> Self:
        if not 0 <= self.neutral_margin < 1:
            raise ConfigurationError(f"neutral_margin must be in [0, 1), not {self.neutral_margin}")
        if len(texts) != len(labels):
            raise ModelDataError(f"{len(texts)} texts but {len(labels)} labels")
        target = normalise_labels(labels)
        classes = sorted(set(target), key=LABELS.index)
        if NEGATIVE not in classes or POSITIVE not in classes:
            raise ModelDataError("sentiment needs both negative and positive examples")
        self._words = TfidfVectorizer(
            analyzer=with_bigrams, sublinear_tf=True, min_df=min(self.word_min_df, len(texts))
        )
        self._chars = TfidfVectorizer(
            analyzer="char",
            ngram_range=self.char_ngrams,
            sublinear_tf=True,
            min_df=min(self.char_min_df, len(texts)),
        )
        matrix, _ = self._features(texts, fit=True)
        self._classifier = LogisticRegression(
            C=self.C,
            max_iter=2000,
            random_state=self.random_state,
            solver="liblinear" if len(classes) == 2 else "lbfgs",
        )
        codes = np.array([LABELS.index(label) for label in target], dtype=np.intp)
        self._classifier.fit(matrix, codes)
        self._probe: EmbeddingProbe | None = None
        self._network: FineTunedE5 | None = None
        self._blend: Blend | None = None
        if self.embeddings or self.finetune:
            self._fit_readers(list(texts), target, codes)
        self.classes_: list[str] = [LABELS[int(code)] for code in self._classifier.classes_]
        self.vocabulary_size_ = matrix.shape[1]
        return self

    def _fit_readers(self, texts: list[str], target: list[str], codes: Codes) -> None:
        """The E5 probe and / or the fine-tuned network, and the blend stacked on their and the
        n-grams' log-probabilities for texts each had not been trained on: out-of-fold over the
        training texts, or with a network, over the tenth held back from it
        (:mod:`crmind.text.sentiment_blend`, :mod:`crmind.text.held_back`)."""
        vectors = sentence_vectors(texts) if self.embeddings else None
        if vectors is not None:
            self._probe = EmbeddingProbe(random_state=self.random_state).fit(vectors, codes)
        weighed = np.ones(len(texts), dtype=bool)  # the texts the blend learns from
        if self.finetune:
            weighed = held_back_tenth(codes, self.random_state)
            if set(codes[weighed].tolist()) != set(codes.tolist()):
                raise ModelDataError(
                    "fine-tuning holds back a tenth of the texts to weigh the network: it "
                    f"needs at least {MIN_HELD_BACK_CLASS} texts of each label"
                )
            self._network = self._train_network(texts, codes, ~weighed)
        folds = inner_folds(codes, INNER_FOLDS)
        if folds < 2:  # too few texts of a class to learn a blend: trust the readers alike
            return
        readers = [self._out_of_fold_ngrams(texts, target, codes, folds)[weighed]]
        if self._probe is not None and vectors is not None:
            probe = out_of_fold(vectors, codes, folds, self._probe.C_, self.random_state)
            readers.append(probe[weighed])
        if self._network is not None:
            held = [text for text, back in zip(texts, weighed, strict=True) if back]
            readers.append(_log_softmax(self._network.logits(held)))
        self._blend = Blend().fit(readers, codes[weighed])

    def _out_of_fold_ngrams(
        self, texts: list[str], target: list[str], codes: Codes, folds: int
    ) -> npt.NDArray[np.float64]:
        """Each text's n-gram log-probabilities from a model trained on the other folds."""
        result = np.zeros((len(texts), len(np.unique(codes))))
        array = np.array(texts, dtype=object)
        splitter = StratifiedKFold(folds, shuffle=True, random_state=self.random_state)
        for train, test in splitter.split(array, codes):
            inner = SentimentModel(**{**self.get_params(), "embeddings": False, "finetune": False})
            inner.fit(array[train].tolist(), [target[i] for i in train])
            matrix = inner._features(array[test].tolist(), fit=False)[0]
            result[test] = inner._ngram_log_proba(matrix)
        return result

    def _train_network(
        self, texts: list[str], codes: Codes, rows: npt.NDArray[np.bool_]
    ) -> FineTunedE5:
        """E5's top layers fine-tuned on the chosen rows (:mod:`crmind.text.e5_finetune`;
        imported here: torch is the ``finetune`` extra)."""
        try:
            from crmind.text.e5_finetune import FineTunedE5, FineTuning
        except ImportError as exc:
            raise ConfigurationError(
                "fine-tuning needs torch: pip install 'crmind[finetune]' (or train without "
                "--finetune)"
            ) from exc
        settings = FineTuning(
            layers=self.finetune_layers,
            epochs=self.finetune_epochs,
            max_tokens=NETWORK_TOKENS,
            tail_tokens=NETWORK_TAIL_TOKENS,
            random_state=self.random_state,
        )
        columns = np.searchsorted(np.unique(codes), codes[rows])
        chosen = [text for text, keep in zip(texts, rows, strict=True) if keep]
        return FineTunedE5(settings).fit(chosen, columns, len(np.unique(codes)))

    def ngrams_only(self) -> SentimentModel:
        """A copy of this fitted model that reads the n-grams alone (no E5 reader): the same
        scores as a model trained without ``embeddings`` or ``finetune`` on the same texts, at
        n-gram speed (how :mod:`crmind.text.default_model` serves the shipped model fast)."""
        self._check_fitted("classes_")
        plain = copy.copy(self)
        plain.embeddings = plain.finetune = False
        plain._probe = plain._network = plain._blend = None
        return plain

    def score(self, texts: Sequence[str], *, n_jobs: int = 1) -> npt.NDArray[np.float64]:
        """``P(positive) - P(negative)`` per text; ``n_jobs`` processes for a large batch
        (:mod:`crmind.text.batches`)."""
        self._check_fitted("classes_")
        if not len(texts):
            return np.zeros(0)
        return np.concatenate(map_blocks(self, "_score_block", texts, n_jobs))

    def predict(self, texts: Sequence[str], *, n_jobs: int = 1) -> Sentiments:
        """Label, score and drivers of each text; ``n_jobs`` as for :meth:`score`."""
        self._check_fitted("classes_")
        if not len(texts):
            return Sentiments([], np.zeros(0), [])
        parts: list[Sentiments] = map_blocks(self, "_predict_block", texts, n_jobs)
        return Sentiments(
            [label for part in parts for label in part.labels],
            np.concatenate([part.scores for part in parts]),
            [drivers for part in parts for drivers in part.drivers],
        )

    def _score_block(self, texts: list[str]) -> npt.NDArray[np.float64]:
        return self._scores(self._features(texts, fit=False)[0], texts)

    def _predict_block(self, texts: list[str]) -> Sentiments:
        matrix, token_lists = self._features(texts, fit=False)
        scores = self._scores(matrix, texts)
        return Sentiments(
            [self._label(score) for score in scores.tolist()],
            scores,
            self._drivers(matrix, scores, token_lists),
        )

    def _features(self, texts: Sequence[str], *, fit: bool) -> tuple[csr_matrix, list[list[str]]]:
        """The feature matrix, and each text's tokens."""
        normal = [normalise(text) for text in texts]
        token_lists = [
            tokens(text, chinese_words=self.chinese_words, normalised=True) for text in normal
        ]
        if fit:
            words = self._words.fit_transform(token_lists)
            chars = self._chars.fit_transform(normal)
        else:
            words = self._words.transform(token_lists)
            chars = self._chars.transform(normal)
        parts = [words, chars]
        if self.lexicon_weight:
            parts.append(csr_matrix(lexicon_features(token_lists) * self.lexicon_weight))
        return csr_matrix(hstack(parts, format="csr")), token_lists

    def _scores(self, matrix: csr_matrix, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        """``P(positive) - P(negative)``; 0 for a text with no feature the model knows (the
        class balance of the training data says nothing about it) and, with an E5 reader, no
        words either."""
        unknown = np.diff(matrix.indptr) == 0
        probe: EmbeddingProbe | None = getattr(self, "_probe", None)  # None in older files
        network = getattr(self, "_network", None)
        if probe is None and network is None:
            probabilities = self._classifier.predict_proba(matrix)
        else:
            readers = [self._ngram_log_proba(matrix)]
            if probe is not None:
                readers.append(probe.log_proba(sentence_vectors(texts)))
            if network is not None:
                readers.append(_log_softmax(network.logits(list(texts))))
            probabilities = (
                self._blend.proba(readers)
                if self._blend is not None
                else np.mean(np.exp(readers), axis=0)
            )
            unknown &= np.array([not text.strip() for text in texts], dtype=bool)
        positive = probabilities[:, self.classes_.index(POSITIVE)]
        negative = probabilities[:, self.classes_.index(NEGATIVE)]
        scores = np.asarray(positive - negative, dtype=np.float64)
        scores[unknown] = 0.0
        return scores

    def _ngram_log_proba(self, matrix: csr_matrix) -> npt.NDArray[np.float64]:
        """The n-gram regression's log-probabilities, one column per class."""
        return np.asarray(self._classifier.predict_log_proba(matrix), dtype=np.float64)

    def _label(self, score: float) -> str:
        if score >= self.neutral_margin:
            return POSITIVE
        if score <= -self.neutral_margin:
            return NEGATIVE
        return NEUTRAL

    def _direction(self) -> npt.NDArray[np.float64]:
        """Per feature: how much it moves the positive log-odds against the negative."""
        coefficients = self._classifier.coef_
        if coefficients.shape[0] == 1:  # binary: one row, for the second class (positive)
            return np.asarray(coefficients[0], dtype=np.float64)
        positive = self.classes_.index(POSITIVE)
        negative = self.classes_.index(NEGATIVE)
        return np.asarray(coefficients[positive] - coefficients[negative], dtype=np.float64)

    def _drivers(
        self,
        matrix: csr_matrix,
        scores: npt.NDArray[np.float64],
        token_lists: list[list[str]],
    ) -> list[list[tuple[str, float]]]:
        """Per text: its features pushing the score the way it went, strongest first, by their
        readable name (a unigram and a bigram that read the same add up); word features, else
        character n-grams, else the lexicon (named by the text's lexicon words that way)."""
        direction = self._direction()
        n_words = len(self._words.vocabulary_)
        n_known = n_words + len(self._chars.vocabulary_)
        drivers: list[list[tuple[str, float]]] = []
        for row, score in enumerate(scores.tolist()):
            start, stop = matrix.indptr[row], matrix.indptr[row + 1]
            columns = matrix.indices[start:stop]
            contributions = matrix.data[start:stop] * direction[columns]
            sign = 1.0 if score >= 0 else -1.0
            totals: dict[str, float] = {}
            for view in (columns < n_words, (columns >= n_words) & (columns < n_known), None):
                chosen = np.flatnonzero(view) if view is not None else np.arange(len(columns))
                for i in chosen[contributions[chosen] * sign > 0].tolist():
                    column = int(columns[i])
                    name = (
                        self._feature_name(column)
                        if column < n_known
                        else lexicon_words(token_lists[row], sign)
                    )
                    totals[name] = totals.get(name, 0.0) + float(contributions[i])
                if totals:
                    break
            strongest = sorted(totals.items(), key=lambda item: -abs(item[1]))[: self.n_drivers]
            drivers.append([(name, round(value, 3)) for name, value in strongest])
        return drivers

    def _feature_name(self, column: int) -> str:
        names: list[str] | None = getattr(self, "_names", None)
        if names is None:
            words = self._words.get_feature_names_out().tolist()
            chars = self._chars.get_feature_names_out().tolist()
            names = words + chars
            self._names = names
        name = names[column]
        return _readable(name) if column < len(self._words.vocabulary_) else name


def _log_softmax(logits: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return np.asarray(special.log_softmax(logits, axis=1), dtype=np.float64)


def with_bigrams(found: list[str]) -> list[str]:
    """Tokens and their bigrams (joined by a space)."""
    return found + [f"{a} {b}" for a, b in pairwise(found)]


LABEL_CHOICES = "negative / neutral / positive, -1 / 0 / 1 or 0 / 1"


class LabelError(ModelDataError):
    """A label that names no sentiment; ``position`` is its index among the labels given."""

    def __init__(self, position: int, label: object) -> None:
        self.position = position
        self.label = label
        super().__init__(
            f"row {position + 1}: sentiment label {label!r} is not one of {LABEL_CHOICES}"
        )


def normalise_labels(labels: Sequence[object]) -> list[str]:
    """Labels as ``negative`` / ``neutral`` / ``positive`` (see the module docstring). A 0 is
    neutral when the labels also hold a -1 (the -1 / 0 / 1 scheme), else negative (0 / 1).
    Raises :class:`LabelError` for the first label that is none of these."""
    keys = []
    for label in labels:
        key = str(label).strip().lower()
        keys.append(key[:-2] if key.endswith(".0") else key)
    three_way = "-1" in keys
    result = []
    for position, (label, key) in enumerate(zip(labels, keys, strict=True)):
        if key not in _LABEL_NAMES:
            raise LabelError(position, label)
        result.append(NEUTRAL if three_way and key == "0" else _LABEL_NAMES[key])
    return result


def labels_from_ratings(ratings: Sequence[float | None], scale: int = 5) -> list[str | None]:
    """Weak labels from star ratings on a 1..``scale`` scale: the bottom two fifths negative, the
    middle fifth neutral, the top two fifths positive; None stays None."""
    labels: list[str | None] = []
    for rating in ratings:
        if rating is None or np.isnan(rating):
            labels.append(None)
            continue
        position = (float(rating) - 1) / (scale - 1)
        labels.append(NEGATIVE if position < 0.4 else NEUTRAL if position <= 0.6 else POSITIVE)
    return labels


def _readable(feature: str) -> str:
    """ "not_good" reads "not good"; "不 not_满意" reads "不满意"."""
    parts = [part.removeprefix(NEGATED) for part in feature.split(" ")]
    if all(not part.isascii() for part in parts):
        return "".join(parts)
    if feature.startswith(NEGATED):
        return "not " + " ".join(parts)
    return " ".join(parts)

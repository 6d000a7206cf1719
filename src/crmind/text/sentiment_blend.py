"""The embedding half of a sentiment model with ``embeddings=True``, and how it joins the n-grams.

- :class:`EmbeddingProbe`: a logistic regression on the texts' multilingual-e5-small vectors
  (:mod:`crmind.text.embeddings`), its ``C`` the one of :data:`PROBE_CS` with the best
  cross-validated log-loss on the training data.
- :class:`Blend`: a logistic regression stacked on the readers' log-probabilities (the
  n-grams', the probe's, a fine-tuned network's), learned on log-probabilities each gave texts
  it had not been trained on (Wolpert's stacking: out-of-fold for the n-grams and the probe, a
  held-back tenth for the network), so it learns how far to trust each reader, and that one
  may be over-confident, from texts none had seen.

Stacking reads better than placing the vector beside the n-grams in one regression (5-fold:
UCI IMDB 0.913-0.929 for vector weights 1-3, 0.931 stacked; ChnSentiCorp 0.903 against 0.906
stacked on the same n-grams): one ``C`` cannot suit hundreds of thousands of sparse n-grams and
384 dense numbers at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

import numpy as np
import numpy.typing as npt
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

Floats = npt.NDArray[np.float64]
Codes = npt.NDArray[np.intp]

PROBE_CS = (1.0, 4.0, 16.0)
"""Regularisation strengths the probe chooses from."""
INNER_FOLDS = 5
_FLOOR = 1e-6


class EmbeddingProbe:
    """Logistic regression on sentence vectors (see the module docstring)."""

    def __init__(self, *, folds: int = INNER_FOLDS, random_state: int = 0) -> None:
        self.folds = folds
        self.random_state = random_state

    def fit(self, vectors: npt.NDArray[np.floating], target: Codes) -> Self:
        """Choose ``C`` by cross-validated log-loss, then fit on all of ``vectors``."""
        folds = inner_folds(target, self.folds)
        if folds < 2:
            self.C_ = PROBE_CS[0]
        else:
            losses = [
                log_loss(out_of_fold(vectors, target, folds, C, self.random_state), target)
                for C in PROBE_CS
            ]
            self.C_ = PROBE_CS[int(np.argmin(losses))]
        self.model_ = _regression(self.C_).fit(vectors, target)
        return self

    def log_proba(self, vectors: npt.NDArray[np.floating]) -> Floats:
        """Log-probabilities, one column per class in ``classes_`` order."""
        return _log(self.model_.predict_proba(vectors))

    @property
    def classes_(self) -> Codes:
        return np.asarray(self.model_.classes_, dtype=np.intp)


class Blend:
    """Stacked logistic regression on readers' log-probabilities (module docstring)."""

    def fit(self, readers: Sequence[Floats], target: Codes) -> Self:
        """Learn from log-probabilities the readers gave texts they had not been trained on
        (one array per reader, the same class columns, in the order :meth:`proba` gets them)."""
        self.model_ = LogisticRegression(C=1.0, max_iter=1000).fit(np.hstack(readers), target)
        return self

    def proba(self, readers: Sequence[Floats]) -> Floats:
        """Probabilities, one column per class."""
        return np.asarray(self.model_.predict_proba(np.hstack(readers)), dtype=np.float64)


def out_of_fold(
    vectors: npt.NDArray[np.floating],
    target: Codes,
    folds: int,
    C: float,  # noqa: N803 - scikit-learn's name
    random_state: int,
) -> Floats:
    """Each row's log-probabilities from a probe fitted on the other folds."""
    result = np.zeros((len(target), len(np.unique(target))))
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=random_state).split(
        vectors, target
    ):
        model = _regression(C).fit(vectors[train], target[train])
        columns = np.searchsorted(np.unique(target), model.classes_)
        result[np.ix_(test, columns)] = model.predict_proba(vectors[test])
    return _log(result)


def inner_folds(target: Codes, wanted: int) -> int:
    """``wanted`` folds, fewer when a class has fewer texts (0 or 1: no cross-validation)."""
    counts = np.bincount(target)
    return min(wanted, int(counts[counts > 0].min(initial=len(target))))


def log_loss(log_proba: Floats, target: Codes) -> float:
    """Mean negative log-probability of the true class (columns: the sorted classes)."""
    columns = np.searchsorted(np.unique(target), target)
    return float(-log_proba[np.arange(len(target)), columns].mean())


def _log(probabilities: npt.ArrayLike) -> Floats:
    return np.log(np.clip(np.asarray(probabilities, dtype=np.float64), _FLOOR, 1.0))


def _regression(C: float) -> LogisticRegression:  # noqa: N803 - scikit-learn's name
    return LogisticRegression(C=C, max_iter=2000)

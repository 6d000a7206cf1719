"""Calibrated confidence and the out-of-scope threshold of the intent classifier.

A linear SVM's decision scores rank intents well but are no probabilities. Temperature scaling
(Guo et al. 2017) turns them into one: ``softmax(scores / T)``, with the single number ``T``
chosen to minimise the log-loss on held-out scores (the classifier's out-of-fold scores on its
own training data), so that "0.8" means right about 80 % of the time.

A message is answered when its in-scope score (below; by default its best intent's probability)
reaches the threshold, else refused as out of scope. The threshold is chosen on held-out
probabilities (out-of-fold, or a validation set) as the highest one that costs at most
``max_loss`` (default one point) of in-scope accuracy: of every 100 held-out messages of the
intents, at most one that would have been read right is refused. Refusing raises out-of-scope
recall at every step, so under that budget the highest threshold refuses the most out-of-scope
messages, whether or not the held-out data holds any; a wrongly read in-scope message that is
refused costs nothing (it was wrong anyway). The budget states what the assistant trades in
words a user can weigh, and it transfers across intent sets, where a fixed probability does
not.

What the threshold is compared with is the message's *in-scope score*
(:func:`in_scope_score`): the summed probability of its ``top`` best intents. With ``top`` 1 it
is the best intent's probability; with more, a message torn between two or three close intents
("freeze my card" between *card lost* and *freeze account*) keeps the probability it gives them
together, while a message that belongs to no intent spreads its probability thin over many
(or gives it to the learnt out-of-scope class) and still scores low.
The classifier chooses ``top`` among :data:`TOPS` as the one whose threshold, chosen by the
same budget, refuses the most held-out out-of-scope messages (on CLINC150's validation split:
3, out-of-scope recall 79 -> 87 % at the same in-scope accuracy; docs/evaluation.md).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax, softmax

Floats = npt.NDArray[np.float64]

MIN_TEMPERATURE = 1e-3
MAX_TEMPERATURE = 100.0
TOPS = (1, 2, 3)
"""Numbers of best intents whose summed probability the classifier tries as in-scope score."""


def probabilities(scores: Floats, temperature: float) -> Floats:
    """Rows of ``scores`` as probabilities: ``softmax(scores / temperature)``."""
    return np.asarray(softmax(scores / temperature, axis=1), dtype=np.float64)


def fit_temperature(scores: Floats, targets: npt.NDArray[np.intp]) -> float:
    """The temperature minimising the mean log-loss of ``softmax(scores / T)`` against the
    column index of each row's true class."""
    rows = np.arange(len(targets))

    def loss(log_t: float) -> float:
        return float(-log_softmax(scores / np.exp(log_t), axis=1)[rows, targets].mean())

    found = minimize_scalar(
        loss,
        bounds=(np.log(MIN_TEMPERATURE), np.log(MAX_TEMPERATURE)),
        method="bounded",
        options={"xatol": 1e-4},
    )
    return float(np.exp(found.x))


def budget_threshold(
    confidence: Floats, right: npt.NDArray[np.bool_], baseline: float, max_loss: float
) -> float:
    """The highest threshold at which the share of held-out in-scope messages read right and
    not refused (``right``: read right before any threshold; ``confidence``: their best
    intent's probability) stays at least ``baseline - max_loss``. The threshold sits midway
    between the last confidence it refuses and the first it keeps, so the choice does not rest
    on one message; 0 when the accuracy is under that floor before any threshold (as when an
    out-of-scope class already refuses too many)."""
    n = len(confidence)
    if not n:
        return 0.0
    kept = np.sort(confidence[right])
    spare = int(np.floor((len(kept) / n - (baseline - max_loss)) * n + 1e-9))
    if spare <= 0 or not len(kept):
        return 0.0
    if spare >= len(kept):
        return float(kept[-1])
    return float((kept[spare - 1] + kept[spare]) / 2)


def in_scope_score(probs: Floats, top: int) -> Floats:
    """Each row's summed probability of its ``top`` best columns (``probs``: intents only)."""
    top = max(1, min(top, probs.shape[1]))
    if top == 1:
        return np.asarray(probs.max(axis=1), dtype=np.float64)
    best = -np.partition(-probs, top - 1, axis=1)[:, :top]
    return np.asarray(best.sum(axis=1), dtype=np.float64)

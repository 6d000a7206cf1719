"""A stratified tenth of the training texts held back from a fine-tuned network, on which a
model learns how far to trust the network beside its other readers (intents, sentiment).

The network is costly to train, so it is trained once, on the other nine tenths, rather than
once per fold of a cross-validation."""

from __future__ import annotations

import warnings

import numpy as np
import numpy.typing as npt
from sklearn.model_selection import StratifiedKFold

HELD_BACK_FOLDS = 10
"""One text in this many is held back from the network's training..."""
MIN_HELD_BACK_CLASS = 3
"""...of each class with at least this many examples."""


def held_back_tenth(target: npt.NDArray[np.intp], random_state: int) -> npt.NDArray[np.bool_]:
    """A stratified tenth of the rows: one fold of a stratified 10-fold split (a class with
    fewer than ten examples may have none held back); when no class has ten, a tenth of each
    class with at least three (at least one), drawn at random."""
    back = np.zeros(len(target), dtype=bool)
    if np.bincount(target).max() >= HELD_BACK_FOLDS:
        splitter = StratifiedKFold(HELD_BACK_FOLDS, shuffle=True, random_state=random_state)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "The least populated class", UserWarning)
            _, held = next(splitter.split(np.zeros(len(target)), target))
        back[held] = True
        return back
    generator = np.random.default_rng(random_state)
    for label in np.unique(target):
        rows = np.flatnonzero(target == label)
        if len(rows) >= MIN_HELD_BACK_CLASS:
            count = max(1, round(len(rows) / HELD_BACK_FOLDS))
            back[generator.choice(rows, size=count, replace=False)] = True
    return back

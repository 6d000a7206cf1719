"""The linear half of the blended propensity model: a logistic regression on splines.

Every numeric column is imputed (median), mapped to [0, 1] by its quantiles (so outliers and
skew do not move the knots) and expanded into cubic B-splines on fixed, evenly spaced knots of
that [0, 1] range: the model can learn a curved effect per column (churn falling steeply over
the first months of tenure, then flat) that a plain logistic regression cannot. Categorical
columns become one 0/1 column per category seen in at least :data:`MIN_CATEGORY_ROWS` training
rows (missing, unseen or rarer categories: all zero). The basis is then standardised and a
logistic regression fitted on it; its inverse regularisation ``C`` is chosen from :data:`C_GRID`
by the weighted log-loss on held-out rows (one warm-started fit per value: cheap, unlike an inner
cross-validation).

The pipeline reads the same matrix LightGBM reads (:meth:`crmind.predict.tabular.TabularModel.
encode`: numbers and category codes), so one encoding serves both halves of the blend.
:func:`spline_sources` names the source feature of each column of the standardised basis, so
explanations can add a feature's spline terms into one contribution.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Final

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    OneHotEncoder,
    QuantileTransformer,
    SplineTransformer,
    StandardScaler,
)

from crmind.errors import ModelDataError

N_KNOTS: Final = 5
DEGREE: Final = 3
C_GRID: Final = (0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
"""Inverse regularisation strengths tried; the held-out log-loss picks one."""
MAX_QUANTILES: Final = 1000
MIN_CATEGORY_ROWS: Final = 20
"""A category rarer than this in the training rows is treated as missing (no column): a
column for a handful of customers would only learn their labels (LightGBM, beside it, has its
own guard: ``min_data_per_group``)."""


def spline_basis(
    feature_names: Sequence[str],
    categories: Mapping[str, Sequence[str]],
    codes: np.ndarray,
    seed: int,
) -> Pipeline:
    """An unfitted transformer of the code matrix into the standardised basis, set up for the
    training rows ``codes`` (their count sets the quantiles; categories seen in fewer than
    :data:`MIN_CATEGORY_ROWS` of them get no column of their own)."""
    rows = codes.shape[0]
    numeric = [i for i, name in enumerate(feature_names) if name not in categories]
    categorical = [i for i, name in enumerate(feature_names) if name in categories]
    levels = {
        i: _frequent_levels(codes[:, i], len(categories[feature_names[i]])) for i in categorical
    }
    categorical = [i for i in categorical if len(levels[i])]
    branches: list[tuple[str, object, list[int]]] = []
    if numeric:
        knots = np.tile(np.linspace(0.0, 1.0, N_KNOTS)[:, None], (1, len(numeric)))
        branches.append(
            (
                "splines",
                Pipeline(
                    [
                        ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
                        (
                            "quantiles",
                            QuantileTransformer(
                                n_quantiles=max(2, min(MAX_QUANTILES, rows)), random_state=seed
                            ),
                        ),
                        ("basis", SplineTransformer(degree=DEGREE, knots=knots)),
                    ]
                ),
                numeric,
            )
        )
    if categorical:
        branches.append(
            (
                "one_hot",
                OneHotEncoder(
                    categories=[levels[i] for i in categorical],
                    handle_unknown="ignore",
                    sparse_output=False,
                ),
                categorical,
            )
        )
    if not branches:
        raise ModelDataError("X has no usable feature columns for the spline model")
    return Pipeline(
        [
            ("basis", ColumnTransformer(branches, remainder="drop", sparse_threshold=0.0)),
            ("scale", StandardScaler()),
        ]
    )


def spline_sources(basis: Pipeline, feature_names: Sequence[str]) -> list[str]:
    """The source feature of each column a fitted :func:`spline_basis` makes, in its order."""
    sources: list[str] = []
    for name, transformer, columns in basis[0].transformers_:
        if name == "splines":
            width = N_KNOTS + DEGREE - 1
            sources += [feature_names[i] for i in columns for _ in range(width)]
        elif name == "one_hot":
            sources += [
                feature_names[i]
                for i, kept in zip(columns, transformer.categories_, strict=True)
                for _ in range(len(kept))
            ]
    return sources


def _frequent_levels(codes: np.ndarray, size: int) -> np.ndarray:
    """The category codes seen in at least :data:`MIN_CATEGORY_ROWS` rows (as floats)."""
    seen = codes[~np.isnan(codes)].astype(np.int64)
    counts = np.bincount(seen, minlength=size)
    return np.flatnonzero(counts >= MIN_CATEGORY_ROWS).astype(np.float64)


def fit_spline_logistic(
    basis: Pipeline,
    design: np.ndarray,
    target: np.ndarray,
    weights: np.ndarray,
    train: np.ndarray,
    held: np.ndarray | None,
    c: float | None,
) -> tuple[Pipeline, float, dict[float, float]]:
    """``(pipeline, C, held-out log-loss per C)``: ``basis`` + a logistic regression fitted on
    ``train`` rows. With ``held``, each C of :data:`C_GRID` is tried, from the strongest
    regularisation up, each fit starting from the previous solution, and the one with the lowest
    weighted log-loss on ``held`` kept; without it, ``c`` is used (the refit on every row)."""
    expanded = basis.fit_transform(design[train])
    losses: dict[float, float] = {}
    if held is None:
        if c is None:
            raise ModelDataError("the spline model's C is unknown: fit with held-out rows first")
        logistic = _logistic(c).fit(expanded, target[train], sample_weight=weights[train])
        return Pipeline([*basis.steps, ("logistic", logistic)]), c, losses
    held_basis = basis.transform(design[held])
    path = _logistic(C_GRID[0]).set_params(warm_start=True)
    best: LogisticRegression | None = None
    for value in sorted(C_GRID):
        path.set_params(C=value).fit(expanded, target[train], sample_weight=weights[train])
        losses[value] = float(
            log_loss(
                target[held],
                path.predict_proba(held_basis)[:, 1],
                sample_weight=weights[held],
                labels=[0, 1],
            )
        )
        if best is None or losses[value] < losses[best.C]:
            best = copy.deepcopy(path).set_params(warm_start=False)
    assert best is not None
    return Pipeline([*basis.steps, ("logistic", best)]), float(best.C), losses


def _logistic(c: float) -> LogisticRegression:
    return LogisticRegression(C=c, max_iter=5000)

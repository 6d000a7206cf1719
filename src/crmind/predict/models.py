"""Propensity models (churn, purchase): LightGBM, logistic regression or their blend, calibrated.

:class:`PropensityModel` takes a tabular polars frame of customer features and a 0/1 target,
encoded as :mod:`crmind.predict.tabular` describes (categories native to LightGBM). The logistic
model one-hot encodes the categories, imputes medians and standardises inside a scikit-learn
pipeline. The blend (``model="blend"``) averages, on the log-odds scale, LightGBM's raw score and
that of a logistic regression on splines of the numeric columns (:mod:`crmind.predict.splines`):
the trees find interactions, the splines smooth curved main effects the shallow trees cut into
steps.

Fitting holds out a stratified ``validation_fraction`` of the rows. The raw learner is fitted on
the rest (LightGBM early-stops on the held-out part); the held-out part then fits the calibrator.
With ``calibration="auto"`` isotonic, sigmoid (Platt) and no calibration are compared by Brier
score on cross-fitted (out-of-fold) predictions within the held-out part — an in-sample comparison
would always favour isotonic — and the winner is refitted on the whole held-out part.
"""

from __future__ import annotations

from typing import Any, Literal, Self, TypeAlias

import numpy as np
import polars as pl
from scipy.special import expit
from sklearn.impute import SimpleImputer
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from crmind.errors import ConfigurationError, ModelDataError
from crmind.predict.splines import fit_spline_logistic, spline_basis, spline_sources
from crmind.predict.tabular import TabularModel

ModelKind = Literal["lightgbm", "logistic", "blend"]
MODEL_KINDS: tuple[ModelKind, ...] = ("lightgbm", "logistic", "blend")
Calibration = Literal["auto", "isotonic", "sigmoid", "none"]
Calibrator: TypeAlias = Any  # an IsotonicRegression, a (Platt) LogisticRegression or None

MIN_ROWS = 20
_TIE_BREAK = 1e-6
_CALIBRATIONS = ("isotonic", "sigmoid", "none")
BLEND_WEIGHT = 0.5
"""LightGBM's share of the blend's raw score (log-odds); the spline model has the rest."""


class PropensityModel(TabularModel):
    """Calibrated probability that a customer belongs to class 1 (churns, buys, ...).

    Learned attributes: ``feature_names_``, ``categorical_`` (the categorical feature names),
    ``categories_`` (vocabulary per categorical column), ``input_features_`` (the source feature
    of each column of :meth:`encode`), ``booster_`` (lightgbm) or ``pipeline_`` (logistic),
    ``best_iteration_`` (lightgbm, else None), ``calibration_``, ``calibrator_`` and
    ``validation_metrics_`` (Brier scores on the held-out part). The blend has both a
    ``booster_`` and a ``pipeline_`` (the spline logistic regression), ``blend_weight_`` (the
    booster's share of the raw score, :data:`BLEND_WEIGHT`), ``linear_inputs_`` (the source
    feature of each column the logistic regression sees) and ``spline_c_`` (its chosen C).

    The defaults are shallow, regularised trees (3 leaves, L2 5, half the features per tree,
    learning rate 0.03, early stopping), then a refit on every row: on tables of a few thousand
    customers (IBM Telco 5-fold, the Online Retail time split; docs/evaluation.md) deeper trees
    gained nothing and over-fitted.
    """

    output_name = "probability"

    def __init__(
        self,
        *,
        model: ModelKind = "lightgbm",
        calibration: Calibration = "auto",
        n_estimators: int = 3000,
        learning_rate: float = 0.03,
        num_leaves: int = 3,
        min_child_samples: int = 20,
        feature_fraction: float = 0.5,
        reg_lambda: float = 5.0,
        early_stopping_rounds: int = 50,
        validation_fraction: float = 0.2,
        class_weight: Literal["balanced"] | None = "balanced",
        n_jobs: int = 1,
        refit: bool = True,
        random_state: int = 0,
    ) -> None:
        self.model = model
        self.calibration = calibration
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.feature_fraction = feature_fraction
        self.reg_lambda = reg_lambda
        self.early_stopping_rounds = early_stopping_rounds
        self.validation_fraction = validation_fraction
        self.class_weight = class_weight
        self.n_jobs = n_jobs
        self.refit = refit
        self.random_state = random_state

    # ------------------------------------------------------------------ fit
    def fit(self, X: pl.DataFrame, y: pl.Series | np.ndarray) -> Self:  # noqa: N803
        """Learn the encoding, the raw model and the calibrator; returns ``self``."""
        self._check_options()
        if X.width == 0:
            raise ModelDataError("X has no feature columns")
        target = _target(y, X.height)
        self._learn_encoding(X)
        codes = self._codes(X)
        rows = np.arange(X.height)
        train, held = train_test_split(
            rows,
            test_size=self.validation_fraction,
            stratify=target,
            random_state=self.random_state,
        )
        design = self._expand(codes)
        weights = _class_weights(target, self.class_weight)
        if self.model == "logistic":
            self._fit_logistic(design, target, weights, train)
        else:
            self._fit_lightgbm(design, target, weights, train, held)
        if self.model == "blend":
            self._fit_splines(design, target, weights, train, held)
        self._fit_calibration(self._raw(design[held]), target[held])
        if self.refit:
            # the number of rounds, C and the calibration were chosen on the held-out rows;
            # the final raw model then learns from every row (calibration maps are monotone, so
            # the ranking, and with it ROC-AUC, comes from the refitted model)
            if self.model == "logistic":
                self._fit_logistic(design, target, weights, rows)
            else:
                self._fit_lightgbm(design, target, weights, rows, None)
            if self.model == "blend":
                self._fit_splines(design, target, weights, rows, None)
        return self

    def _check_options(self) -> None:
        if self.model not in MODEL_KINDS:
            raise ConfigurationError(
                f"model={self.model!r}: expected 'lightgbm', 'logistic' or 'blend'"
            )
        if self.calibration not in ("auto", *_CALIBRATIONS):
            raise ConfigurationError(
                f"calibration={self.calibration!r}: expected 'auto', 'isotonic', 'sigmoid' or "
                "'none'"
            )
        if self.class_weight not in ("balanced", None):
            raise ConfigurationError(
                f"class_weight={self.class_weight!r}: expected 'balanced' or None"
            )
        if not 0.0 < self.validation_fraction < 1.0:
            raise ConfigurationError(
                f"validation_fraction={self.validation_fraction!r}: expected a number in (0, 1)"
            )
        if self.n_estimators < 1 or self.early_stopping_rounds < 1:
            raise ConfigurationError("n_estimators and early_stopping_rounds must be at least 1")

    @property
    def one_hot(self) -> bool:
        """The logistic model sees one-hot categories; LightGBM sees codes."""
        return self.model == "logistic"

    def _fit_lightgbm(
        self,
        design: np.ndarray,
        target: np.ndarray,
        weights: np.ndarray,
        train: np.ndarray,
        held: np.ndarray | None,
    ) -> None:
        """Train on ``train`` rows with early stopping on ``held``; without ``held``, train for
        the ``best_iteration_`` rounds found before (the refit on every row)."""
        self._train_booster(
            {"objective": "binary", "metric": "binary_logloss"},
            design,
            target,
            train,
            held,
            weight=weights,
        )
        self.pipeline_: Pipeline | None = None
        self.blend_weight_: float | None = None

    def _fit_logistic(
        self, design: np.ndarray, target: np.ndarray, weights: np.ndarray, train: np.ndarray
    ) -> None:
        if design.shape[1] == 0:
            raise ModelDataError("X has no usable feature columns (every column is empty)")
        pipeline = Pipeline(
            [
                ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
                ("scale", StandardScaler()),
                ("logistic", LogisticRegression(max_iter=2000)),
            ]
        )
        pipeline.fit(design[train], target[train], logistic__sample_weight=weights[train])
        self.booster_ = None
        self.pipeline_ = pipeline
        self.best_iteration_ = None
        self.linear_inputs_: list[str] = list(self.input_features_)

    def _fit_splines(
        self,
        design: np.ndarray,
        target: np.ndarray,
        weights: np.ndarray,
        train: np.ndarray,
        held: np.ndarray | None,
    ) -> None:
        """The blend's second half, beside the booster: choose C on ``held`` (then fit on
        ``train``), or, without ``held``, refit on ``train`` with the C chosen before."""
        basis = spline_basis(
            self.feature_names_, self.categories_, design[train], seed=self.random_state
        )
        pipeline, c, losses = fit_spline_logistic(
            basis, design, target, weights, train, held, getattr(self, "spline_c_", None)
        )
        self.pipeline_ = pipeline
        self.blend_weight_ = BLEND_WEIGHT
        self.linear_inputs_ = spline_sources(pipeline[:-1], self.feature_names_)
        self.spline_c_: float = c
        if losses:
            self.spline_losses_: dict[float, float] = losses

    def _fit_calibration(self, raw: np.ndarray, target: np.ndarray) -> None:
        uncalibrated = float(brier_score_loss(target, expit(raw)))
        metrics = {"brier_uncalibrated": uncalibrated}
        if self.calibration == "auto":
            scores = _cross_fitted_briers(raw, target, self.random_state)
            metrics.update({f"brier_cv_{name}": value for name, value in scores.items()})
            chosen = min(scores, key=lambda name: scores[name]) if scores else "sigmoid"
        else:
            chosen = self.calibration
        calibrator = _fit_calibrator(chosen, raw, target)
        metrics["brier_calibrated"] = float(
            brier_score_loss(target, _apply_calibrator(calibrator, raw))
        )
        self.calibration_: str = chosen
        self.calibrator_: Calibrator = calibrator
        self.validation_metrics_: dict[str, float] = metrics

    # -------------------------------------------------------------- predict
    def predict_proba(self, X: pl.DataFrame) -> np.ndarray:  # noqa: N803
        """Calibrated probability of class 1, one per row of ``X``."""
        self._check_fitted("feature_names_", "calibration_")
        return _apply_calibrator(self.calibrator_, self.raw_score(X))

    def predict_output(self, X: pl.DataFrame) -> np.ndarray:  # noqa: N803
        """The calibrated probability (see :meth:`predict_proba`)."""
        return self.predict_proba(X)


def _target(y: pl.Series | np.ndarray, rows: int) -> np.ndarray:
    values = y.to_numpy() if isinstance(y, pl.Series) else np.asarray(y)
    if values.ndim != 1:
        raise ModelDataError(f"y must be one-dimensional, got shape {values.shape}")
    if len(values) != rows:
        raise ModelDataError(f"X has {rows} rows but y has {len(values)}")
    if rows < MIN_ROWS:
        raise ModelDataError(f"a propensity model needs at least {MIN_ROWS} rows, got {rows}")
    if values.dtype.kind not in "biuf":
        raise ModelDataError(f"y must hold 0/1 or booleans, got dtype {values.dtype}")
    target = values.astype(np.float64)
    if np.isnan(target).any() or not np.isin(target, (0.0, 1.0)).all():
        raise ModelDataError("y must hold only 0 and 1 (or False / True), without nulls")
    counts = np.bincount(target.astype(np.int64), minlength=2)
    if counts.min() == 0:
        only = int(np.argmax(counts))
        raise ModelDataError(f"y holds only class {only}: both 0 and 1 are needed")
    if counts.min() < 2:
        raise ModelDataError(
            f"y has a single row of class {int(np.argmin(counts))}: at least 2 of each are needed"
        )
    return target.astype(np.int64)


def _class_weights(target: np.ndarray, class_weight: str | None) -> np.ndarray:
    if class_weight is None:
        return np.ones(len(target))
    counts = np.bincount(target, minlength=2).astype(np.float64)
    return np.asarray((len(target) / (2.0 * counts))[target], dtype=np.float64)


def _fit_calibrator(name: str, raw: np.ndarray, target: np.ndarray) -> Calibrator:
    if name == "isotonic":
        return IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(raw, target)
    if name == "sigmoid":
        return LogisticRegression(C=1e6, max_iter=1000).fit(raw[:, None], target)
    return None


def _apply_calibrator(calibrator: Calibrator, raw: np.ndarray) -> np.ndarray:
    if calibrator is None:
        return np.asarray(expit(raw), dtype=np.float64)
    if isinstance(calibrator, IsotonicRegression):
        # isotonic steps tie many customers; a negligible monotone term keeps the raw order
        steps = np.asarray(calibrator.predict(raw), dtype=np.float64)
        return np.asarray(np.clip(steps + _TIE_BREAK * (expit(raw) - 0.5), 0.0, 1.0))
    return np.asarray(calibrator.predict_proba(raw[:, None])[:, 1], dtype=np.float64)


def _cross_fitted_briers(raw: np.ndarray, target: np.ndarray, seed: int) -> dict[str, float]:
    """Out-of-fold Brier score of each calibration within the held-out part ({} if too small)."""
    folds = min(5, int(np.bincount(target, minlength=2).min()))
    if folds < 2:
        return {}
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    predictions = {name: np.empty(len(raw)) for name in _CALIBRATIONS}
    for fit_rows, score_rows in splitter.split(raw[:, None], target):
        for name in _CALIBRATIONS:
            calibrator = _fit_calibrator(name, raw[fit_rows], target[fit_rows])
            predictions[name][score_rows] = _apply_calibrator(calibrator, raw[score_rows])
    return {name: float(brier_score_loss(target, p)) for name, p in predictions.items()}

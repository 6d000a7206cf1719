"""How much a customer will spend in the next window: a LightGBM regression on a Tweedie loss.

Next-window spend is mostly zero (customers who do not come back) with a long right tail; the
Tweedie loss (a compound Poisson-gamma, variance power 1.2 by default, near Poisson) fits that
shape and predicts the *mean* spend through a log link. The raw score is therefore the log of the
expected spend, so per-customer explanations (:mod:`crmind.predict.explain`) are additive in
log-spend: a driver of +0.69 doubles the expectation.

Trees cannot extrapolate: alone they would cap the biggest customers at the largest leaf value.
So by default (``start_from_rate=True``) every customer starts from the obvious rule — their past
daily spending rate times the window (:func:`crmind.predict.evaluate_spend.spend_rate_rule`, at
least ``rate_floor``) — as a fixed offset in log-spend, and the trees learn how far to move from
it. The explanations then say why a customer will spend more or less than their past rate.

Negative labels (a window with more refunds than purchases) are counted as no spend: the model
predicts what the customer will buy, not what they will return. Fitting holds out a random
``validation_fraction`` of the rows for early stopping, then (``refit=True``) trains for the
rounds found on every row, as :class:`crmind.predict.models.PropensityModel` does.
"""

from __future__ import annotations

from typing import Self

import numpy as np
import polars as pl
from sklearn.model_selection import train_test_split

from crmind.analytics.profile import MONETARY_TOTAL, TENURE_DAYS
from crmind.errors import ConfigurationError, ModelDataError
from crmind.predict.evaluate_spend import spend_rate_rule
from crmind.predict.tabular import TabularModel

MIN_ROWS = 20


class SpendModel(TabularModel):
    """Expected spend of a customer in the next window (see the module docstring).

    Learned attributes: those of :class:`crmind.predict.tabular.TabularModel` and
    ``negative_labels_`` (how many labels below zero were counted as no spend).
    """

    output_name = "expected_spend"

    def __init__(
        self,
        *,
        window_days: int = 90,
        start_from_rate: bool = True,
        rate_floor: float = 1.0,
        tweedie_variance_power: float = 1.2,
        n_estimators: int = 3000,
        learning_rate: float = 0.03,
        num_leaves: int = 7,
        min_child_samples: int = 20,
        feature_fraction: float = 0.8,
        reg_lambda: float = 5.0,
        early_stopping_rounds: int = 50,
        validation_fraction: float = 0.2,
        n_jobs: int = 1,
        refit: bool = True,
        random_state: int = 0,
    ) -> None:
        self.window_days = window_days
        self.start_from_rate = start_from_rate
        self.rate_floor = rate_floor
        self.tweedie_variance_power = tweedie_variance_power
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.feature_fraction = feature_fraction
        self.reg_lambda = reg_lambda
        self.early_stopping_rounds = early_stopping_rounds
        self.validation_fraction = validation_fraction
        self.n_jobs = n_jobs
        self.refit = refit
        self.random_state = random_state

    def fit(self, X: pl.DataFrame, y: pl.Series | np.ndarray) -> Self:  # noqa: N803
        """Learn the encoding and the booster; returns ``self``."""
        self._check_options()
        if X.width == 0:
            raise ModelDataError("X has no feature columns")
        target = _spend_target(y, X.height)
        self.negative_labels_: int = int((target < 0).sum())
        target = np.clip(target, 0.0, None)
        if not (target > 0).any():
            raise ModelDataError("every spend label is zero: there is nothing to learn")
        self._learn_encoding(X)
        design = self._codes(X)
        start = self.offset(X)
        rows = np.arange(X.height)
        train, held = train_test_split(
            rows, test_size=self.validation_fraction, random_state=self.random_state
        )
        self._fit_booster(design, target, start, train, held)
        if self.refit:
            self._fit_booster(design, target, start, rows, None)
        self.pipeline_ = None
        return self

    def offset(self, X: pl.DataFrame) -> np.ndarray:  # noqa: N803
        """Log of the past-rate spend each customer starts from (0 without ``start_from_rate``)."""
        if not self.start_from_rate:
            return np.zeros(X.height)
        missing = [name for name in (MONETARY_TOTAL, TENURE_DAYS) if name not in X.columns]
        if missing:
            raise ModelDataError(
                f"X lacks {', '.join(missing)}, which start_from_rate needs to start from the "
                "past spending rate (or use start_from_rate=False)"
            )
        rate = spend_rate_rule(X, self.window_days)
        return np.asarray(np.log(np.maximum(rate, self.rate_floor)), dtype=np.float64)

    def predict(self, X: pl.DataFrame) -> np.ndarray:  # noqa: N803
        """Expected spend per row of ``X`` (never negative)."""
        self._check_fitted("feature_names_", "booster_")
        return np.asarray(np.exp(self.raw_score(X)), dtype=np.float64)

    def predict_output(self, X: pl.DataFrame) -> np.ndarray:  # noqa: N803
        """The expected spend (see :meth:`predict`)."""
        return self.predict(X)

    def _check_options(self) -> None:
        if not 1.0 < self.tweedie_variance_power < 2.0:
            raise ConfigurationError(
                f"tweedie_variance_power={self.tweedie_variance_power!r}: expected a number in "
                "(1, 2), between Poisson (1) and gamma (2)"
            )
        if not 0.0 < self.validation_fraction < 1.0:
            raise ConfigurationError(
                f"validation_fraction={self.validation_fraction!r}: expected a number in (0, 1)"
            )
        if self.window_days < 1 or not self.rate_floor > 0:
            raise ConfigurationError(
                f"window_days={self.window_days!r} and rate_floor={self.rate_floor!r}: expected "
                "at least 1 day and an amount above 0"
            )
        if self.n_estimators < 1 or self.early_stopping_rounds < 1:
            raise ConfigurationError("n_estimators and early_stopping_rounds must be at least 1")

    def _fit_booster(
        self,
        design: np.ndarray,
        target: np.ndarray,
        start: np.ndarray,
        train: np.ndarray,
        held: np.ndarray | None,
    ) -> None:
        """Train on ``train`` rows with early stopping on ``held``; without ``held``, train for
        the ``best_iteration_`` rounds found before (the refit on every row)."""
        self._train_booster(
            {
                "objective": "tweedie",
                "tweedie_variance_power": self.tweedie_variance_power,
                "metric": "tweedie",
            },
            design,
            target,
            train,
            held,
            init_score=start,
        )


def _spend_target(y: pl.Series | np.ndarray, rows: int) -> np.ndarray:
    values = y.to_numpy() if isinstance(y, pl.Series) else np.asarray(y)
    if values.ndim != 1:
        raise ModelDataError(f"y must be one-dimensional, got shape {values.shape}")
    if len(values) != rows:
        raise ModelDataError(f"X has {rows} rows but y has {len(values)}")
    if rows < MIN_ROWS:
        raise ModelDataError(f"a spend model needs at least {MIN_ROWS} rows, got {rows}")
    if values.dtype.kind not in "iuf":
        raise ModelDataError(f"y must hold amounts (numbers), got dtype {values.dtype}")
    target = values.astype(np.float64)
    if not np.isfinite(target).all():
        raise ModelDataError("y must hold finite amounts, without nulls, NaN or infinity")
    return target

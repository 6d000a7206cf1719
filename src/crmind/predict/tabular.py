"""The column encoding shared by crmind's tabular models (propensity, spend).

A :class:`TabularModel` takes a polars frame of customer features. Numeric and boolean columns are
used as floats (null, NaN and ±infinity -> missing); String / Categorical / Enum columns become
integer codes over a vocabulary learned at fit (``categories_``), handed to LightGBM as native
categoricals; a category unseen at fit is treated as missing at predict time. A model that wants
one-hot columns (the logistic baseline) sets :attr:`TabularModel.one_hot`.

Subclasses fit a LightGBM ``booster_`` (or a scikit-learn ``pipeline_``) on :meth:`encode`'s
matrix and say what their output is: :meth:`TabularModel.predict_output` under the name
:attr:`TabularModel.output_name`, on top of :meth:`TabularModel.raw_score`, the booster's raw score
(log-odds for a probability, log of the mean for a spend). A model may start every row from a
fixed :meth:`TabularModel.offset` (a prior from a simple rule) that the learner corrects.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

import lightgbm as lgb
import numpy as np
import polars as pl
from sklearn.pipeline import Pipeline

from crmind.errors import ModelDataError
from crmind.estimator import Estimator

logger = logging.getLogger(__name__)

CHUNK_ROWS = 100_000
"""Rows a linear pipeline transforms at once (its basis can be ten times wider than the input)."""


class TabularModel(Estimator):
    """Base of the models that learn from a frame of features (see the module docstring).

    Learned attributes: ``feature_names_``, ``categorical_`` (the categorical feature names),
    ``categories_`` (vocabulary per categorical column), ``input_features_`` (the source feature
    of each column of :meth:`encode`), ``booster_`` or ``pipeline_`` and ``best_iteration_``.
    """

    output_name: ClassVar[str] = "prediction"
    """The name of :meth:`predict_output`'s column in explanations."""

    booster_: lgb.Booster | None
    pipeline_: Pipeline | None
    best_iteration_: int | None

    # tree hyperparameters every subclass takes (read by _train_booster)
    learning_rate: float
    num_leaves: int
    min_child_samples: int
    feature_fraction: float
    reg_lambda: float
    n_estimators: int
    early_stopping_rounds: int
    n_jobs: int
    random_state: int

    @property
    def one_hot(self) -> bool:
        """Whether categorical columns are expanded to one 0/1 column per category."""
        return False

    def predict_output(self, X: pl.DataFrame) -> np.ndarray:  # noqa: N803
        """The model's prediction per row (a probability, an expected spend, ...)."""
        raise NotImplementedError

    def raw_score(self, X: pl.DataFrame) -> np.ndarray:  # noqa: N803
        """The raw learner's score plus the :meth:`offset`, one per row of ``X``."""
        return np.asarray(self._raw(self.encode(X)) + self.offset(X), dtype=np.float64)

    def offset(self, X: pl.DataFrame) -> np.ndarray:  # noqa: N803
        """A fixed per-row start of the raw score that the learner corrects (default 0)."""
        return np.zeros(X.height)

    def encode(self, X: pl.DataFrame) -> np.ndarray:  # noqa: N803
        """The float matrix the raw learner sees (one column per ``input_features_``)."""
        self._check_fitted("feature_names_")
        missing = [name for name in self.feature_names_ if name not in X.columns]
        if missing:
            raise ModelDataError(f"X lacks the feature columns {missing} the model was fitted on")
        return self._expand(self._codes(X.select(self.feature_names_)))

    def _train_booster(
        self,
        objective: dict[str, Any],
        design: np.ndarray,
        target: np.ndarray,
        train: np.ndarray,
        held: np.ndarray | None,
        *,
        weight: np.ndarray | None = None,
        init_score: np.ndarray | None = None,
    ) -> None:
        """Set ``booster_``: LightGBM with ``objective`` (objective and metric parameters) and the
        subclass's tree hyperparameters, trained on ``train`` rows with early stopping on ``held``
        (setting ``best_iteration_``); without ``held``, for the ``best_iteration_`` rounds found
        before (the refit on every row). ``weight`` and ``init_score`` are per-row, optional."""
        params: dict[str, Any] = {
            **objective,
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "min_child_samples": self.min_child_samples,
            "feature_fraction": self.feature_fraction,
            "lambda_l2": self.reg_lambda,
            "seed": self.random_state,
            "deterministic": True,
            "force_col_wise": True,
            "num_threads": self.n_jobs,
            "verbosity": -1,
        }
        n_estimators = self.n_estimators

        def rows_of(values: np.ndarray | None, rows: np.ndarray) -> np.ndarray | None:
            return None if values is None else values[rows]

        categorical = [self.feature_names_.index(name) for name in self.categorical_]
        train_set = lgb.Dataset(
            design[train],
            label=target[train],
            weight=rows_of(weight, train),
            init_score=rows_of(init_score, train),
            feature_name=self.feature_names_,
            categorical_feature=categorical,
            free_raw_data=True,
        )
        if held is None:
            rounds = getattr(self, "best_iteration_", None) or n_estimators
            self.booster_ = lgb.train(params, train_set, num_boost_round=rounds)
            return
        valid_set = lgb.Dataset(
            design[held],
            label=target[held],
            weight=rows_of(weight, held),
            init_score=rows_of(init_score, held),
            reference=train_set,
        )
        booster = lgb.train(
            params,
            train_set,
            num_boost_round=n_estimators,
            valid_sets=[valid_set],
            callbacks=[lgb.early_stopping(self.early_stopping_rounds, verbose=False)],
        )
        self.booster_ = booster
        best = int(booster.best_iteration)
        self.best_iteration_ = best if best > 0 else booster.current_iteration()
        logger.debug("lightgbm stopped at %s of %s rounds", best, n_estimators)

    def _learn_encoding(self, X: pl.DataFrame) -> None:  # noqa: N803
        if X.width == 0:
            raise ModelDataError("X has no feature columns")
        categories: dict[str, list[str]] = {}
        for name, dtype in X.schema.items():
            if is_categorical(dtype):
                values = X.get_column(name).cast(pl.String).drop_nulls().unique().sort()
                categories[name] = values.to_list()
            elif not is_numeric(dtype):
                raise ModelDataError(
                    f"column {name!r} has dtype {dtype}, which a {type(self).__name__} cannot "
                    "use: expected numeric, boolean, String or Categorical"
                )
        self.feature_names_: list[str] = list(X.columns)
        self.categorical_: list[str] = list(categories)
        self.categories_: dict[str, list[str]] = categories
        inputs: list[str] = []
        for name in self.feature_names_:
            width = len(categories[name]) if self.one_hot and name in categories else 1
            inputs.extend([name] * width)
        self.input_features_: list[str] = inputs

    def blend_shares(self) -> tuple[float, float]:
        """The shares of ``booster_`` and ``pipeline_`` in the raw score: ``(1, 0)`` or
        ``(0, 1)`` for a single learner; a blend (both fitted) has ``blend_weight_`` for the
        booster and the rest for the pipeline."""
        if self.booster_ is not None and self.pipeline_ is not None:
            weight = float(getattr(self, "blend_weight_", None) or 0.5)
            return weight, 1.0 - weight
        return (1.0, 0.0) if self.booster_ is not None else (0.0, 1.0)

    def linear_sources(self) -> list[str]:
        """The source feature of each column ``pipeline_``'s last step (a linear model) sees."""
        return list(getattr(self, "linear_inputs_", None) or self.input_features_)

    def _raw(self, design: np.ndarray) -> np.ndarray:
        tree_share, linear_share = self.blend_shares()
        scores = np.zeros(design.shape[0], dtype=np.float64)
        if self.booster_ is not None:
            tree = self.booster_.predict(design, num_iteration=self.best_iteration_, raw_score=True)
            scores += tree_share * np.asarray(tree, dtype=np.float64)
        if self.pipeline_ is not None:
            pipeline = self.pipeline_
            linear = np.concatenate(
                [pipeline.decision_function(design[rows]) for rows in row_chunks(len(design))]
            )
            scores += linear_share * linear
        return scores

    def _codes(self, X: pl.DataFrame) -> np.ndarray:  # noqa: N803
        """One float column per feature: numbers, or category codes (null / unseen -> NaN)."""
        columns = []
        for name in self.feature_names_:
            column = X.get_column(name)
            if name in self.categories_:
                vocabulary = self.categories_[name]
                column = column.cast(pl.String).replace_strict(
                    vocabulary,
                    list(map(float, range(len(vocabulary)))),
                    default=None,
                    return_dtype=pl.Float64,
                )
            elif not is_numeric(column.dtype):
                raise ModelDataError(
                    f"column {name!r} has dtype {column.dtype}; the model was fitted on a number"
                )
            values = column.cast(pl.Float64).fill_nan(None).to_numpy(allow_copy=True)
            # a ratio over zero is as unknown as a blank
            columns.append(np.where(np.isinf(values), np.nan, values))
        return np.column_stack(columns).astype(np.float64) if columns else np.empty((X.height, 0))

    def _expand(self, codes: np.ndarray) -> np.ndarray:
        """Codes as the raw learner wants them: as they are, or one-hot (:attr:`one_hot`)."""
        if not self.one_hot:
            return codes
        blocks = []
        for index, name in enumerate(self.feature_names_):
            column = codes[:, index]
            if name in self.categories_:
                levels = np.arange(len(self.categories_[name]), dtype=np.float64)
                blocks.append((column[:, None] == levels[None, :]).astype(np.float64))
            else:
                blocks.append(column[:, None])
        return np.hstack(blocks) if blocks else np.empty((codes.shape[0], 0))


def row_chunks(rows: int, size: int = CHUNK_ROWS) -> list[slice]:
    """Slices of at most ``size`` rows covering ``rows`` (at least one, possibly empty): the
    linear pipeline expands each chunk into its basis, so memory stays bounded at any size."""
    return [slice(start, start + size) for start in range(0, max(rows, 1), size)]


def is_categorical(dtype: pl.DataType) -> bool:
    """Whether a column of ``dtype`` is encoded as categories."""
    return isinstance(dtype, pl.String | pl.Categorical | pl.Enum)


def is_numeric(dtype: pl.DataType) -> bool:
    """Whether a column of ``dtype`` is used as a number."""
    return dtype.is_numeric() or isinstance(dtype, pl.Boolean | pl.Null)

"""TabularModel's encoding, through both propensity learners: infinities, dtypes, offsets."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from crmind.predict.models import PropensityModel
from crmind.predict.tabular import CHUNK_ROWS, is_categorical, is_numeric, row_chunks
from tests.predict.test_models import X_SMALL, Y_SMALL


@pytest.mark.parametrize("kind", ["lightgbm", "logistic", "blend"])
def test_infinite_values_are_read_as_missing(kind: str) -> None:
    ratio = pl.Series("orders_per_recency", X_SMALL["order_count"] / X_SMALL["recency_days"])
    with_inf = X_SMALL.with_columns(
        pl.when(pl.int_range(pl.len()) % 5 == 0)
        .then(float("inf"))
        .otherwise(ratio)
        .alias("orders_per_recency")
    )
    with_null = with_inf.with_columns(
        pl.when(pl.col("orders_per_recency").is_infinite())
        .then(None)
        .otherwise(pl.col("orders_per_recency"))
        .alias("orders_per_recency")
    )
    model = PropensityModel(model=kind, n_estimators=50).fit(with_inf, Y_SMALL)  # type: ignore[arg-type]
    assert np.isfinite(model.predict_proba(with_inf)).all()
    np.testing.assert_allclose(model.predict_proba(with_inf), model.predict_proba(with_null))


def test_the_encoding_keeps_one_input_per_one_hot_column() -> None:
    logistic = PropensityModel(model="logistic", n_estimators=50).fit(X_SMALL, Y_SMALL)
    booster = PropensityModel(n_estimators=50).fit(X_SMALL, Y_SMALL)
    plans = len(logistic.categories_["plan"])
    assert logistic.input_features_.count("plan") == plans == 3
    assert booster.input_features_ == booster.feature_names_
    assert logistic.encode(X_SMALL).shape == (X_SMALL.height, X_SMALL.width - 1 + plans)


def test_each_learner_has_its_share_of_the_raw_score() -> None:
    shares = {
        kind: PropensityModel(model=kind, n_estimators=20).fit(X_SMALL, Y_SMALL).blend_shares()
        for kind in ("lightgbm", "logistic", "blend")
    }
    assert shares == {"lightgbm": (1.0, 0.0), "logistic": (0.0, 1.0), "blend": (0.5, 0.5)}


def test_the_linear_sources_name_the_feature_behind_each_column() -> None:
    logistic = PropensityModel(model="logistic", n_estimators=20).fit(X_SMALL, Y_SMALL)
    blend = PropensityModel(model="blend", n_estimators=20).fit(X_SMALL, Y_SMALL)
    assert logistic.linear_sources() == logistic.input_features_
    assert set(blend.linear_sources()) == set(X_SMALL.columns)
    assert blend.pipeline_ is not None
    assert len(blend.linear_sources()) == blend.pipeline_[-1].coef_.shape[1]


def test_row_chunks_cover_every_row_once() -> None:
    rows = 2 * CHUNK_ROWS + 7
    covered = np.concatenate([np.arange(rows)[part] for part in row_chunks(rows)])
    np.testing.assert_array_equal(covered, np.arange(rows))
    assert len(row_chunks(rows)) == 3
    assert row_chunks(0) == [slice(0, CHUNK_ROWS)]


def test_a_blend_scores_in_chunks_as_in_one_piece() -> None:
    blend = PropensityModel(model="blend", n_estimators=20).fit(X_SMALL, Y_SMALL)
    rows = pl.concat([X_SMALL] * (CHUNK_ROWS // X_SMALL.height + 1))
    scores = blend.raw_score(rows)
    np.testing.assert_allclose(scores[: X_SMALL.height], blend.raw_score(X_SMALL))
    np.testing.assert_allclose(scores[-X_SMALL.height :], blend.raw_score(X_SMALL))


def test_propensity_models_have_no_offset() -> None:
    model = PropensityModel(n_estimators=50).fit(X_SMALL, Y_SMALL)
    np.testing.assert_array_equal(model.offset(X_SMALL), np.zeros(X_SMALL.height))


@pytest.mark.parametrize(
    ("dtype", "categorical", "numeric"),
    [
        (pl.String(), True, False),
        (pl.Categorical(), True, False),
        (pl.Int32(), False, True),
        (pl.Boolean(), False, True),
        (pl.Date(), False, False),
    ],
)
def test_dtype_classes(dtype: pl.DataType, categorical: bool, numeric: bool) -> None:
    assert is_categorical(dtype) is categorical
    assert is_numeric(dtype) is numeric

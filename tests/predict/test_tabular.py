"""TabularModel's encoding, through both propensity learners: infinities, dtypes, offsets."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from crmind.predict.models import PropensityModel
from crmind.predict.tabular import is_categorical, is_numeric
from tests.predict.test_models import X_SMALL, Y_SMALL


@pytest.mark.parametrize("kind", ["lightgbm", "logistic"])
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

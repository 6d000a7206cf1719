"""Explanations: contributions add up to the raw score; drivers, text and importance."""

from __future__ import annotations

import copy

import numpy as np
import polars as pl
import pytest

from crmind.errors import ModelDataError, NotFittedError
from crmind.predict.explain import contributions, explain, global_importance
from crmind.predict.models import PropensityModel
from tests.predict.test_models import X_SMALL, Y_SMALL

IDS = [f"c{row}" for row in range(X_SMALL.height)]


@pytest.fixture(scope="module", params=["lightgbm", "logistic", "blend"])
def model(request: pytest.FixtureRequest) -> PropensityModel:
    return PropensityModel(model=request.param, n_estimators=50).fit(X_SMALL, Y_SMALL)


def test_base_value_plus_contributions_equals_the_raw_score(model: PropensityModel) -> None:
    values, base = contributions(model, X_SMALL)
    assert values.shape == (X_SMALL.height, X_SMALL.width)
    np.testing.assert_allclose(base + values.sum(axis=1), model.raw_score(X_SMALL), atol=1e-6)


def test_a_blends_contributions_are_its_learners_weighted_by_their_shares() -> None:
    blend = PropensityModel(model="blend", n_estimators=50).fit(X_SMALL, Y_SMALL)
    trees, splines = copy.deepcopy(blend), copy.deepcopy(blend)
    trees.pipeline_ = None
    splines.booster_ = None
    tree_values, tree_base = contributions(trees, X_SMALL)
    spline_values, spline_base = contributions(splines, X_SMALL)
    values, base = contributions(blend, X_SMALL)
    np.testing.assert_allclose(values, 0.5 * tree_values + 0.5 * spline_values)
    np.testing.assert_allclose(base, 0.5 * tree_base + 0.5 * spline_base)
    # each half alone adds up to its own raw score too
    np.testing.assert_allclose(
        spline_base + spline_values.sum(axis=1), splines.raw_score(X_SMALL), atol=1e-6
    )


def test_all_drivers_of_a_row_sum_to_its_raw_score(model: PropensityModel) -> None:
    frame = explain(model, X_SMALL, IDS, top=None)
    totals = frame.get_column("drivers").list.eval(pl.element().struct.field("contribution").sum())
    np.testing.assert_allclose(
        frame.get_column("base_value").to_numpy() + totals.explode().to_numpy(),
        model.raw_score(X_SMALL),
        atol=1e-6,
    )
    np.testing.assert_allclose(frame.get_column("raw_score"), model.raw_score(X_SMALL), atol=1e-9)
    np.testing.assert_array_equal(frame.get_column("probability"), model.predict_proba(X_SMALL))


def test_explain_lists_the_top_drivers_largest_first_with_text(model: PropensityModel) -> None:
    frame = explain(model, X_SMALL, IDS, top=2)
    assert frame.columns == [
        "customer_id",
        "base_value",
        "raw_score",
        "probability",
        "drivers",
        "text",
    ]
    assert frame.get_column("customer_id").to_list() == IDS
    first = frame.row(0, named=True)
    drivers = first["drivers"]
    assert len(drivers) == 2
    assert abs(drivers[0]["contribution"]) >= abs(drivers[1]["contribution"])
    expected = "; ".join(
        f"{item['feature']} = {item['value']}: {item['contribution']:+.2f}" for item in drivers
    )
    assert first["text"] == expected


def test_values_are_shown_as_the_customer_has_them() -> None:
    model = PropensityModel(n_estimators=50).fit(X_SMALL, Y_SMALL)
    row = X_SMALL.head(1).with_columns(
        pl.lit(94.0).alias("recency_days"), pl.lit(None, dtype=pl.String).alias("plan")
    )
    drivers = explain(model, row, ["c0"], top=None).row(0, named=True)["drivers"]
    shown = {item["feature"]: item["value"] for item in drivers}
    assert shown["recency_days"] == "94"
    assert shown["plan"] == "missing"
    assert shown["order_count"] == str(X_SMALL.get_column("order_count")[0])


def test_an_unseen_category_is_explained_like_a_missing_one() -> None:
    model = PropensityModel(n_estimators=50).fit(X_SMALL, Y_SMALL)
    unseen = X_SMALL.head(2).with_columns(pl.lit("enterprise").alias("plan"))
    missing = X_SMALL.head(2).with_columns(pl.lit(None, dtype=pl.String).alias("plan"))
    np.testing.assert_array_equal(contributions(model, unseen)[0], contributions(model, missing)[0])


def test_global_importance_ranks_features(model: PropensityModel) -> None:
    table = global_importance(model, X_SMALL)
    assert table.columns == ["feature", "gain", "mean_abs_contribution"]
    assert set(table.get_column("feature")) == set(X_SMALL.columns)
    shap = table.get_column("mean_abs_contribution").to_numpy()
    assert (np.diff(shap) <= 0).all()
    values, _ = contributions(model, X_SMALL)
    assert shap[0] == pytest.approx(np.abs(values).mean(axis=0).max())
    # recency drives the synthetic churn most; the newsletter flag does not at all
    assert table.get_column("feature")[-1] == "newsletter"


def test_global_importance_without_data_uses_gain() -> None:
    model = PropensityModel(n_estimators=50).fit(X_SMALL, Y_SMALL)
    table = global_importance(model)
    assert table.get_column("mean_abs_contribution").null_count() == table.height
    gain = table.get_column("gain").to_numpy()
    assert (np.diff(gain) <= 0).all()
    assert gain[0] > 0


def test_explaining_needs_a_fitted_model_and_matching_ids() -> None:
    with pytest.raises(NotFittedError):
        explain(PropensityModel(), X_SMALL, IDS)
    model = PropensityModel(n_estimators=20).fit(X_SMALL, Y_SMALL)
    with pytest.raises(ModelDataError, match="customer_ids"):
        explain(model, X_SMALL, IDS[:-1])
    with pytest.raises(ModelDataError, match="top=0"):
        explain(model, X_SMALL, IDS, top=0)

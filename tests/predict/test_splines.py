"""The spline logistic regression of the blend: its basis, the choice of C, curved effects."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline

from crmind.errors import ModelDataError
from crmind.predict.splines import (
    C_GRID,
    MIN_CATEGORY_ROWS,
    fit_spline_logistic,
    spline_basis,
    spline_sources,
)

NAMES = ["age", "plan", "flag", "empty"]
CATEGORIES = {"plan": ["basic", "plus", "premium"], "empty": []}


def codes(rows: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """age (with blanks), a plan code (with blanks), a constant flag, an empty category; churn
    is likeliest at both ends of age (a U shape no straight line follows)."""
    rng = np.random.default_rng(seed)
    age = rng.uniform(18.0, 80.0, rows)
    plan = rng.integers(0, 3, rows).astype(np.float64)
    logit = 0.004 * (age - 49.0) ** 2 - 1.5 + np.where(plan == 0, 0.8, 0.0)
    target = (rng.random(rows) < 1.0 / (1.0 + np.exp(-logit))).astype(np.int64)
    design = np.column_stack([age, plan, np.ones(rows), np.full(rows, np.nan)])
    design[::13, 0] = np.nan
    design[::17, 1] = np.nan
    return design, target


DESIGN, TARGET = codes(3000)
WEIGHTS = np.ones(len(TARGET))
ROWS = np.arange(len(TARGET))


def fitted(
    held: np.ndarray | None = None, c: float | None = None
) -> tuple[Pipeline, float, dict[float, float]]:
    train = ROWS[:2400] if held is not None else ROWS
    basis = spline_basis(NAMES, CATEGORIES, DESIGN[train], seed=0)
    return fit_spline_logistic(basis, DESIGN, TARGET, WEIGHTS, train, held, c)


def test_sources_name_every_basis_column_numbers_first() -> None:
    basis = spline_basis(NAMES, CATEGORIES, DESIGN, seed=0)
    expanded = basis.fit_transform(DESIGN)
    sources = spline_sources(basis, NAMES)
    assert expanded.shape == (len(ROWS), len(sources))
    assert sources.count("plan") == 3
    assert sources.count("age") == sources.count("flag") > 3
    assert "empty" not in sources
    assert sources.index("plan") > sources.index("flag")
    assert np.isfinite(expanded).all()


def test_missing_and_unseen_categories_get_no_plan_column() -> None:
    basis = spline_basis(NAMES, CATEGORIES, DESIGN, seed=0).fit(DESIGN)
    plan = np.asarray(spline_sources(basis, NAMES)) == "plan"
    rows = DESIGN[:2].copy()
    rows[0, 1], rows[1, 1] = np.nan, 7.0  # missing, and a code the model never saw
    one_hot = basis[0].transform(rows)[:, plan]
    np.testing.assert_array_equal(one_hot, np.zeros((2, 3)))


def test_a_category_of_few_training_rows_counts_as_missing() -> None:
    design = DESIGN.copy()
    design[: MIN_CATEGORY_ROWS - 1, 1] = 3.0  # a fourth plan, one row short of a column
    categories = {**CATEGORIES, "plan": ["basic", "plus", "premium", "rare"]}
    basis = spline_basis(NAMES, categories, design, seed=0).fit(design)
    sources = spline_sources(basis, NAMES)
    assert sources.count("plan") == 3
    rare, missing = design[:1].copy(), design[:1].copy()
    missing[0, 1] = np.nan
    np.testing.assert_array_equal(basis.transform(rare), basis.transform(missing))


def test_c_is_chosen_on_the_held_out_rows_by_log_loss() -> None:
    _, c, losses = fitted(held=ROWS[2400:])
    assert set(losses) == set(C_GRID)
    assert c == min(losses, key=lambda value: losses[value])


def test_a_refit_uses_the_c_it_is_given() -> None:
    pipeline, c, losses = fitted(c=0.1)
    assert c == 0.1
    assert losses == {}
    assert pipeline[-1].C == 0.1


def test_a_refit_without_a_c_is_refused() -> None:
    with pytest.raises(ModelDataError, match="C is unknown"):
        fitted()


def test_splines_learn_a_curved_effect_a_straight_line_misses() -> None:
    pipeline, _, _ = fitted(held=ROWS[2400:])
    new_design, new_target = codes(3000, seed=1)
    auc = roc_auc_score(new_target, pipeline.decision_function(new_design))
    assert auc > 0.7
    # both ends of age score above the middle
    probe = np.array([[20.0, 1.0, 1.0, np.nan], [49.0, 1.0, 1.0, np.nan], [78.0, 1.0, 1.0, np.nan]])
    young, middle, old = pipeline.decision_function(probe)
    assert young > middle < old


def test_without_usable_columns_the_basis_is_refused() -> None:
    with pytest.raises(ModelDataError, match="no usable feature columns"):
        spline_basis(["empty"], {"empty": []}, np.full((10, 1), np.nan), seed=0)

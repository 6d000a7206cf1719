"""FellegiSunterModel: the estimator contract, EM recovery, match weights by hand and errors."""

from __future__ import annotations

import itertools
import logging
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from crmind.errors import ConfigurationError, ModelDataError, NotFittedError
from crmind.identity.fellegi_sunter import FellegiSunterModel
from crmind.identity.fields import MISSING
from tests.estimator_contract import check_estimator_contract

N_LEVELS = [3, 4, 2]
TRUE_M = [
    np.array([0.05, 0.15, 0.80]),
    np.array([0.05, 0.10, 0.15, 0.70]),
    np.array([0.10, 0.90]),
]
TRUE_U = [
    np.array([0.85, 0.10, 0.05]),
    np.array([0.70, 0.15, 0.10, 0.05]),
    np.array([0.80, 0.20]),
]
TRUE_LAMBDA = 0.3
MISSING_SHARE = 0.05  # of the last field, at random whatever the match status


def draw(
    probabilities: list[np.ndarray], rows: int, rng: np.random.Generator
) -> npt.NDArray[np.int8]:
    columns = [rng.choice(p.size, size=rows, p=p) for p in probabilities]
    return np.column_stack(columns).astype(np.int8)


def synthetic(
    pairs: int = 20_000, random: int = 50_000, seed: int = 0
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.int8], npt.NDArray[np.bool_]]:
    """Candidate levels from the mixture (m, u, lambda), random-pair levels from u."""
    rng = np.random.default_rng(seed)
    is_match = rng.random(pairs) < TRUE_LAMBDA
    levels = np.where(is_match[:, None], draw(TRUE_M, pairs, rng), draw(TRUE_U, pairs, rng)).astype(
        np.int8
    )
    levels[rng.random(pairs) < MISSING_SHARE, 2] = MISSING
    random_levels = draw(TRUE_U, random, rng)
    random_levels[rng.random(random) < MISSING_SHARE, 2] = MISSING
    return levels, random_levels, is_match


LEVELS, RANDOM_LEVELS, IS_MATCH = synthetic()


def fitted() -> FellegiSunterModel:
    return FellegiSunterModel().fit(LEVELS, RANDOM_LEVELS, N_LEVELS, ["dob", "name", "state"])


def hand_model() -> FellegiSunterModel:
    """Weights that are whole bits: field A -2 / +2, field B -3 / 0 / +3, prior -2."""
    model = FellegiSunterModel()
    model.n_levels_ = [2, 3]
    model.field_names_ = ["a", "b"]
    model.m_ = [np.array([0.2, 0.8]), np.array([0.1, 0.1, 0.8])]
    model.u_ = [np.array([0.8, 0.2]), np.array([0.8, 0.1, 0.1])]
    model.lambda_ = 0.2  # log2(0.2 / 0.8) = -2
    return model


def test_fellegi_sunter_model_follows_the_estimator_contract(tmp_path: Path) -> None:
    check_estimator_contract(
        make=lambda: FellegiSunterModel(max_iter=50),
        fit=lambda model: model.fit(LEVELS, RANDOM_LEVELS, N_LEVELS),
        outputs=lambda model: model.predict_proba(LEVELS),
        tmp_path=tmp_path,
    )


def test_unfitted_weights_raise_not_fitted() -> None:
    with pytest.raises(NotFittedError, match="FellegiSunterModel"):
        FellegiSunterModel().level_weights()
    with pytest.raises(NotFittedError, match="FellegiSunterModel"):
        FellegiSunterModel().match_weight(LEVELS)


def test_em_recovers_m_and_lambda_and_u_comes_from_the_random_pairs() -> None:
    model = fitted()
    assert model.converged_
    assert 1 <= model.n_iter_ <= model.max_iter
    assert model.field_names_ == ["dob", "name", "state"]
    assert model.n_levels_ == N_LEVELS
    assert model.lambda_ == pytest.approx(TRUE_LAMBDA, abs=0.02)
    for m, u, true_m, true_u in zip(model.m_, model.u_, TRUE_M, TRUE_U, strict=True):
        assert m.sum() == pytest.approx(1.0)
        assert u.sum() == pytest.approx(1.0)
        np.testing.assert_allclose(m, true_m, atol=0.03)
        np.testing.assert_allclose(u, true_u, atol=0.01)


def test_the_fitted_model_separates_the_synthetic_matches() -> None:
    predicted = fitted().predict_proba(LEVELS) >= 0.5
    assert (predicted == IS_MATCH).mean() > 0.9


def test_default_field_names() -> None:
    model = FellegiSunterModel().fit(LEVELS, RANDOM_LEVELS, N_LEVELS)
    assert model.field_names_ == ["field_0", "field_1", "field_2"]


def test_match_weight_is_the_prior_plus_the_level_weights_by_hand() -> None:
    model = hand_model()
    weights = model.level_weights()
    np.testing.assert_allclose(weights[0], [-2, 2])
    np.testing.assert_allclose(weights[1], [-3, 0, 3])
    patterns = np.array(
        [[1, 2], [1, 1], [1, MISSING], [MISSING, MISSING], [0, 0], [0, 2]], dtype=np.int8
    )
    expected = np.array([-2 + 2 + 3, -2 + 2 + 0, -2 + 2, -2, -2 - 2 - 3, -2 - 2 + 3])
    np.testing.assert_allclose(model.match_weight(patterns), expected)
    # probability = 2^w / (1 + 2^w): 8/9, 1/2, 1/2, the prior 0.2, 1/129, 1/3
    np.testing.assert_allclose(
        model.predict_proba(patterns), [8 / 9, 0.5, 0.5, 0.2, 1 / 129, 1 / 3]
    )


def test_match_weight_of_a_fitted_model_sums_log2_m_over_u() -> None:
    model = fitted()
    pattern = np.array([[2, 1, MISSING], [0, 3, 1]], dtype=np.int8)
    prior = np.log2(model.lambda_ / (1 - model.lambda_))
    m, u = model.m_, model.u_
    expected = [
        prior + np.log2(m[0][2] / u[0][2]) + np.log2(m[1][1] / u[1][1]),
        prior
        + np.log2(m[0][0] / u[0][0])
        + np.log2(m[1][3] / u[1][3])
        + np.log2(m[2][1] / u[2][1]),
    ]
    np.testing.assert_allclose(model.match_weight(pattern), expected)


def test_predict_proba_rises_with_agreement_on_every_field() -> None:
    model = fitted()
    patterns = np.array(list(itertools.product(*(range(n) for n in N_LEVELS))), dtype=np.int8)
    proba = model.predict_proba(patterns)
    assert ((proba >= 0) & (proba <= 1)).all()
    by_pattern = {tuple(int(x) for x in p): float(q) for p, q in zip(patterns, proba, strict=True)}
    for pattern, value in by_pattern.items():
        for field, n in enumerate(N_LEVELS):
            if pattern[field] + 1 < n:
                stronger = list(pattern)
                stronger[field] += 1
                assert by_pattern[tuple(stronger)] > value, (pattern, field)
    assert by_pattern[(2, 3, 1)] > 0.99
    assert by_pattern[(0, 0, 0)] < 0.01


def test_extreme_weights_do_not_overflow() -> None:
    model = hand_model()
    model.m_ = [np.array([1e-300, 1.0]), np.array([1e-300, 0.5, 0.5])]
    model.u_ = [np.array([1.0, 1e-300]), np.array([1.0, 0.5, 1e-300])]
    proba = model.predict_proba(np.array([[1, 2], [0, 0]], dtype=np.int8))
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba, [1.0, 0.0], atol=1e-12)


def test_em_that_stops_early_says_so(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="crmind.identity.fellegi_sunter"):
        model = FellegiSunterModel(max_iter=1).fit(LEVELS, RANDOM_LEVELS, N_LEVELS)
    assert not model.converged_
    assert model.n_iter_ == 1
    assert "stopped after 1 iterations" in caplog.text


@pytest.mark.parametrize(
    ("levels", "message"),
    [
        (np.zeros(5, dtype=np.int8), "one column per field"),
        (np.zeros((5, 2), dtype=np.int8), "one column per field"),
        (np.array([[0, 0, 2]], dtype=np.int8), "outside 0 .. n_levels - 1"),
        (np.array([[3, 0, 0]], dtype=np.int8), "outside 0 .. n_levels - 1"),
        (np.array([[0, -2, 0]], dtype=np.int8), "outside 0 .. n_levels - 1"),
    ],
)
def test_bad_levels_are_model_data_errors(levels: npt.NDArray[np.int8], message: str) -> None:
    with pytest.raises(ModelDataError, match=f"^levels .*{message}"):
        FellegiSunterModel().fit(levels, RANDOM_LEVELS, N_LEVELS)
    with pytest.raises(ModelDataError, match=f"^random_levels .*{message}"):
        FellegiSunterModel().fit(LEVELS, levels, N_LEVELS)
    with pytest.raises(ModelDataError, match=f"^levels .*{message}"):
        fitted().match_weight(levels)


def test_no_candidate_pairs_is_a_model_data_error() -> None:
    with pytest.raises(ModelDataError, match="no candidate pairs"):
        FellegiSunterModel().fit(np.zeros((0, 3), dtype=np.int8), RANDOM_LEVELS, N_LEVELS)


@pytest.mark.parametrize(
    "model",
    [
        FellegiSunterModel(max_iter=0),
        FellegiSunterModel(initial_lambda=0.0),
        FellegiSunterModel(initial_lambda=1.0),
    ],
)
def test_bad_settings_are_configuration_errors(model: FellegiSunterModel) -> None:
    with pytest.raises(ConfigurationError, match="max_iter"):
        model.fit(LEVELS, RANDOM_LEVELS, N_LEVELS)


def test_distinct_patterns_match_numpys_unique_rows() -> None:
    from crmind.identity.fellegi_sunter import _distinct_patterns

    rng = np.random.default_rng(3)
    levels = rng.integers(-1, 4, size=(5_000, 8)).astype(np.int8)
    patterns, counts = _distinct_patterns(levels)
    expected, expected_counts = np.unique(levels, axis=0, return_counts=True)
    order = np.lexsort(patterns.T[::-1])
    np.testing.assert_array_equal(patterns[order], expected)
    np.testing.assert_array_equal(counts[order], expected_counts)
    assert counts.sum() == 5_000

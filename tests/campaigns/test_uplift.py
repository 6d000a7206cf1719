import numpy as np
import pytest
from scipy import stats

from crmind.campaigns.uplift import mean_uplift, rate_uplift, wilson


def _simulate(rng: np.random.Generator, base: float, effect: float, n: int) -> tuple[int, int]:
    treated = int(rng.binomial(n, base + effect))
    holdout = int(rng.binomial(n // 9, base))  # a 10 % holdout
    return treated, holdout


def test_a_known_effect_is_recovered_within_the_interval() -> None:
    rng = np.random.default_rng(42)
    n = 18_000
    treated, holdout = _simulate(rng, base=0.10, effect=0.03, n=n)
    result = rate_uplift(treated, n, holdout, n // 9)
    assert result.low < 0.03 < result.high
    assert result.low > 0  # the effect is found, not only not excluded
    assert result.p_value < 0.01


def test_the_interval_covers_the_true_effect_about_95_percent_of_the_time() -> None:
    rng = np.random.default_rng(7)
    covered = 0
    runs = 2_000
    for _ in range(runs):
        treated, holdout = _simulate(rng, base=0.05, effect=0.02, n=2_700)
        result = rate_uplift(treated, 2_700, holdout, 300)
        covered += result.low <= 0.02 <= result.high
    assert 0.93 <= covered / runs <= 0.97


def test_no_effect_is_not_declared_significant_too_often() -> None:
    rng = np.random.default_rng(3)
    p_values = []
    for _ in range(1_000):
        treated, holdout = int(rng.binomial(1_000, 0.2)), int(rng.binomial(1_000, 0.2))
        p_values.append(rate_uplift(treated, 1_000, holdout, 1_000).p_value)
    assert np.mean(np.array(p_values) < 0.05) == pytest.approx(0.05, abs=0.02)


def test_wilson_matches_scipy() -> None:
    low, high = wilson(7, 40, 1.959963984540054)
    reference = stats.binomtest(7, 40).proportion_ci(confidence_level=0.95, method="wilson")
    assert (low, high) == pytest.approx((reference.low, reference.high))


def test_revenue_uplift_recovers_a_shift_in_means() -> None:
    rng = np.random.default_rng(1)
    treated = rng.gamma(2.0, 25.0, size=9_000) + 5.0
    holdout = rng.gamma(2.0, 25.0, size=1_000)
    result = mean_uplift(treated, holdout)
    assert result.low < 5.0 < result.high


def test_empty_groups_are_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        rate_uplift(0, 0, 1, 10)

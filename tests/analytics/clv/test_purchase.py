from __future__ import annotations

import numpy as np
import pytest

from crmind.analytics.clv.beta_geo import BetaGeoModel
from crmind.analytics.clv.history import PurchaseHistory
from crmind.analytics.clv.pareto_nbd import ParetoNBDModel
from crmind.analytics.clv.purchase import PurchaseModel
from crmind.errors import ModelDataError
from tests.analytics.clv.simulate import simulate_bg_nbd

TRUTH = {"r": 0.5, "alpha": 5.0, "a": 0.8, "b": 2.5}


@pytest.fixture(scope="module", params=[BetaGeoModel, ParetoNBDModel])
def model(request: pytest.FixtureRequest) -> PurchaseModel:
    kind: type[PurchaseModel] = request.param
    return kind().fit(*simulate_bg_nbd(300, TRUTH, seed=7))


def test_unweighted_periods_add_up_to_the_whole_span(model: PurchaseModel) -> None:
    x, t_x, age = simulate_bg_nbd(100, TRUTH, seed=8)
    history = PurchaseHistory.of(x, t_x, age)
    periods = model.discounted_purchases(history, np.array([4.0, 9.0, 20.0]), np.ones(3))
    np.testing.assert_allclose(periods, model.predict_purchases(20.0, x, t_x, age), rtol=1e-10)


def test_weights_scale_each_period(model: PurchaseModel) -> None:
    x, t_x, age = simulate_bg_nbd(100, TRUTH, seed=8)
    history = PurchaseHistory.of(x, t_x, age)
    first = model.predict_purchases(5.0, x, t_x, age)
    second = model.predict_purchases(10.0, x, t_x, age) - first
    weighted = model.discounted_purchases(history, np.array([5.0, 10.0]), np.array([2.0, 0.5]))
    np.testing.assert_allclose(weighted, 2 * first + 0.5 * second, rtol=1e-10)


def test_zero_horizon_means_no_purchases(model: PurchaseModel) -> None:
    x, t_x, age = simulate_bg_nbd(50, TRUTH, seed=9)
    assert np.all(model.predict_purchases(0.0, x, t_x, age) == 0)


@pytest.mark.parametrize(
    ("times", "weights", "message"),
    [
        ([5.0, 2.0], [1.0, 1.0], "times must be finite, >= 0 and increasing"),
        ([-1.0], [1.0], "times must be finite, >= 0 and increasing"),
        ([1.0, 2.0], [1.0], "times and weights must be 1-D and of one length"),
    ],
)
def test_bad_periods_raise_model_data_error(
    model: PurchaseModel, times: list[float], weights: list[float], message: str
) -> None:
    history = PurchaseHistory.of([1], [1], [2])
    with pytest.raises(ModelDataError, match=message):
        model.discounted_purchases(history, np.array(times), np.array(weights))

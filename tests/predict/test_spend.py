"""SpendModel: the estimator contract, what it learns, its offset, explanations and errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from crmind.errors import ConfigurationError, ModelDataError
from crmind.predict.evaluate_spend import rmse, spearman, spend_rate_rule
from crmind.predict.explain import contributions, explain
from crmind.predict.spend import SpendModel
from tests.estimator_contract import check_estimator_contract

WINDOW = 90


def customers(rows: int, seed: int = 0) -> tuple[pl.DataFrame, np.ndarray]:
    """Past spend and tenure, a String column and a flag; the next window's spend is the past
    rate, tripled for "vip" members and halved for lapsed ones, mostly zero for the rest."""
    rng = np.random.default_rng(seed)
    tenure = rng.uniform(30.0, 720.0, rows)
    past = rng.gamma(1.5, 400.0, rows) * tenure / 365.0
    tier = rng.choice(["vip", "regular", "lapsed"], rows, p=[0.2, 0.6, 0.2])
    multiplier = np.select([tier == "vip", tier == "lapsed"], [3.0, 0.5], 1.0)
    rate = past / np.maximum(tenure, WINDOW) * WINDOW
    buys = rng.random(rows) < np.where(tier == "lapsed", 0.3, 0.7)
    spend = np.where(buys, rate * multiplier * rng.gamma(4.0, 0.25, rows) / 0.7, 0.0)
    frame = pl.DataFrame(
        {
            "monetary_total": past,
            "tenure_days": tenure,
            "tier": tier,
            "newsletter": rng.random(rows) < 0.5,
        }
    )
    return frame, spend


X_TRAIN, Y_TRAIN = customers(3000)
X_TEST, Y_TEST = customers(2000, seed=1)


@pytest.fixture(scope="module")
def model() -> SpendModel:
    return SpendModel(window_days=WINDOW).fit(X_TRAIN, Y_TRAIN)


def test_spend_model_follows_the_estimator_contract(tmp_path: Path) -> None:
    check_estimator_contract(
        make=lambda: SpendModel(n_estimators=50),
        fit=lambda model: model.fit(X_TRAIN, Y_TRAIN),
        outputs=lambda model: model.predict(X_TEST),
        tmp_path=tmp_path,
    )


def test_it_learns_how_far_customers_move_from_their_past_rate(model: SpendModel) -> None:
    predicted = model.predict(X_TEST)
    rule = spend_rate_rule(X_TEST, WINDOW)
    assert (predicted >= 0).all()
    assert rmse(Y_TEST, predicted) < 0.9 * rmse(Y_TEST, rule)
    assert spearman(Y_TEST, predicted) > spearman(Y_TEST, rule)
    by_tier = pl.DataFrame({"tier": X_TEST["tier"], "ratio": predicted / rule}).group_by("tier")
    ratios = dict(by_tier.agg(pl.col("ratio").median()).iter_rows())
    assert ratios["vip"] > 2 * ratios["regular"] > 4 * ratios["lapsed"]


def test_the_mean_prediction_matches_the_mean_spend(model: SpendModel) -> None:
    assert model.predict(X_TEST).mean() == pytest.approx(Y_TEST.mean(), rel=0.1)


def test_without_the_rate_start_trees_cap_the_biggest_customers() -> None:
    plain = SpendModel(start_from_rate=False).fit(X_TRAIN, Y_TRAIN)
    np.testing.assert_array_equal(plain.offset(X_TEST), np.zeros(X_TEST.height))
    assert plain.predict(X_TEST).max() < SpendModel().fit(X_TRAIN, Y_TRAIN).predict(X_TEST).max()


def test_explanations_add_up_with_the_past_rate_as_base(model: SpendModel) -> None:
    values, base = contributions(model, X_TEST)
    np.testing.assert_allclose(base + values.sum(axis=1), model.raw_score(X_TEST), atol=1e-6)
    start = model.offset(X_TEST)
    np.testing.assert_allclose(base - base.mean(), start - start.mean())  # base = constant + start
    frame = explain(model, X_TEST, range(X_TEST.height), top=2)
    np.testing.assert_allclose(frame["expected_spend"], model.predict(X_TEST))
    vip = frame.filter(pl.Series(X_TEST["tier"] == "vip")).row(0, named=True)
    assert vip["drivers"][0]["feature"] == "tier"
    assert vip["drivers"][0]["contribution"] > 0
    assert vip["text"].startswith("tier = vip: +")


def test_refunds_count_as_no_spend() -> None:
    labels = Y_TRAIN.copy()
    labels[:10] = -25.0
    model = SpendModel(n_estimators=50).fit(X_TRAIN, labels)
    assert model.negative_labels_ == 10


def test_the_rate_start_needs_past_spend_and_tenure() -> None:
    with pytest.raises(ModelDataError, match="tenure_days"):
        SpendModel().fit(X_TRAIN.drop("tenure_days"), Y_TRAIN)
    SpendModel(start_from_rate=False, n_estimators=20).fit(X_TRAIN.drop("tenure_days"), Y_TRAIN)


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        (np.zeros(100), "every spend label is zero"),
        (np.r_[np.ones(99), np.nan], "finite amounts"),
        (np.ones(99), "100 rows but y has 99"),
        (np.array(["a"] * 100), "amounts"),
    ],
)
def test_bad_labels_are_refused(labels: np.ndarray, message: str) -> None:
    with pytest.raises(ModelDataError, match=message):
        SpendModel().fit(X_TRAIN.head(100), labels)


@pytest.mark.parametrize(
    "options",
    [
        {"tweedie_variance_power": 2.0},
        {"validation_fraction": 1.0},
        {"window_days": 0},
        {"rate_floor": 0.0},
        {"n_estimators": 0},
    ],
)
def test_bad_options_raise_configuration_error(options: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        SpendModel(**options).fit(X_TRAIN, Y_TRAIN)  # type: ignore[arg-type]

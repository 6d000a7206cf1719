from __future__ import annotations

import json
from typing import Any

import pytest

from crmind.analytics.clv import evaluate_clv
from tests.analytics.clv import cdnow

# The BTYD R package vignette's Pareto/NBD walkthrough on the same sample and periods: mean holdout
# purchases by calibration repeat purchases 1 .. 6, 7+ (bin 0 differs: see test_summary.py).
VIGNETTE_ACTUAL = [0.6970, 1.3925, 1.5600, 2.5323, 2.9474, 3.8621, 6.3594]
VIGNETTE_PARETO_EXPECTED = [0.5996, 1.1961, 1.7143, 2.3990, 2.9072, 3.8193, 6.4039]


def _sample_evaluation() -> dict[str, Any]:
    return evaluate_clv(
        cdnow.sample(),
        cdnow.CALIBRATION_END,
        cdnow.HOLDOUT_END,
        date_col="date",
        amount_col="value",
    )


def test_cdnow_sample_evaluation_is_json_ready_and_complete() -> None:
    result = _sample_evaluation()
    text = json.dumps(result, allow_nan=False)
    assert json.loads(text) == result
    assert result["bg_nbd"]["params"].keys() == {"r", "alpha", "a", "b"}
    assert result["pareto_nbd"]["params"].keys() == {"r", "alpha", "s", "beta"}
    assert result["gamma_gamma"]["params"].keys() == {"p", "q", "gamma"}
    data = result["data"]
    assert data == {
        "transactions": 6919,
        "customers": 2349,
        "repeat_buyers": 946,
        "calibration_end": "1997-09-30",
        "holdout_end": "1998-06-30",
        "time_unit": "week",
    }


def test_cdnow_holdout_bins_add_up_and_match_the_btyd_vignette() -> None:
    holdout = _sample_evaluation()["holdout"]
    assert holdout["duration"] == 39.0
    for model in ("bg_nbd", "pareto_nbd"):
        bins = holdout[model]["by_calibration_frequency"]
        assert [row["frequency"] for row in bins] == ["0", "1", "2", "3", "4", "5", "6", "7+"]
        assert [row["customers"] for row in bins] == [1403, 439, 214, 100, 62, 38, 29, 64]
        assert sum(row["actual_total"] for row in bins) == holdout["actual_total"]
        assert sum(row["predicted_total"] for row in bins) == pytest.approx(
            holdout[model]["predicted_total"]
        )
        actual = [row["actual_mean"] for row in bins[1:]]
        assert actual == pytest.approx(VIGNETTE_ACTUAL, abs=1e-4)
        assert 0.5 < holdout[model]["correlation"] < 1
    pareto = [
        row["predicted_mean"] for row in holdout["pareto_nbd"]["by_calibration_frequency"][1:]
    ]
    assert pareto == pytest.approx(VIGNETTE_PARETO_EXPECTED, abs=0.005)


def test_without_holdout_only_the_fits_are_reported() -> None:
    result = evaluate_clv(
        cdnow.master(), cdnow.CALIBRATION_END, date_col="date", amount_col="dollar_value"
    )
    assert "holdout" not in result
    assert result["data"]["customers"] == 23500  # 70 of 23,570 only bought for $0
    assert result["data"]["holdout_end"] is None

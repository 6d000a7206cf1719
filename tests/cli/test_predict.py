from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from crmind.cli import app
from crmind.data import ONLINE_RETAIL
from tests.conftest import shared_data

runner = CliRunner()


def test_evaluate_churn_on_telco_reports_both_models() -> None:
    path = shared_data("telco_churn/Telco-Customer-Churn.csv")
    result = runner.invoke(
        app,
        [
            "evaluate",
            "churn",
            "--data",
            str(path),
            "--target",
            "Churn",
            "--id-col",
            "customerID",
            "--folds",
            "3",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["rows"] == 7043
    assert "customerID" not in report["features"]
    assert report["lightgbm"]["roc_auc"]["mean"] > 0.83
    assert report["logistic"]["roc_auc"]["mean"] > 0.83


def test_predict_train_refuses_an_unknown_target() -> None:
    result = runner.invoke(app, ["predict", "train", "loyalty"])
    assert result.exit_code == 1
    assert "churn, purchase, spend" in result.stderr


def _small_table(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    tenure = rng.integers(1, 72, 300)
    plan = rng.choice(["monthly", "yearly"], 300)
    churned = rng.random(300) < np.where(plan == "monthly", 0.5, 0.1) * (tenure < 24) + 0.05
    path = tmp_path / "customers.csv"
    pl.DataFrame(
        {
            "id": range(300),
            "tenure": tenure,
            "plan": plan,
            "left": np.where(churned, "yes", "no"),
        }
    ).write_csv(path)
    return path


def test_evaluate_churn_with_the_blend_reports_it_beside_the_baseline(tmp_path: Path) -> None:
    path = _small_table(tmp_path)
    args = ["evaluate", "churn", "--data", str(path), "--target", "left", "--id-col", "id"]
    result = runner.invoke(app, [*args, "--folds", "3", "--model", "blend", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["model"] == "blend"
    assert report["blend"]["roc_auc"]["mean"] > 0.6
    assert "logistic" in report
    table = runner.invoke(app, [*args, "--folds", "3", "--model", "blend", "--seed", "1"])
    assert table.exit_code == 0, table.output
    assert "blend" in table.stdout


def test_evaluate_churn_follows_the_propensity_model_setting(tmp_path: Path) -> None:
    path = _small_table(tmp_path)
    args = ["evaluate", "churn", "--data", str(path), "--target", "left", "--folds", "2"]
    result = runner.invoke(
        app,
        ["--data-dir", str(tmp_path), *args, "--id-col", "id", "--json"],
        env={"CRMIND_PROPENSITY_MODEL": "blend"},
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["model"] == "blend"


def test_an_unknown_model_is_refused_by_evaluate_and_train(tmp_path: Path) -> None:
    path = _small_table(tmp_path)
    evaluated = runner.invoke(
        app, ["evaluate", "churn", "--data", str(path), "--target", "left", "--model", "xgb"]
    )
    assert evaluated.exit_code == 1
    assert "lightgbm, logistic, blend" in evaluated.stderr
    trained = runner.invoke(app, ["predict", "train", "churn", "--model", "logistic"])
    assert trained.exit_code == 1
    assert "lightgbm, blend" in trained.stderr


def test_evaluate_churn_names_a_bad_target_value(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("id,x,left\n1,2,maybe\n2,3,no\n", encoding="utf-8")
    result = runner.invoke(app, ["evaluate", "churn", "--data", str(path), "--target", "left"])
    assert result.exit_code == 1
    assert "yes/no" in result.stderr


@pytest.mark.slow
def test_train_then_score_through_the_cli(tmp_path: Path) -> None:
    base = ["--data-dir", str(tmp_path)]
    imported = runner.invoke(
        app, [*base, "import", "orders", str(ONLINE_RETAIL), "--preset", "online-retail"]
    )
    assert imported.exit_code == 0, imported.output
    missing = runner.invoke(app, [*base, "predict", "score", "churn"])
    assert missing.exit_code == 1
    assert "crmind predict train churn" in missing.stderr
    trained = runner.invoke(app, [*base, "predict", "train", "churn", "--json"])
    assert trained.exit_code == 0, trained.output
    training = json.loads(trained.stdout)
    assert training["passed"] is True
    scored = runner.invoke(app, [*base, "predict", "score", "churn", "--json"])
    assert scored.exit_code == 0, scored.output
    scoring = json.loads(scored.stdout)
    assert scoring["run_id"] > training["run_id"]
    assert scoring["top"] == training["top"]
    assert (tmp_path / "models").is_dir()


@pytest.mark.slow
def test_train_spend_and_churn_print_their_grades(tmp_path: Path) -> None:
    base = ["--data-dir", str(tmp_path)]
    imported = runner.invoke(
        app, [*base, "import", "orders", str(ONLINE_RETAIL), "--preset", "online-retail"]
    )
    assert imported.exit_code == 0, imported.output
    spend = runner.invoke(app, [*base, "predict", "train", "spend"])
    assert spend.exit_code == 0, spend.output
    assert "spend-rate rule" in spend.stdout
    assert "expected spend" in spend.stdout
    churn = runner.invoke(app, [*base, "predict", "train", "churn"])
    assert churn.exit_code == 0, churn.output
    assert "calibration on held-out time" in churn.stdout
    assert "observed rate" in churn.stdout

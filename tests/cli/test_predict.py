from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from crmind.cli import app
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
    assert "churn or purchase" in result.stderr


def test_evaluate_churn_names_a_bad_target_value(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("id,x,left\n1,2,maybe\n2,3,no\n", encoding="utf-8")
    result = runner.invoke(app, ["evaluate", "churn", "--data", str(path), "--target", "left"])
    assert result.exit_code == 1
    assert "yes/no" in result.stderr

"""``crmind recommend train|for`` and ``crmind evaluate recommend``."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from crmind.cli import app
from tests.services.test_recommendation import orders

runner = CliRunner()


def test_train_then_show_a_customers_list(tmp_path: Path) -> None:
    base = ["--data-dir", str(tmp_path / "data")]
    path = tmp_path / "orders.csv"
    orders().write_csv(path)
    imported = runner.invoke(app, [*base, "import", "orders", str(path), "--source", "shop"])
    assert imported.exit_code == 0, imported.output
    trained = runner.invoke(
        app, [*base, "recommend", "train", "--model", "item-knn", "--k", "3", "--json"]
    )
    assert trained.exit_code == 0, trained.output
    result = json.loads(trained.stdout)
    assert result["passed"] is True
    assert result["stored"] == 450
    shown = runner.invoke(app, [*base, "recommend", "for", "1", "--json"])
    assert shown.exit_code == 0, shown.output
    assert [row["rank"] for row in json.loads(shown.stdout)] == [1, 2, 3]
    view = runner.invoke(app, [*base, "customer", "1"])
    assert "recommended products" in view.stdout
    nobody = runner.invoke(app, [*base, "recommend", "for", "9999"])
    assert "no recommendations for customer 9999" in nobody.stdout


def test_train_names_an_unknown_model(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["--data-dir", str(tmp_path), "recommend", "train", "--model", "oracle"]
    )
    assert result.exit_code == 1
    assert "unknown recommender 'oracle'" in result.stderr


def test_evaluate_recommend_prints_every_model(tmp_path: Path) -> None:
    path = tmp_path / "purchases.csv"
    orders().select("customer_id", "sku").write_csv(path)
    result = runner.invoke(
        app,
        [
            "evaluate",
            "recommend",
            "--data",
            str(path),
            "--user-col",
            "customer_id",
            "--item-col",
            "sku",
            "--models",
            "item-knn,ease",
            "--k",
            "5",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report["models"]) == {"popularity", "item-knn", "ease"}
    assert report["split"] == "random"

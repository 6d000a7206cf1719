from __future__ import annotations

import json
import lzma
from pathlib import Path

from typer.testing import CliRunner

from crmind.cli import app
from crmind.data import ONLINE_RETAIL
from tests.conftest import shared_data

runner = CliRunner()


def _store_with_orders(tmp_path: Path, lines: int = 40_000) -> list[str]:
    sample = tmp_path / "retail.csv"
    with lzma.open(ONLINE_RETAIL, "rt", encoding="utf-8") as source, sample.open("w") as target:
        for index, line in enumerate(source):
            if index > lines:
                break
            target.write(line)
    base = ["--data-dir", str(tmp_path / "data")]
    result = runner.invoke(
        app, [*base, "import", "orders", str(sample), "--preset", "online-retail"]
    )
    assert result.exit_code == 0, result.output
    return base


def test_analyze_prints_json_and_customer_shows_the_360_view(tmp_path: Path) -> None:
    base = _store_with_orders(tmp_path)
    result = runner.invoke(app, [*base, "analyze", "--segments", "3", "--json"])
    assert result.exit_code == 0, result.output
    analysis = json.loads(result.stdout)
    assert len(analysis["segments"]) == 3
    assert analysis["customers"] > 100
    best = analysis["top_clv"][0]["customer_id"]
    view = runner.invoke(app, [*base, "customer", str(best), "--json"])
    assert view.exit_code == 0, view.output
    shown = json.loads(view.stdout)
    assert shown["analysis_run"] == analysis["run_id"]
    assert set(shown["segments"]) == {"rfm", "learned", "value_tier", "lifecycle"}
    text = runner.invoke(app, [*base, "customer", str(best)])
    assert "score clv" in text.stdout


def test_analyze_on_an_empty_store_says_what_to_do(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--data-dir", str(tmp_path), "analyze"])
    assert result.exit_code == 1
    assert "import orders first" in result.stderr


def test_unknown_customer_is_a_one_line_error(tmp_path: Path) -> None:
    runner.invoke(app, ["--data-dir", str(tmp_path), "init"])
    result = runner.invoke(app, ["--data-dir", str(tmp_path), "customer", "12345"])
    assert result.exit_code == 1
    assert "no customer with id 12345" in result.stderr


def test_evaluate_clv_on_cdnow_prints_parameters_and_holdout_check() -> None:
    path = shared_data("cdnow/CDNOW_master.txt")
    result = runner.invoke(
        app,
        [
            "evaluate",
            "clv",
            "--data",
            str(path),
            "--customer-col",
            "customer_id",
            "--date-col",
            "date",
            "--amount-col",
            "dollar_value",
            "--calibration-end",
            "1997-09-30",
            "--holdout-end",
            "1998-06-30",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    text = json.dumps(report)
    for key in ('"r"', '"alpha"', '"a"', '"b"', '"s"', '"beta"', '"p"', '"q"', '"gamma"'):
        assert key in text


def test_evaluate_clv_names_a_missing_column(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("id,when,value\n1,2024-01-01,3\n", encoding="utf-8")
    result = runner.invoke(
        app, ["evaluate", "clv", "--data", str(path), "--calibration-end", "2024-06-30"]
    )
    assert result.exit_code == 1
    assert "no column" in result.stderr

"""``crmind export parquet`` and the engine options of ``crmind analyze``."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from crmind.cli import app
from crmind.cli.analysis import analysis_options
from crmind.config import Settings
from tests.cli.test_analysis import _store_with_orders

runner = CliRunner()


def test_export_parquet_writes_the_tables_an_analysis_reads(tmp_path: Path) -> None:
    base = _store_with_orders(tmp_path, lines=5_000)
    result = runner.invoke(app, [*base, "export", "parquet", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    lines = pl.read_parquet(tmp_path / "out" / "order_lines.parquet")
    assert lines.height > 4_000
    assert f"order_lines: {lines.height:,} rows" in result.stdout
    assert {"customer_id", "occurred_at", "amount", "is_return"} <= set(lines.columns)
    customers = pl.read_parquet(tmp_path / "out" / "customers.parquet")
    assert customers.columns == ["customer_id", "country"]  # no names or contact details
    assert (tmp_path / "out" / "events.parquet").exists()


def test_analyze_names_an_unknown_engine_and_a_jdbc_read_of_sqlite(tmp_path: Path) -> None:
    base = _store_with_orders(tmp_path, lines=5_000)
    unknown = runner.invoke(app, [*base, "analyze", "--engine", "hadoop"])
    assert unknown.exit_code == 1
    assert "'hadoop'" in unknown.output
    jdbc = runner.invoke(app, [*base, "analyze", "--engine", "spark", "--jdbc"])
    assert jdbc.exit_code == 1
    assert "PostgreSQL store" in jdbc.output


def test_engine_options_come_from_the_settings_unless_the_command_names_them() -> None:
    settings = Settings(engine="spark", spark_master="spark://cluster:7077", spark_jars="pg.jar")
    from_settings = analysis_options(settings)
    assert (from_settings.engine, from_settings.spark_master) == ("spark", "spark://cluster:7077")
    assert from_settings.spark_jars == "pg.jar"
    given = analysis_options(
        settings, engine="local", spark_master="local[1]", parquet=Path("exported")
    )
    assert (given.engine, given.spark_master, given.parquet_dir) == (
        "local",
        "local[1]",
        "exported",
    )
    assert Settings().engine == "local"


def test_predict_train_on_spark_refuses_spend_with_the_reason(tmp_path: Path) -> None:
    base = _store_with_orders(tmp_path, lines=5_000)
    result = runner.invoke(app, [*base, "predict", "train", "spend", "--engine", "spark"])
    assert result.exit_code == 1
    assert "spend models run locally" in result.output


def test_recommend_train_on_spark_names_the_one_model_it_runs(tmp_path: Path) -> None:
    base = _store_with_orders(tmp_path, lines=5_000)
    result = runner.invoke(app, [*base, "recommend", "train", "--engine", "spark"])
    assert result.exit_code == 1
    assert "recommender is als" in result.output

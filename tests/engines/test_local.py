"""The engine seam: choosing an engine, and the local engine's sources (no Spark runs here)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from crmind.analytics.profile import LINE_COLUMNS
from crmind.engines import (
    AnalysisTables,
    CustomerAnalysisOptions,
    JdbcSource,
    LocalEngine,
    ParquetSource,
    get_engine,
)
from crmind.engines.local import read_tables
from crmind.engines.spark import SparkEngine
from crmind.errors import ConfigurationError, ModelDataError
from crmind.services.engine_data import export_parquet


def test_get_engine_gives_local_by_default_and_spark_lazily() -> None:
    assert isinstance(get_engine(), LocalEngine)
    spark = get_engine("spark", spark_master="local[1]", spark_jars="driver.jar")
    assert isinstance(spark, SparkEngine)
    assert (spark.master, spark.jars) == ("local[1]", "driver.jar")
    spark.close()  # never started: nothing to stop
    with pytest.raises(ConfigurationError, match=r"'mapreduce'.*local, spark"):
        get_engine("mapreduce")


def test_local_engine_reads_parquet_exports_as_the_store_frames(
    retail_store: Engine, retail_tables: AnalysisTables, tmp_path: Path
) -> None:
    export_parquet(retail_store, tmp_path)
    read = read_tables(ParquetSource(tmp_path))
    assert read.lines.equals(retail_tables.lines.select(LINE_COLUMNS))
    assert read.customers.equals(retail_tables.customers)
    assert read.events.schema == retail_tables.events.schema


def test_local_engine_names_missing_parquet_files_and_refuses_jdbc(tmp_path: Path) -> None:
    options = CustomerAnalysisOptions()
    with pytest.raises(ModelDataError, match=r"order_lines\.parquet"):
        LocalEngine().analyse_customers(ParquetSource(tmp_path), options)
    with pytest.raises(ConfigurationError, match="spark engine"):
        LocalEngine().analyse_customers(JdbcSource("jdbc:postgresql://db/crm", {}), options)


def test_parquet_sources_may_be_urls_spark_reads() -> None:
    remote = ParquetSource("hdfs:///crm/exported/")
    assert remote.path("order_lines") == "hdfs:///crm/exported/order_lines.parquet"
    assert remote.missing() == []  # not checked from here: the cluster's file system decides
    assert ParquetSource(Path("/nowhere")).missing() == [
        "order_lines",
        "products",
        "customers",
        "events",
    ]

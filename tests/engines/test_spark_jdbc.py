"""Spark's executors read the PostgreSQL store over JDBC and get the frames the local reader
gets. Needs the PostgreSQL server and a PostgreSQL JDBC driver jar already on the machine
(CRMIND_TEST_JDBC_JAR or ~/.m2); skipped without the jar."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from crmind.engines.spark.frames import read_tables, to_polars
from crmind.ingest.fields import ImportKind
from crmind.services.engine_data import jdbc_source, store_tables
from crmind.services.importing import ImportRequest, import_file
from tests.engines.conftest import postgres_jdbc_jar, retail_sample
from tests.engines.frames_match import assert_frames_match


@pytest.mark.postgres
def test_jdbc_reads_the_frames_the_store_reader_reads(
    spark: object, postgres_engine: Engine, tmp_path: Path
) -> None:
    if postgres_jdbc_jar() is None:
        pytest.skip("no PostgreSQL JDBC driver jar on this machine (set CRMIND_TEST_JDBC_JAR)")
    request = ImportRequest(
        kind=ImportKind.ORDERS, path=retail_sample(tmp_path, 5_000), preset="online-retail"
    )
    import_file(postgres_engine, request)
    expected = store_tables(postgres_engine)
    source = jdbc_source(postgres_engine)
    assert source.url.startswith("jdbc:postgresql://")
    assert "search_path" in source.properties["options"]
    tables = read_tables(spark, source)  # type: ignore[arg-type]
    lines = to_polars(tables["order_lines"].orderBy("line_id"))
    assert_frames_match(expected.lines.sort("line_id"), lines)
    products = to_polars(tables["products"].orderBy("product_id"))
    assert_frames_match(expected.products.sort("product_id"), products)
    assert tables["events"].count() == 0

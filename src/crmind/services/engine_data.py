"""What data the analysis engines read: the store's tables as frames, Parquet files, or JDBC.

The local engine reads the store in-process (:mod:`crmind.store.frames`). The spark engine can
take the same frames (handed to Spark through Arrow: fine up to a few million lines), read Parquet
files that ``crmind export parquet`` wrote (the tested path for large data: copy them to the
cluster's storage), or have its executors read the store's PostgreSQL database over JDBC (needs
the PostgreSQL JDBC driver jar on the cluster; see docs/spark.md).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
from sqlalchemy import Engine

from crmind import columns as c
from crmind.engines import TABLES, AnalysisTables, JdbcSource, ParquetSource, Source
from crmind.errors import ConfigurationError, ModelDataError
from crmind.store.frames import ORDER_LINE_TYPES, ORDER_LINES_SQL, order_lines, read_sql

logger = logging.getLogger(__name__)

PRODUCTS_SQL = "SELECT id AS product_id, category FROM products"
CUSTOMERS_SQL = "SELECT id AS customer_id, country FROM customers"
EVENTS_SQL = "SELECT customer_id, event_type, occurred_at FROM events"
EVENT_TYPES: dict[str, pl.DataType] = {
    "customer_id": pl.Int64(),
    "event_type": pl.String(),
    "occurred_at": pl.Datetime("us"),
}
TABLE_SQL: dict[str, str] = {
    "order_lines": ORDER_LINES_SQL,
    "products": PRODUCTS_SQL,
    "customers": CUSTOMERS_SQL,
    "events": EVENTS_SQL,
}
"""The SELECT behind each table an analysis reads (the same for frames, Parquet and JDBC)."""

_JDBC_PREFIXES = {"postgresql": "jdbc:postgresql"}
_JDBC_DRIVERS = {"postgresql": "org.postgresql.Driver"}
_JDBC_PASSED_ON = ("options", "sslmode")


def store_tables(engine: Engine) -> AnalysisTables:
    """The store's tables as polars frames; ModelDataError without orders of known customers."""
    lines = order_lines(engine)
    if lines.filter(pl.col(c.CUSTOMER_ID).is_not_null()).height == 0:
        raise ModelDataError("the store has no orders of known customers: import orders first")
    return AnalysisTables(
        lines=lines,
        products=read_sql(engine, PRODUCTS_SQL),
        customers=read_sql(engine, CUSTOMERS_SQL),
        events=read_sql(engine, EVENTS_SQL, EVENT_TYPES),
    )


def analysis_source(engine: Engine, *, parquet_dir: str | None, jdbc: bool) -> Source:
    """Where an analysis reads: Parquet files, the database over JDBC, else the store's frames."""
    if parquet_dir and jdbc:
        raise ConfigurationError("read either Parquet files or over JDBC, not both")
    if parquet_dir:
        return ParquetSource(parquet_dir)
    if jdbc:
        return jdbc_source(engine)
    return store_tables(engine)


def jdbc_source(engine: Engine) -> JdbcSource:
    """The store's PostgreSQL database as a JDBC source (URL, user, password, driver class)."""
    url = engine.url
    backend = url.get_backend_name()
    if backend not in _JDBC_PREFIXES:
        raise ConfigurationError(
            f"JDBC reading needs a PostgreSQL store; this one is {backend!r}: export it with "
            "`crmind export parquet` and analyse the files instead"
        )
    host = url.host or "localhost"
    port = f":{url.port}" if url.port else ""
    properties = {"driver": _JDBC_DRIVERS[backend]}
    if url.username:
        properties["user"] = url.username
    if url.password:
        properties["password"] = str(url.password)
    for name in _JDBC_PASSED_ON:  # libpq parameters the PostgreSQL JDBC driver reads too
        value = url.query.get(name)
        if value:
            properties[name] = value if isinstance(value, str) else value[0]
    return JdbcSource(
        url=f"{_JDBC_PREFIXES[backend]}://{host}{port}/{url.database or ''}",
        queries=dict(TABLE_SQL),
        properties=properties,
    )


@dataclass(frozen=True)
class ParquetExport:
    """Where ``export_parquet`` wrote, and how many rows each table has."""

    directory: Path
    rows: dict[str, int]


def export_parquet(engine: Engine, directory: Path) -> ParquetExport:
    """Write the tables an analysis reads as ``<directory>/<table>.parquet`` (pyarrow, zstd).

    Only what the analysis needs leaves the store: order lines with their orders' customer ids,
    times and amounts, product categories, customers' countries and event types (no names or
    contact details).
    """
    directory.mkdir(parents=True, exist_ok=True)
    types: dict[str, dict[str, pl.DataType]] = {
        "order_lines": ORDER_LINE_TYPES,
        "events": EVENT_TYPES,
    }
    rows: dict[str, int] = {}
    for table in TABLES:
        frame = read_sql(engine, TABLE_SQL[table], types.get(table))
        pq.write_table(
            frame.to_arrow(compat_level=pl.CompatLevel.oldest()),
            directory / f"{table}.parquet",
            compression="zstd",
        )
        rows[table] = frame.height
        logger.info("exported %s: %d rows", table, frame.height)
    return ParquetExport(directory=directory, rows=rows)

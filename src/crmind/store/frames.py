"""Read the store as polars frames (via Arrow) for analytics.

PostgreSQL is read through ADBC (``adbc-driver-postgresql``), which hands over Arrow record
batches without a Python object per value. SQLite is read through Python's own ``sqlite3``
driver: ADBC's SQLite driver links a second copy of the SQLite library, and two copies in one
process break each other's POSIX file locks (closing one copy's file descriptor drops the other's
locks), which shows up as "disk I/O error" and can corrupt a WAL database. Where no ADBC driver is
installed, PostgreSQL rows come through SQLAlchemy too. Either way, columns get the same polars
types: SQLite keeps timestamps as text and booleans as integers, so every frame is cast to the
types its columns have in the schema.
"""

from __future__ import annotations

import importlib.util
import logging
from typing import Any

import polars as pl
from sqlalchemy import Engine

from crmind.store.order_status import is_sale_sql

logger = logging.getLogger(__name__)

FETCH_ROWS = 50_000
"""Rows turned into a frame at a time when reading through a DB-API cursor."""

ORDER_LINES_SQL = """
SELECT l.id AS line_id, o.id AS order_id, o.order_number, o.source, o.customer_id,
       o.occurred_at, o.is_return, o.channel, o.country, o.currency,
       l.line_number, l.product_id, l.quantity, l.unit_price, l.amount, l.is_outlier
FROM order_lines l JOIN orders o ON o.id = l.order_id
WHERE """ + is_sale_sql("o.status")
"""The lines of the orders that are sales: cancelled orders are left out
(:mod:`crmind.store.order_status`)."""

ORDER_LINE_TYPES: dict[str, pl.DataType] = {
    "line_id": pl.Int64(),
    "order_id": pl.Int64(),
    "order_number": pl.String(),
    "source": pl.String(),
    "customer_id": pl.Int64(),
    "occurred_at": pl.Datetime("us"),
    "is_return": pl.Boolean(),
    "channel": pl.String(),
    "country": pl.String(),
    "currency": pl.String(),
    "line_number": pl.Int64(),
    "product_id": pl.Int64(),
    "quantity": pl.Float64(),
    "unit_price": pl.Float64(),
    "amount": pl.Float64(),
    "is_outlier": pl.Boolean(),
}


def read_sql(engine: Engine, sql: str, types: dict[str, pl.DataType] | None = None) -> pl.DataFrame:
    """Run ``sql`` and return its rows as a frame, cast to ``types`` where given."""
    frame = _read_adbc(engine, sql)
    if frame is None:
        frame = _read_sqlalchemy(engine, sql)
    return coerce(frame, types or {})


def order_lines(engine: Engine) -> pl.DataFrame:
    """Every line of an order that was not cancelled, with its order's customer, time and
    return flag (one row per line)."""
    return read_sql(engine, ORDER_LINES_SQL, ORDER_LINE_TYPES)


def table_frame(
    engine: Engine, name: str, types: dict[str, pl.DataType] | None = None
) -> pl.DataFrame:
    """A whole table of the store as a frame."""
    quoted = engine.dialect.identifier_preparer.quote(name)
    return read_sql(engine, f"SELECT * FROM {quoted}", types)


def coerce(frame: pl.DataFrame, types: dict[str, pl.DataType]) -> pl.DataFrame:
    """Cast columns to ``types``; timestamps stored as text are parsed."""
    casts: list[pl.Expr] = []
    for name, dtype in types.items():
        if name not in frame.columns or frame.schema[name] == dtype:
            continue
        column = pl.col(name)
        if isinstance(dtype, pl.Datetime) and frame.schema[name] == pl.String:
            casts.append(column.str.to_datetime("%Y-%m-%d %H:%M:%S%.f", time_unit="us"))
        elif isinstance(dtype, pl.Datetime) and isinstance(frame.schema[name], pl.Datetime):
            casts.append(column.dt.replace_time_zone(None).dt.cast_time_unit("us"))
        else:
            casts.append(column.cast(dtype))
    return frame.with_columns(casts) if casts else frame


def _read_adbc(engine: Engine, sql: str) -> pl.DataFrame | None:
    if engine.dialect.name != "postgresql":
        return None
    if importlib.util.find_spec("adbc_driver_postgresql") is None:
        return None
    import adbc_driver_postgresql.dbapi as adbc_pg

    uri = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    connection: Any = adbc_pg.connect(uri)
    with connection, connection.cursor() as cursor:
        cursor.execute(sql)
        table = cursor.fetch_arrow_table()
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame


def _read_sqlalchemy(engine: Engine, sql: str) -> pl.DataFrame:
    with engine.connect() as conn:
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(sql)
            names = [column[0] for column in cursor.description]
            chunks = []
            # chunks keep the Python objects of at most FETCH_ROWS rows alive at a time
            while rows := cursor.fetchmany(FETCH_ROWS):
                chunks.append(
                    pl.DataFrame(rows, schema=names, orient="row", infer_schema_length=None)
                )
        finally:
            cursor.close()
    if not chunks:
        return pl.DataFrame(schema=names)
    return pl.concat(chunks, how="vertical_relaxed")

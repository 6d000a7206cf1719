"""Fast set-based writes and key look-ups for imports and event batches, one path per database.

SQLite gets ``executemany`` of ``INSERT ... ON CONFLICT DO NOTHING`` (one prepared statement, no
per-row Python objects beyond a tuple). PostgreSQL gets one ``INSERT ... SELECT ... ON CONFLICT
DO NOTHING`` whose rows come from ``COPY`` into a temporary table for large frames (imports), and
for frames of up to ``UNNEST_MAX_ROWS`` rows (an event batch) from ``unnest`` of one text array
per column, cast to the column's type, in the statement itself: creating and dropping a
temporary table costs more than inserting a thousand rows. Both return how many rows were really
inserted, so an import can tell new rows from rows the store already had.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Collection, Sequence
from typing import Any

import polars as pl
from sqlalchemy import (
    JSON,
    Connection,
    Dialect,
    Table,
    Text,
    and_,
    any_,
    bindparam,
    cast,
    func,
    insert,
    select,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import ColumnElement

COPY_CHUNK_ROWS = 100_000
UNNEST_MAX_ROWS = 10_000

SQLITE_DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S%.6f"
"""How SQLAlchemy's DateTime type writes to SQLite (so both read back the same)."""


def _sqlite_ready(frame: pl.DataFrame) -> pl.DataFrame:
    conversions: list[pl.Expr] = []
    for name, dtype in frame.schema.items():
        if isinstance(dtype, pl.Datetime):
            conversions.append(pl.col(name).dt.strftime(SQLITE_DATETIME_FORMAT))
        elif dtype == pl.Date:
            conversions.append(pl.col(name).dt.strftime("%Y-%m-%d"))
        elif dtype == pl.Boolean:
            conversions.append(pl.col(name).cast(pl.Int8))
        elif dtype == pl.Null:
            conversions.append(pl.col(name).cast(pl.String))
    return frame.with_columns(conversions) if conversions else frame


def _pg_ready(frame: pl.DataFrame) -> pl.DataFrame:
    nulls = [pl.col(n).cast(pl.String) for n, t in frame.schema.items() if t == pl.Null]
    return frame.with_columns(nulls) if nulls else frame


def _quoted(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)


def insert_ignore(conn: Connection, table: Table, frame: pl.DataFrame) -> int:
    """Insert the rows of ``frame`` (columns named as ``table``'s), skipping key conflicts.

    Returns the number of rows inserted.
    """
    if frame.height == 0:
        return 0
    cols = ", ".join(_quoted(conn, col) for col in frame.columns)
    target = _quoted(conn, table.name)
    if conn.dialect.name == "postgresql":
        if frame.height <= UNNEST_MAX_ROWS:
            rows, params = _pg_unnest(conn, table, frame)
            result = conn.exec_driver_sql(
                f"INSERT INTO {target} ({cols}) {rows} ON CONFLICT DO NOTHING", params
            )
            return int(result.rowcount)
        staging = _copy_to_temp(conn, table.name, frame)
        result = conn.exec_driver_sql(
            f"INSERT INTO {target} ({cols}) SELECT {cols} FROM {staging} ON CONFLICT DO NOTHING"
        )
        conn.exec_driver_sql(f"DROP TABLE {staging}")
        return int(result.rowcount)
    marks = ", ".join("?" for _ in frame.columns)
    sql = f"INSERT INTO {target} ({cols}) VALUES ({marks}) ON CONFLICT DO NOTHING"
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    inserted = 0
    for chunk in _chunks(_sqlite_ready(frame)):
        cursor.executemany(sql, chunk)
        inserted += cursor.rowcount
    cursor.close()
    return inserted


def insert_ignore_returning(
    conn: Connection, table: Table, frame: pl.DataFrame, returning: Sequence[str]
) -> list[tuple[Any, ...]]:
    """PostgreSQL only: :func:`insert_ignore`, answering the ``returning`` columns of the rows
    really inserted (a row another transaction inserted first, even one
    not yet committed when this one started, is skipped and not answered)."""
    if conn.dialect.name != "postgresql":
        raise ValueError("insert_ignore_returning is for PostgreSQL; SQLite has one writer")
    if frame.height == 0:
        return []
    cols = ", ".join(_quoted(conn, col) for col in frame.columns)
    target = _quoted(conn, table.name)
    answered = ", ".join(_quoted(conn, col) for col in returning)
    if frame.height <= UNNEST_MAX_ROWS:
        rows, params = _pg_unnest(conn, table, frame)
        result = conn.exec_driver_sql(
            f"INSERT INTO {target} ({cols}) {rows} ON CONFLICT DO NOTHING RETURNING {answered}",
            params,
        )
        return [tuple(row) for row in result]
    staging = _copy_to_temp(conn, table.name, frame)
    result = conn.exec_driver_sql(
        f"INSERT INTO {target} ({cols}) SELECT {cols} FROM {staging} "
        f"ON CONFLICT DO NOTHING RETURNING {answered}"
    )
    inserted = [tuple(row) for row in result]
    conn.exec_driver_sql(f"DROP TABLE {staging}")
    return inserted


def upsert(conn: Connection, table: Table, frame: pl.DataFrame, key: tuple[str, ...]) -> None:
    """Insert the rows of ``frame``; a row whose ``key`` columns the table holds replaces the
    stored values of the frame's other columns (``INSERT ... ON CONFLICT (key) DO UPDATE``)."""
    if frame.height == 0:
        return
    cols = ", ".join(_quoted(conn, col) for col in frame.columns)
    target = _quoted(conn, table.name)
    conflict = ", ".join(_quoted(conn, col) for col in key)
    changes = ", ".join(
        f"{_quoted(conn, col)} = excluded.{_quoted(conn, col)}"
        for col in frame.columns
        if col not in key
    )
    on_conflict = f"ON CONFLICT ({conflict}) DO UPDATE SET {changes}"
    if conn.dialect.name == "postgresql":
        if frame.height <= UNNEST_MAX_ROWS:
            rows, params = _pg_unnest(conn, table, frame)
            conn.exec_driver_sql(f"INSERT INTO {target} ({cols}) {rows} {on_conflict}", params)
            return
        staging = _copy_to_temp(conn, table.name, frame)
        conn.exec_driver_sql(
            f"INSERT INTO {target} ({cols}) SELECT {cols} FROM {staging} {on_conflict}"
        )
        conn.exec_driver_sql(f"DROP TABLE {staging}")
        return
    marks = ", ".join("?" for _ in frame.columns)
    sql = f"INSERT INTO {target} ({cols}) VALUES ({marks}) {on_conflict}"
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    for chunk in _chunks(_sqlite_ready(frame)):
        cursor.executemany(sql, chunk)
    cursor.close()


def insert_returning_ids(conn: Connection, table: Table, frame: pl.DataFrame) -> list[int]:
    """Insert every row of ``frame`` (columns named as ``table``'s; JSON columns as JSON text)
    into a table with a serial ``id``, and return the new ids in the frame's row order.

    On PostgreSQL the ids are drawn from the table's sequence first (one ``nextval`` per row in
    one statement) and inserted with the rows from ``unnest``: SQLAlchemy's ``RETURNING`` of
    a many-row insert sends a statement with a placeholder per value, a new text each time
    that psycopg parses in Python (most of a customer insert's time). SQLite gets that insert.
    """
    if frame.height == 0:
        return []
    if conn.dialect.name != "postgresql":
        records = frame.to_dicts()
        for name in frame.columns:
            if isinstance(table.c[name].type, JSON):
                decode_json_text(records, name)
        statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        return [int(row[0]) for row in conn.execute(statement, records)]
    target = _quoted(conn, table.name)
    ids: list[int] = []
    size = max(1, UNNEST_MAX_ROWS)
    for start in range(0, frame.height, size):
        chunk = frame.slice(start, size)
        drawn = conn.exec_driver_sql(
            "SELECT nextval(pg_get_serial_sequence(%(table)s, 'id')) "
            "FROM generate_series(1, %(n)s)",
            {"table": table.name, "n": chunk.height},
        )
        chunk_ids = [int(row[0]) for row in drawn]
        rows = chunk.with_columns(pl.Series("id", chunk_ids, dtype=pl.Int64)).select(
            "id", *chunk.columns
        )
        cols = ", ".join(_quoted(conn, col) for col in rows.columns)
        select_rows, params = _pg_unnest(conn, table, rows)
        conn.exec_driver_sql(f"INSERT INTO {target} ({cols}) {select_rows}", params)
        ids += chunk_ids
    return ids


def one_of(
    dialect: Dialect,
    column: ColumnElement[Any] | InstrumentedAttribute[Any],
    values: Collection[Any],
) -> ColumnElement[bool]:
    """``column IN (values)``; on PostgreSQL ``column = ANY(:values)``: one array parameter
    whatever the number of values, so the query text stays the same (a list of a thousand
    placeholders is a new text for the driver to parse on every call)."""
    if dialect.name == "postgresql":
        array = bindparam(None, sorted(values), type_=postgresql.ARRAY(column.type))
        return column == any_(array)
    return column.in_(sorted(values))


def select_by_keys(
    conn: Connection,
    table: Table,
    column: str,
    values: Collection[Any],
    columns: Sequence[str],
    where: ColumnElement[bool] | None = None,
) -> list[tuple[Any, ...]]:
    """``columns`` of the rows of ``table`` whose ``column`` is one of ``values`` (and that
    match ``where``), for a batch of at most a few thousand keys.

    SQLite gets ``column IN (...)``. PostgreSQL gets a join with ``unnest(:values)``: the plan
    probes ``column``'s index once per value whatever the table's statistics say (a table filling
    fast between two ANALYZE runs is otherwise scanned whole), and the query text stays the same
    (a list of a thousand placeholders is a new text for the driver to parse on every call).
    """
    if not values:
        return []
    target = table.c[column]
    if conn.dialect.name == "postgresql":
        literal = pg_array_literal(pl.Series(list(values)))
        array = cast(bindparam(None, literal, type_=Text()), postgresql.ARRAY(target.type))
        keys = func.unnest(array).table_valued("value").render_derived(name="wanted_keys")
        condition = target == keys.c.value
        if where is not None:
            condition = and_(condition, where)
        statement = select(*(table.c[name] for name in columns)).select_from(
            keys.join(table, condition)
        )
    else:
        statement = select(*(table.c[name] for name in columns)).where(target.in_(list(values)))
        if where is not None:
            statement = statement.where(where)
    return [tuple(row) for row in conn.execute(statement).all()]


def fetch_ids(
    conn: Connection, table: Table, keys: pl.DataFrame, id_column: str = "id"
) -> pl.DataFrame:
    """``keys`` joined to ``table`` on all of its columns, with the table's ``id_column`` added.

    Keys the table does not hold are left out.
    """
    key_cols = keys.columns
    schema: dict[str, pl.DataType] = {**keys.schema, id_column: pl.Int64()}
    if keys.height == 0:
        return pl.DataFrame(schema=schema)
    unique = keys.unique(maintain_order=True)
    target = _quoted(conn, table.name)
    on = " AND ".join(f"t.{_quoted(conn, k)} = s.{_quoted(conn, k)}" for k in key_cols)
    select = ", ".join(f"t.{_quoted(conn, k)}" for k in [*key_cols, id_column])
    if conn.dialect.name == "postgresql" and unique.height <= UNNEST_MAX_ROWS:
        wanted, params = _pg_unnest(conn, table, unique)
        rows = conn.exec_driver_sql(
            f"SELECT {select} FROM {target} t JOIN ({wanted}) s ON {on}", params
        ).fetchall()
    else:
        staging = _stage_keys(conn, table.name, unique)
        rows = conn.exec_driver_sql(
            f"SELECT {select} FROM {target} t JOIN {staging} s ON {on}"
        ).fetchall()
        conn.exec_driver_sql(f"DROP TABLE {staging}")
    found = pl.DataFrame(rows, schema=list(schema), orient="row", infer_schema_length=None)
    return found.cast({k: dtype for k, dtype in schema.items() if dtype != pl.Null}, strict=False)


def _stage_keys(conn: Connection, table_name: str, keys: pl.DataFrame) -> str:
    if conn.dialect.name == "postgresql":
        return _copy_to_temp(conn, table_name, keys)
    staging = f"_keys_{table_name}"
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{staging}")
    cols = ", ".join(_quoted(conn, k) for k in keys.columns)
    conn.exec_driver_sql(f"CREATE TEMP TABLE {staging} ({cols})")
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    marks = ", ".join("?" for _ in keys.columns)
    for chunk in _chunks(_sqlite_ready(keys)):
        cursor.executemany(f"INSERT INTO {staging} VALUES ({marks})", chunk)
    cursor.close()
    return staging


def _pg_unnest(conn: Connection, table: Table, frame: pl.DataFrame) -> tuple[str, dict[str, Any]]:
    """A SELECT of ``frame``'s rows, named as its columns and typed as ``table``'s, from one
    text array parameter per column; and its parameters."""
    literals = _pg_texts(frame).select(
        _array_literal(pl.col(name)).alias(name) for name in frame.columns
    )
    params = {f"c{index}": value for index, value in enumerate(literals.row(0))}
    arrays = ", ".join(f"%(c{index})s::text[]" for index in range(frame.width))
    names = ", ".join(f"c{index}" for index in range(frame.width))
    typed = ", ".join(
        f"u.c{index}::{table.c[name].type.compile(dialect=conn.dialect)} AS {_quoted(conn, name)}"
        for index, name in enumerate(frame.columns)
    )
    return f"SELECT {typed} FROM unnest({arrays}) AS u({names})", params


def pg_array_literal(values: pl.Series) -> str:
    """PostgreSQL's text input of a one-dimensional array of ``values`` (``{"a","b",NULL}``),
    built by polars in one pass: psycopg's array dumper visits every Python value instead, and
    that was a fifth of an event batch's time. The SQL casts it (``%(c0)s::text[]``)."""
    literal = pl.DataFrame({"v": values.cast(pl.String)}).select(_array_literal(pl.col("v")))
    return str(literal.item())


def _array_literal(texts: pl.Expr) -> pl.Expr:
    escaped = texts.str.replace_all("\\", "\\\\", literal=True).str.replace_all(
        '"', '\\"', literal=True
    )
    quoted = pl.concat_str(pl.lit('"'), escaped, pl.lit('"')).fill_null(pl.lit("NULL"))
    return pl.concat_str(pl.lit("{"), quoted.str.join(","), pl.lit("}"))


def _pg_texts(frame: pl.DataFrame) -> pl.DataFrame:
    """Every column as PostgreSQL's text input of its values (as the COPY path writes them)."""
    conversions: list[pl.Expr] = []
    for name, dtype in frame.schema.items():
        column = pl.col(name)
        if isinstance(dtype, pl.Datetime):
            conversions.append(column.dt.strftime("%Y-%m-%d %H:%M:%S%.6f"))
        elif dtype == pl.Date:
            conversions.append(column.dt.strftime("%Y-%m-%d"))
        elif dtype != pl.String:
            conversions.append(column.cast(pl.String))
    return frame.with_columns(conversions) if conversions else frame


def _copy_to_temp(conn: Connection, table_name: str, frame: pl.DataFrame) -> str:
    """COPY ``frame`` into a new temporary table shaped like columns of ``table_name``."""
    staging = f"_staging_{table_name}"
    cols = ", ".join(_quoted(conn, col) for col in frame.columns)
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {staging}")
    conn.exec_driver_sql(
        f"CREATE TEMP TABLE {staging} AS SELECT {cols} FROM {_quoted(conn, table_name)} "
        "WITH NO DATA"
    )
    raw: Any = conn.connection.driver_connection
    ready = _pg_ready(frame)
    statement = f"COPY {staging} ({cols}) FROM STDIN WITH (FORMAT csv)"
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        for start in range(0, ready.height, COPY_CHUNK_ROWS):
            # CSV written by polars: no Python object per value; an unquoted empty field is NULL
            copy.write(
                ready.slice(start, COPY_CHUNK_ROWS).write_csv(
                    include_header=False, datetime_format="%Y-%m-%d %H:%M:%S%.6f"
                )
            )
    return staging


def _chunks(frame: pl.DataFrame, size: int = 50_000) -> itertools.chain[list[tuple[Any, ...]]]:
    return itertools.chain(
        frame.slice(start, size).rows() for start in range(0, frame.height, size)
    )


def decode_json_text(records: list[dict[str, Any]], column: str) -> None:
    """Turn the JSON text of ``column`` into dicts, in place, for SQLAlchemy's JSON type
    (row-by-row inserts through SQLAlchemy, unlike :func:`insert_ignore`, need Python objects)."""
    for record in records:
        value = record.get(column)
        if isinstance(value, str):
            record[column] = json.loads(value)

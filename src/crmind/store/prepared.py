"""Statements compiled once per dialect and run on the driver's own cursor.

SQLAlchemy Core spends some 50 µs on every execution doing work that does not change between
calls of one statement: an execution context, parameter and result metadata, the row objects.
The 360° view runs nine small statements per request at hundreds of requests a second, where
that overhead is more than the queries themselves. A :class:`Prepared` statement compiles once
per dialect, then hands the driver the SQL string and the values, and converts the results
with the type processors SQLAlchemy itself would apply (SQLite's date-time text to
``datetime``, JSON text to objects), so callers get the same values either way.

Only for reads. IN-lists of literal values are fine; an IN-list parameter the caller fills
(``bindparam(..., expanding=True)``) is not supported.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Dialect, Select

Processor = Callable[[Any], Any]


@dataclass(frozen=True)
class _Compiled:
    sql: str
    positions: tuple[str, ...] | None  # parameter names in order, for positional paramstyles
    required: frozenset[str]  # parameters the caller gives
    defaults: Mapping[str, Any]  # values bound in the statement itself (literals), processed
    bind_processors: tuple[tuple[str, Processor], ...]


class Prepared:
    """A SELECT that runs without SQLAlchemy's per-execution work (see the module docstring).

    >>> CUSTOMER = Prepared(select(customers).where(customers.c.id == bindparam("id")))
    >>> CUSTOMER.first(conn, {"id": 17})  # a tuple in the select's column order, or None
    """

    def __init__(self, statement: Select[*tuple[Any, ...]]) -> None:
        self.statement = statement
        self.keys: tuple[str, ...] = tuple(str(column.key) for column in statement.selected_columns)
        self._compiled: dict[str, _Compiled] = {}
        # by dialect: found from the driver's column types on the first execution
        self._result_processors: dict[str, tuple[tuple[int, Processor], ...]] = {}

    def rows(self, conn: Connection, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Every row, as tuples in the select's column order."""
        return run_together(conn, [(self, params)])[0]

    def _send(self, conn: Connection, cursor: Any, params: Mapping[str, Any]) -> None:
        compiled = self._compiled_for(conn.dialect)
        cursor.execute(compiled.sql, self._parameters(compiled, params))

    def _receive(self, conn: Connection, cursor: Any) -> list[tuple[Any, ...]]:
        found = cursor.fetchall()
        processors = self._result_processors.get(conn.dialect.name)
        if processors is None:
            processors = self._result_processors[conn.dialect.name] = self._processors(
                conn.dialect, cursor.description
            )
        if not processors:
            return [tuple(row) for row in found]
        return [self._converted(processors, row) for row in found]

    def first(self, conn: Connection, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """The first row, or None."""
        found = self.rows(conn, params)
        return found[0] if found else None

    def mappings(self, conn: Connection, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Every row as a dict keyed by column key."""
        return [dict(zip(self.keys, row, strict=True)) for row in self.rows(conn, params)]

    @staticmethod
    def _parameters(
        compiled: _Compiled, params: Mapping[str, Any]
    ) -> Sequence[Any] | Mapping[str, Any]:
        missing = compiled.required.difference(params)
        if missing:
            raise KeyError(f"no value for the statement's parameters {sorted(missing)}")
        params = {**compiled.defaults, **params}
        for name, process in compiled.bind_processors:
            params[name] = process(params[name])
        if compiled.positions is None:
            return params
        return [params[name] for name in compiled.positions]

    @staticmethod
    def _converted(
        processors: tuple[tuple[int, Processor], ...], row: Sequence[Any]
    ) -> tuple[Any, ...]:
        values = list(row)
        for index, process in processors:
            values[index] = process(values[index])
        return tuple(values)

    def _compiled_for(self, dialect: Dialect) -> _Compiled:
        found = self._compiled.get(dialect.name)
        if found is None:
            found = self._compiled[dialect.name] = self._compile(dialect)
        return found

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self.statement.compile(dialect=dialect)
        required = {name for name, bind in compiled.binds.items() if bind.required}
        if any(compiled.binds[name].expanding for name in required):
            raise ValueError("a Prepared statement takes no IN-list parameter from its caller")
        # the SQL with literal IN-lists rendered as one parameter per value; the caller's
        # parameters get stand-ins here and their values at each execution
        expanded = compiled.construct_expanded_state(dict.fromkeys(required), escape_names=False)
        processors = expanded.processors
        defaults = {
            name: processors[name](value) if name in processors else value
            for name, value in expanded.parameters.items()
            if name not in required
        }
        return _Compiled(
            sql=expanded.statement,
            positions=tuple(expanded.positiontup or ()) if compiled.positional else None,
            required=frozenset(required),
            defaults=defaults,
            bind_processors=tuple(
                (name, processors[name]) for name in required if name in processors
            ),
        )

    def _processors(
        self, dialect: Dialect, description: Sequence[Sequence[Any]]
    ) -> tuple[tuple[int, Processor], ...]:
        """The type processors of the result columns, given the driver's type codes."""
        found = []
        for index, column in enumerate(self.statement.selected_columns):
            process = column.type._cached_result_processor(dialect, description[index][1])
            if process is not None:
                found.append((index, process))
        return tuple(found)


def run_together(
    conn: Connection, calls: Sequence[tuple[Prepared, Mapping[str, Any]]]
) -> list[list[tuple[Any, ...]]]:
    """The rows of each (statement, parameters) call, in order.

    On PostgreSQL the statements leave together in psycopg's pipeline mode: one round trip to
    the server for all of them instead of one each (on loopback a round trip costs about as
    much as a small indexed query). Elsewhere they run one after the other.
    """
    cursors = [conn.connection.cursor() for _ in calls]
    try:
        driver: Any = conn.connection.driver_connection
        if conn.dialect.name == "postgresql" and len(calls) > 1 and hasattr(driver, "pipeline"):
            with driver.pipeline():  # leaving the block waits for every result
                for cursor, (prepared, params) in zip(cursors, calls, strict=True):
                    prepared._send(conn, cursor, params)
        else:
            for cursor, (prepared, params) in zip(cursors, calls, strict=True):
                prepared._send(conn, cursor, params)
        return [
            prepared._receive(conn, cursor)
            for cursor, (prepared, _) in zip(cursors, calls, strict=True)
        ]
    finally:
        for cursor in cursors:
            cursor.close()

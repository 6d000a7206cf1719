from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import BigInteger, Engine, bindparam, insert, select

from crmind.store.prepared import Prepared, run_together
from crmind.store.schema import ModelRun, table_of

RUNS = [
    {
        "kind": "analysis",
        "status": "completed",
        "started_at": datetime(2026, 1, 2, 3, 4, 5, 678000),
        "params": {"k": 4, "names": ["a", "本"]},
        "metrics": {},
        "data_start": None,
    },
    {
        "kind": "churn_model",
        "status": "failed",
        "started_at": datetime(2026, 2, 1),
        "params": {},
        "metrics": {"auc": 0.85},
        "data_start": datetime(2025, 1, 1),
    },
    {
        "kind": "recommendations",
        "status": "completed",
        "started_at": datetime(2026, 3, 1),
        "params": {"x": True},
        "metrics": {},
        "data_start": datetime(2025, 6, 30, 23, 59, 59),
    },
]

_runs = table_of(ModelRun)
_after = bindparam("after", type_=BigInteger)
STATEMENT = (
    select(
        _runs.c.id,
        _runs.c.kind,
        _runs.c.started_at,
        _runs.c.params,
        _runs.c.metrics,
        _runs.c.data_start,
    )
    .where(
        _runs.c.kind.in_(("analysis", "churn_model", "recommendations")),  # a literal IN-list
        _runs.c.id > _after,
        _runs.c.id != _after,  # one parameter used twice
    )
    .order_by(_runs.c.id)
)


@pytest.fixture
def runs(engine: Engine) -> Engine:
    with engine.begin() as conn:
        conn.execute(insert(_runs), RUNS)
    return engine


def test_rows_equal_what_sqlalchemy_returns(runs: Engine) -> None:
    prepared = Prepared(STATEMENT)
    with runs.connect() as conn:
        for after in (0, 1, 3):
            expected = [tuple(row) for row in conn.execute(STATEMENT, {"after": after})]
            assert prepared.rows(conn, {"after": after}) == expected
    assert len(expected) == 0
    with runs.connect() as conn:
        first = prepared.first(conn, {"after": 0})
    assert first is not None
    assert first[2] == RUNS[0]["started_at"]  # a datetime, to the microsecond, on SQLite too
    assert first[3] == RUNS[0]["params"]  # JSON decoded
    assert first[5] is None


def test_mappings_and_first_of_nothing(runs: Engine) -> None:
    prepared = Prepared(STATEMENT)
    with runs.connect() as conn:
        rows = prepared.mappings(conn, {"after": 1})
        assert [row["kind"] for row in rows] == ["churn_model", "recommendations"]
        assert rows[0]["metrics"] == {"auc": 0.85}
        assert prepared.first(conn, {"after": 99}) is None


def test_a_missing_parameter_is_named(runs: Engine) -> None:
    with runs.connect() as conn, pytest.raises(KeyError, match="after"):
        Prepared(STATEMENT).rows(conn, {})


def test_statements_run_together_give_what_each_gives_alone(runs: Engine) -> None:
    """On PostgreSQL they leave together in pipeline mode; the rows must not mix up."""
    newest = Prepared(select(_runs.c.kind).order_by(_runs.c.id.desc()).limit(1))
    prepared = Prepared(STATEMENT)
    with runs.connect() as conn:
        alone = [
            prepared.rows(conn, {"after": 0}),
            newest.rows(conn, {}),
            prepared.rows(conn, {"after": 2}),
        ]
        together = run_together(
            conn, [(prepared, {"after": 0}), (newest, {}), (prepared, {"after": 2})]
        )
    assert together == alone
    assert [len(rows) for rows in together] == [3, 1, 1]

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine

from crmind.services.audit import AuditQuery, AuditRecord, cli_actor, record, search


def test_records_are_found_by_actor_customer_and_action_newest_first(
    sqlite_engine: Engine,
) -> None:
    record(
        sqlite_engine,
        AuditRecord(actor="user:ana", action="read", resource="customers", customer_id=7),
        AuditRecord(actor="user:bob", action="read", resource="customers", customer_id=8),
        AuditRecord(actor="user:ana", action="patch", resource="/customers/7", customer_id=7),
    )
    rows, count = search(sqlite_engine, AuditQuery(customer_id=7))
    assert count == 2
    assert [r["action"] for r in rows] == ["patch", "read"]
    rows, count = search(sqlite_engine, AuditQuery(actor="user:bob"))
    assert (count, rows[0]["customer_id"]) == (1, 8)
    _, count = search(sqlite_engine, AuditQuery(action="read", since=datetime(2000, 1, 1)))
    assert count == 2
    _, count = search(sqlite_engine, AuditQuery(until=datetime(2000, 1, 1)))
    assert count == 0


def test_paging_limits_rows_not_the_count(sqlite_engine: Engine) -> None:
    record(
        sqlite_engine,
        *(AuditRecord(actor="key:x", action="read", resource="r") for _ in range(5)),
    )
    rows, count = search(sqlite_engine, AuditQuery(limit=2, offset=1))
    assert (len(rows), count) == (2, 5)


def test_a_shell_user_is_named_as_a_cli_actor() -> None:
    assert cli_actor().startswith("cli:")


def test_the_writer_commits_records_of_many_threads_and_each_caller_waits_for_its_own(
    sqlite_engine: Engine,
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from crmind.services.audit import AuditWriter

    writer = AuditWriter(sqlite_engine)
    try:

        def one(i: int) -> None:
            record_ = AuditRecord(actor=f"key:{i}", action="read", resource="customers")
            writer.submit([record_]).result(timeout=30)
            _, found = search(sqlite_engine, AuditQuery(actor=f"key:{i}"))
            assert found == 1  # committed before submit's future completed

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(one, range(200)))
    finally:
        writer.close()
    assert search(sqlite_engine, AuditQuery(limit=1))[1] == 200


def test_a_failed_write_reaches_its_caller_only(sqlite_engine: Engine) -> None:
    import pytest
    from sqlalchemy.exc import StatementError

    from crmind.services.audit import AuditWriter

    writer = AuditWriter(sqlite_engine)
    bad = AuditRecord(actor="bad", action="read", resource="r", detail={"x": object()})
    good = AuditRecord(actor="ok", action="read", resource="r")
    failing, fine = writer.submit([bad]), writer.submit([good])
    with pytest.raises(StatementError):
        failing.result(timeout=30)
    fine.result(timeout=30)
    writer.close()
    assert search(sqlite_engine, AuditQuery(actor="ok"))[1] == 1
    assert search(sqlite_engine, AuditQuery(actor="bad"))[1] == 0

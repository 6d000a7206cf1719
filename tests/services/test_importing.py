from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from crmind.errors import ImportFileError, MappingError
from crmind.ingest.fields import ImportKind
from crmind.services.import_history import import_rejects
from crmind.services.importing import ImportRequest, ImportSummary, import_file
from crmind.store.schema import (
    Customer,
    CustomerIdentity,
    ImportReject,
    ImportRun,
    Order,
    OrderLine,
    Product,
)
from tests.store_cipher import hashed, plain_customers
from tests.store_probe import count, reject_reasons

ORDER_HEADER = ["order", "customer", "email", "sku", "description", "qty", "price", "date"]


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def orders_request(path: Path, **kwargs: object) -> ImportRequest:
    return ImportRequest(kind=ImportKind.ORDERS, path=path, source="shop", **kwargs)  # type: ignore[arg-type]


def balanced(summary: ImportSummary) -> bool:
    return summary.rows_read == summary.rows_stored + summary.rows_rejected


GOOD_ORDERS = [
    ["1001", "C1", "ann@example.com", "A", "Mug", "2", "3.50", "2024-03-01 10:00"],
    ["1001", "C1", "ann@example.com", "B", "Plate", "1", "5.00", "2024-03-01 10:00"],
    ["1002", "C2", "", "A", "Mug", "1", "3.50", "2024-03-02 11:30"],
    ["R1003", "C2", "", "A", "Mug", "-1", "3.50", "2024-03-05 09:00"],
    ["1004", "", "", "B", "Plate", "4", "5.00", "2024-03-06 12:00"],
]


def test_orders_are_stored_with_customers_products_and_returns(
    engine: Engine, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "orders.csv", ORDER_HEADER, GOOD_ORDERS)
    summary = import_file(engine, orders_request(path))
    assert (summary.rows_read, summary.rows_new, summary.rows_rejected) == (5, 5, 0)
    assert (count(engine, Order), count(engine, OrderLine), count(engine, Product)) == (4, 5, 2)
    assert count(engine, Customer) == 2
    with engine.connect() as conn:
        orders = dict(conn.execute(select(Order.order_number, Order.is_return)).all())
        guest = conn.execute(select(Order.customer_id).where(Order.order_number == "1004")).scalar()
        amount = conn.execute(
            select(func.sum(OrderLine.amount)).join(Order).where(Order.order_number == "1001")
        ).scalar()
    assert orders == {"1001": False, "1002": False, "R1003": True, "1004": False}
    assert guest is None
    assert amount == pytest.approx(12.0)


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (
            ["", "C1", "", "A", "Mug", "1", "1.0", "2024-03-01"],
            "missing required field 'order_number'",
        ),
        (
            ["9", "C1", "", "A", "Mug", "1", "1.0", "31/31/2024"],
            "unparseable date in occurred_at: '31/31/2024'",
        ),
        (
            ["9", "C1", "", "A", "Mug", "1", "abc", "2024-03-01"],
            "non-numeric unit_price value 'abc'",
        ),
        (["9", "C1", "", "A", "Mug", "1", "-2", "2024-03-01"], "negative unit price -2"),
        (["9", "C1", "", "A", "Mug", "0", "1.0", "2024-03-01"], "quantity is 0"),
        (
            ["9", "C1", "ann@", "A", "Mug", "1", "1.0", "2024-03-01"],
            "invalid e-mail address in email: 'ann@'",
        ),
        (
            ["9", "C1", "", "A", "Mug", "1.5x", "1.0", "2024-03-01"],
            "non-numeric quantity value '1.5x'",
        ),
    ],
)
def test_each_bad_value_is_rejected_with_its_reason_and_row(
    sqlite_engine: Engine, tmp_path: Path, row: list[str], reason: str
) -> None:
    good = ["8", "C1", "", "A", "Mug", "1", "1.0", "2024-03-01"]
    path = write_csv(tmp_path / "orders.csv", ORDER_HEADER, [good, row])
    summary = import_file(sqlite_engine, orders_request(path))
    assert (summary.rows_new, summary.rows_rejected) == (1, 1)
    assert reject_reasons(sqlite_engine, summary.run_id) == {3: reason}


def test_every_reason_of_a_row_is_kept(sqlite_engine: Engine, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "orders.csv", ORDER_HEADER, [["", "C1", "", "A", "Mug", "1", "x", "never"]]
    )
    summary = import_file(sqlite_engine, orders_request(path))
    reason = reject_reasons(sqlite_engine, summary.run_id)[2]
    assert "missing required field 'order_number'" in reason
    assert "non-numeric unit_price value 'x'" in reason
    assert "unparseable date in occurred_at: 'never'" in reason


def test_duplicate_lines_are_rejected_naming_the_first(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    line = ["1", "C1", "", "A", "Mug", "1", "1.0", "2024-03-01"]
    path = write_csv(tmp_path / "orders.csv", ORDER_HEADER, [line, line, line])
    summary = import_file(sqlite_engine, orders_request(path))
    reasons = reject_reasons(sqlite_engine, summary.run_id)
    assert sorted(reasons) == [3, 4]
    assert reasons[4].endswith("as row 2")


def test_a_line_naming_another_customer_than_its_order_is_rejected(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    rows = [
        ["1", "C1", "", "A", "Mug", "1", "1.0", "2024-03-01"],
        ["1", "C2", "", "B", "Plate", "1", "1.0", "2024-03-01"],
    ]
    summary = import_file(
        sqlite_engine, orders_request(write_csv(tmp_path / "o.csv", ORDER_HEADER, rows))
    )
    assert reject_reasons(sqlite_engine, summary.run_id) == {
        3: "order 1 belongs to customer C1 (row 2), not C2"
    }


def test_unknown_product_is_rejected_when_the_file_has_no_product_names(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    products = write_csv(tmp_path / "products.csv", ["sku", "name"], [["A", "Mug"]])
    import_file(
        sqlite_engine, ImportRequest(kind=ImportKind.PRODUCTS, path=products, source="shop")
    )
    orders = write_csv(
        tmp_path / "orders.csv",
        ["order", "sku", "qty", "price", "date"],
        [["1", "A", "1", "2", "2024-01-01"], ["2", "Z", "1", "2", "2024-01-01"]],
    )
    summary = import_file(sqlite_engine, orders_request(orders))
    assert reject_reasons(sqlite_engine, summary.run_id) == {
        3: "unknown product 'Z' (import products first)"
    }


def test_same_file_twice_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "orders.csv", ORDER_HEADER, GOOD_ORDERS)
    first = import_file(engine, orders_request(path))
    tables = (Order, OrderLine, Customer, CustomerIdentity, Product, ImportRun, ImportReject)
    before = [count(engine, t) for t in tables]
    second = import_file(engine, orders_request(path))
    assert second.status == "already imported"
    assert (second.rows_new, second.rows_existing) == (0, first.rows_stored)
    assert [count(engine, t) for t in tables] == before


def test_overlapping_file_adds_only_the_new_lines(engine: Engine, tmp_path: Path) -> None:
    import_file(
        engine, orders_request(write_csv(tmp_path / "a.csv", ORDER_HEADER, GOOD_ORDERS[:3]))
    )
    summary = import_file(
        engine, orders_request(write_csv(tmp_path / "b.csv", ORDER_HEADER, GOOD_ORDERS))
    )
    assert (summary.rows_new, summary.rows_existing) == (2, 3)
    assert balanced(summary)
    assert count(engine, OrderLine) == 5


def test_rows_with_the_same_email_phone_or_key_are_one_customer(
    engine: Engine, tmp_path: Path
) -> None:
    customers = write_csv(
        tmp_path / "customers.csv",
        ["id", "email", "phone", "first_name", "country", "loyalty_tier"],
        [
            ["K1", " Ann@Example.COM ", "020 7946 0018", "Ann", "United Kingdom", "gold"],
            ["K2", "bob@example.com", "", "Bob", "Germany", ""],
        ],
    )
    import_file(
        engine,
        ImportRequest(
            kind=ImportKind.CUSTOMERS, path=customers, source="crm", mapping={"id": "customer_id"}
        ),
    )
    orders = write_csv(
        tmp_path / "orders.csv",
        ["order", "email", "phone", "amount", "date"],
        [
            ["1", "ann@example.com", "", "10", "2024-01-01"],
            ["2", "", "+44 20 7946 0018", "10", "2024-01-02"],
            ["3", "carol@example.com", "", "10", "2024-01-03"],
            ["4", "carol@example.com", "", "10", "2024-01-04"],
        ],
    )
    import_file(engine, ImportRequest(kind=ImportKind.ORDERS, path=orders, source="web"))
    ann = next(c for c in plain_customers(engine) if c["first_name"] == "Ann")
    with engine.connect() as conn:
        owners = dict(conn.execute(select(Order.order_number, Order.customer_id)).all())
        kinds = conn.execute(
            select(CustomerIdentity.kind, CustomerIdentity.value).where(
                CustomerIdentity.customer_id == ann["id"]
            )
        ).all()
    assert owners["1"] == owners["2"] == ann["id"]
    assert owners["3"] == owners["4"] != ann["id"]
    assert count(engine, Customer) == 3
    assert ann["email"] == "ann@example.com"
    assert ann["phone"] == "+442079460018"
    assert ann["attributes"] == {"loyalty_tier": "gold"}
    assert sorted(kinds) == sorted(
        [
            ("email", hashed("ann@example.com")),
            ("phone", hashed("+442079460018")),
            ("source_key", "K1"),
        ]
    )


def test_interrupted_import_resumes_without_duplicates(engine: Engine, tmp_path: Path) -> None:
    rows = [
        [str(1000 + i), f"C{i % 3}", "", "A", "Mug", "1", "2.0", f"2024-01-{1 + i:02d}"]
        for i in range(9)
    ] + [["", "C1", "", "A", "Mug", "1", "2.0", "2024-01-01"]]
    path = write_csv(tmp_path / "orders.csv", ORDER_HEADER, rows)
    calls: list[int] = []

    def interrupt_after_first_batch(done: int, total: int) -> None:
        calls.append(done)
        if len(calls) == 2:
            raise KeyboardInterrupt

    request = orders_request(path, batch_rows=4)
    with pytest.raises(KeyboardInterrupt):
        import_file(engine, request, progress=interrupt_after_first_batch)
    with engine.connect() as conn:
        run = conn.execute(select(ImportRun.status, ImportRun.rows_committed)).one()
    assert tuple(run) == ("interrupted", 5)
    assert count(engine, OrderLine) == 4

    summary = import_file(engine, request)
    assert summary.resumed
    assert (summary.rows_read, summary.rows_new, summary.rows_rejected) == (10, 9, 1)
    assert count(engine, OrderLine) == 9
    assert count(engine, ImportRun) == 1
    assert count(engine, Customer) == 3


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "binary"),
        (b"order,amount,date\n", "no data rows"),
        (b"alpha;beta\n1;2\n", "no column for required field"),
    ],
)
def test_unreadable_files_write_nothing(
    engine: Engine, tmp_path: Path, content: bytes, problem: str
) -> None:
    path = tmp_path / "orders.csv"
    path.write_bytes(content)
    with pytest.raises(ImportFileError, match=problem) as info:
        import_file(engine, orders_request(path))
    assert str(info.value).startswith(str(path))
    assert count(engine, ImportRun) == 0


def test_missing_file_names_the_file(sqlite_engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="no such file"):
        import_file(sqlite_engine, orders_request(tmp_path / "nope.csv"))


def test_preset_of_another_kind_is_refused(sqlite_engine: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", ["email"], [["a@b.co"]])
    request = ImportRequest(kind=ImportKind.CUSTOMERS, path=path, preset="online-retail")
    with pytest.raises(MappingError, match="is for orders imports"):
        import_file(sqlite_engine, request)


def test_naive_times_are_read_in_the_given_zone_and_stored_in_utc(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "o.csv", ["order", "amount", "date"], [["1", "5", "2024-07-01 12:00"]]
    )
    import_file(sqlite_engine, orders_request(path, timezone="Europe/London"))
    with sqlite_engine.connect() as conn:
        stored = conn.execute(select(Order.occurred_at)).scalar()
    assert stored == datetime(2024, 7, 1, 11, 0)


def test_reject_report_lists_rows_beside_the_input(sqlite_engine: Engine, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "o.csv",
        ["order", "amount", "date"],
        [["1", "5", "2024-01-01"], ["2", "five", "2024-01-01"]],
    )
    summary = import_file(sqlite_engine, orders_request(path))
    assert summary.report_path == str(tmp_path / "o.csv.rejects.csv")
    with open(summary.report_path, newline="", encoding="utf-8") as handle:
        report = list(csv.DictReader(handle))
    assert [(r["row"], r["field"]) for r in report] == [("3", "amount")]
    assert '"five"' in report[0]["raw"]


def test_rejected_records_are_stored_encrypted_and_read_back_in_plain(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "o.csv",
        ["order", "email", "amount", "date"],
        [["1", "ann@example.com", "5", "2024-01-01"], ["2", "bo@example.com", "?", "2024-01-01"]],
    )
    summary = import_file(sqlite_engine, orders_request(path))
    with sqlite_engine.connect() as conn:
        stored = conn.execute(select(ImportReject.raw)).scalar_one()
    assert stored.startswith("enc1:")
    assert "bo@example.com" not in stored
    rows, count = import_rejects(sqlite_engine, summary.run_id)
    assert count == 1
    assert "bo@example.com" in rows[0]["raw"]
    assert summary.report_path is not None
    assert "bo@example.com" in Path(summary.report_path).read_text(encoding="utf-8")

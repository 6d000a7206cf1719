"""Customers, products, events and feedback imports, from the formats users export."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from sqlalchemy import Engine, select

from crmind.ingest.fields import ImportKind
from crmind.services.importing import ImportRequest, import_file
from crmind.store.schema import Event, Feedback, Product
from tests.store_cipher import plain_customers
from tests.store_probe import reject_reasons


def test_customers_from_xlsx_with_duplicates_and_bad_contacts(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "customers.xlsx"
    pl.DataFrame(
        {
            "Customer ID": ["K1", "K2", "K1", "K3", None],
            "E-mail": ["a@x.com", "not-an-email", "c@x.com", None, None],
            "Phone": ["+49 30 1234567", None, None, "12", None],
            "First Name": ["Ann", "Bob", "Cy", "Di", "Ed"],
            "Birthday": ["1980-02-01", None, None, None, None],
        }
    ).write_excel(path)
    summary = import_file(engine, ImportRequest(kind=ImportKind.CUSTOMERS, path=path, source="crm"))
    assert (summary.rows_read, summary.rows_new, summary.rows_rejected) == (5, 1, 4)
    reasons = reject_reasons(engine, summary.run_id)
    assert reasons[3] == "invalid e-mail address in email: 'not-an-email'"
    assert reasons[4] == "duplicate customer_id 'K1' within the file (first at row 2)"
    assert reasons[5] == "invalid phone number in phone: '12'"
    assert reasons[6] == "no customer_id, email or phone: the row identifies no one"
    (ann,) = plain_customers(engine)
    assert (ann["phone"], ann["birth_date"].isoformat()) == ("+49301234567", "1980-02-01")


def test_customers_import_updates_known_customers_with_given_values(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    first = tmp_path / "a.csv"
    first.write_text("id,email,city\nK1,a@x.com,Leeds\n", encoding="utf-8")
    second = tmp_path / "b.csv"
    second.write_text("id,email,city,postcode\nK1,,York,YO1\n", encoding="utf-8")
    for path in (first, second):
        import_file(
            sqlite_engine,
            ImportRequest(
                kind=ImportKind.CUSTOMERS, path=path, source="crm", mapping={"id": "customer_id"}
            ),
        )
    (customer,) = plain_customers(sqlite_engine)
    assert (customer["email"], customer["city"], customer["postcode"]) == ("a@x.com", "York", "YO1")


def test_products_from_json_keep_unmapped_columns_as_attributes(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "products.json"
    path.write_text(
        json.dumps(
            {
                "data": [
                    {"sku": "A", "name": "Mug", "price": "3.50", "colour": "red"},
                    {"sku": "B", "name": "Plate", "price": "-1"},
                ]
            }
        ),
        encoding="utf-8",
    )
    summary = import_file(engine, ImportRequest(kind=ImportKind.PRODUCTS, path=path))
    assert reject_reasons(engine, summary.run_id) == {2: "negative price -1"}
    with engine.connect() as conn:
        product = conn.execute(select(Product)).one()
    assert (product.sku, product.price, product.attributes) == ("A", 3.5, {"colour": "red"})


def test_events_from_json_lines_link_customers_and_are_idempotent_without_ids(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "events.jsonl"
    records = [
        {"type": "page_view", "time": "2024-05-01T10:00:00Z", "email": "a@x.com", "page": "/"},
        {"type": "page_view", "time": "2024-05-01T10:00:00Z", "email": "a@x.com", "page": "/"},
        {"type": "cart_add", "time": "2024-05-01T10:01:00+02:00", "email": "a@x.com"},
        {"type": "page_view", "time": "yesterday"},
    ]
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n{broken\n", encoding="utf-8")
    summary = import_file(engine, ImportRequest(kind=ImportKind.EVENTS, path=path, source="web"))
    assert (summary.rows_read, summary.rows_new, summary.rows_rejected) == (5, 3, 2)
    reasons = reject_reasons(engine, summary.run_id)
    assert reasons[4] == "unparseable date in occurred_at: 'yesterday'"
    assert reasons[5].startswith("invalid JSON")
    with engine.connect() as conn:
        events = conn.execute(
            select(
                Event.event_type, Event.occurred_at, Event.customer_id, Event.properties
            ).order_by(Event.id)
        ).all()
    assert len({e.customer_id for e in events}) == 1
    assert events[0].properties == {"page": "/"}
    assert events[2].occurred_at.hour == 8  # 10:01 at +02:00 is 08:01 UTC
    copy = tmp_path / "events-again.jsonl"
    copy.write_bytes(path.read_bytes() + b"\n")
    again = import_file(engine, ImportRequest(kind=ImportKind.EVENTS, path=copy, source="web"))
    assert (again.rows_new, again.rows_existing) == (0, 3)


def test_feedback_in_chinese_gbk_csv_is_read_and_linked_to_orders(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text("order,email,amount,date\nA1,li@x.cn,20,2024-01-01\n", encoding="utf-8")
    import_file(sqlite_engine, ImportRequest(kind=ImportKind.ORDERS, path=orders, source="shop"))
    path = tmp_path / "reviews.csv"
    path.write_bytes(
        "评论,评分,order,email\n物流很快，质量很好！,5,A1,li@x.cn\n,3,A1,li@x.cn\n".encode("gbk")
    )
    summary = import_file(
        sqlite_engine,
        ImportRequest(
            kind=ImportKind.FEEDBACK,
            path=path,
            source="shop",
            mapping={"评论": "text", "评分": "rating"},
        ),
    )
    assert reject_reasons(sqlite_engine, summary.run_id) == {3: "missing required field 'text'"}
    with sqlite_engine.connect() as conn:
        row = conn.execute(select(Feedback.text, Feedback.rating, Feedback.order_id)).one()
    assert row.text == "物流很快，质量很好！"
    assert row.rating == 5.0
    assert row.order_id is not None

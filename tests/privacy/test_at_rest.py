"""Integration: after imports, no e-mail, name, phone or address is readable in the store.

The raw SQLite file (and its write-ahead log) is scanned byte for byte; on PostgreSQL every
text column of every table is read. The store must still find, show and merge the customers.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, select, text

from crmind.ingest.fields import ImportKind
from crmind.services.customer_directory import CustomerQuery, search_customers
from crmind.services.customers import customer_view
from crmind.services.identity import customer_records
from crmind.services.importing import ImportRequest, import_file
from crmind.store.schema import Customer, Order
from tests.store_probe import count

PEOPLE = [
    # id, email, phone, first, last, address
    ("K1", "zelda.quartermaine@example.com", "+44 20 7946 0018", "Zelda", "Quartermaine",
     "17 Wibbleton Crescent"),
    ("K2", "bartholomew.oyelaran@example.org", "+44 161 496 0753", "Bartholomew", "Oyelaran",
     "4 Quillfeather Lane"),
    ("K3", "xiomara.vantongeren@example.net", "+44 113 496 0871", "Xiomara", "Vantongeren",
     "88 Ravelstoke Road"),
]  # fmt: skip
SECRETS = [
    "zelda.quartermaine",
    "bartholomew.oyelaran",
    "xiomara.vantongeren",
    "Quartermaine",
    "Oyelaran",
    "Vantongeren",
    "Bartholomew",
    "Xiomara",
    "Wibbleton",
    "Quillfeather",
    "Ravelstoke",
    "442079460018",
    "441614960753",
    "441134960871",
    "7946 0018",
]


def _write_customers(path: Path, rows: Sequence[tuple[str, ...]]) -> Path:
    lines = ["id,email,phone,first_name,last_name,name,address,city"]
    lines += [
        f"{key},{email},{phone},{first},{last},{first} {last},{address},Leeds"
        for key, email, phone, first, last, address in rows
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _import_people(engine: Engine, folder: Path) -> None:
    customers = _write_customers(folder / "customers.csv", PEOPLE)
    summary = import_file(
        engine,
        ImportRequest(
            kind=ImportKind.CUSTOMERS,
            path=customers,
            source="crm",
            mapping={"id": "customer_id"},
        ),
        reports_dir=folder,
    )
    assert (summary.rows_new, summary.rows_rejected) == (3, 0)
    orders = folder / "orders.csv"
    orders.write_text(
        "order,email,amount,date\n"
        "A1,Zelda.Quartermaine@Example.com,10,2024-01-01\n"
        "A2,bartholomew.oyelaran@example.org,12,2024-01-02\n",
        encoding="utf-8",
    )
    import_file(
        engine,
        ImportRequest(kind=ImportKind.ORDERS, path=orders, source="shop"),
        reports_dir=folder,
    )


def _found_in(blob: bytes) -> list[str]:
    lowered = blob.lower()
    return [s for s in SECRETS if s.lower().encode() in lowered]


def test_the_raw_sqlite_file_holds_no_personal_data(
    sqlite_engine: Engine, sqlite_url: str, tmp_path: Path
) -> None:
    _import_people(sqlite_engine, tmp_path)
    database = Path(sqlite_url.removeprefix("sqlite:///"))
    with sqlite_engine.connect() as conn:
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    files = [database, database.with_name(database.name + "-wal")]
    raw = b"".join(f.read_bytes() for f in files if f.exists())
    assert len(raw) > 10_000
    assert _found_in(raw) == []
    assert b"Leeds" in raw  # the scan does see plain text: the city is not personal here


@pytest.mark.postgres
def test_no_text_column_of_any_postgres_table_holds_personal_data(
    postgres_engine: Engine, tmp_path: Path
) -> None:
    _import_people(postgres_engine, tmp_path)
    columns: list[tuple[str, str]] = []
    inspector = inspect(postgres_engine)
    for table in inspector.get_table_names():
        for column in inspector.get_columns(table):
            if column["type"].python_type in (str, dict):
                columns.append((table, column["name"]))
    assert ("customers", "email") in columns
    seen: list[str] = []
    with postgres_engine.connect() as conn:
        for table, name in columns:
            values = conn.execute(text(f'SELECT "{name}"::text FROM "{table}"')).scalars()
            seen.extend(str(v) for v in values if v is not None)
    blob = "\n".join(seen).encode()
    assert _found_in(blob) == []
    assert b"Leeds" in blob


def test_search_finds_customers_by_email_phone_and_name_words(
    engine: Engine, tmp_path: Path
) -> None:
    _import_people(engine, tmp_path)

    def found(query: str) -> list[str | None]:
        rows, _ = search_customers(engine, CustomerQuery(text=query))
        return [row["last_name"] for row in rows]

    assert found("Zelda.Quartermaine@EXAMPLE.com") == ["Quartermaine"]
    assert found("020 7946 0018") == ["Quartermaine"]
    assert found("+441614960753") == ["Oyelaran"]
    assert found("xiomara") == ["Vantongeren"]
    assert found("VANTONGEREN xiomara") == ["Vantongeren"]
    assert found("xiomara oyelaran") == []  # every word must be in the same customer's name
    assert found("vantong") == []  # whole words only
    assert found("nobody@example.com") == []


def test_the_view_and_identity_resolution_read_the_plain_values(
    engine: Engine, tmp_path: Path
) -> None:
    _import_people(engine, tmp_path)
    rows, _ = search_customers(engine, CustomerQuery(text="zelda"))
    view = customer_view(engine, int(rows[0]["id"]))
    assert view.contact["email"] == "zelda.quartermaine@example.com"
    assert view.contact["phone"] == "+442079460018"
    assert view.contact["name"] == "Zelda Quartermaine"
    assert ("email", "", "zelda.quartermaine@example.com") in view.identities
    assert ("phone", "", "+442079460018") in view.identities
    records = customer_records(engine)
    assert sorted(records["email"].to_list()) == sorted(p[1] for p in PEOPLE)
    assert set(records["last_name"].to_list()) == {p[4] for p in PEOPLE}


def test_a_second_import_lands_on_the_customers_of_the_first_by_email(
    engine: Engine, tmp_path: Path
) -> None:
    _import_people(engine, tmp_path)
    again = tmp_path / "again"
    again.mkdir()
    moved = [("Z9", "ZELDA.QUARTERMAINE@example.com", "", "Zelda", "Quartermaine-Smith", "")]
    import_file(
        engine,
        ImportRequest(
            kind=ImportKind.CUSTOMERS,
            path=_write_customers(again / "customers.csv", moved),
            source="newsletter",
            mapping={"id": "customer_id"},
        ),
    )
    assert count(engine, Customer) == 3
    with engine.connect() as conn:
        owner = conn.execute(select(Order.customer_id).where(Order.order_number == "A1")).one()[0]
    assert owner is not None
    view = customer_view(engine, owner)
    assert view.contact["last_name"] == "Quartermaine-Smith"  # the newer import's value
    assert ("source_key", "newsletter", "Z9") in view.identities
    rows, _ = search_customers(engine, CustomerQuery(text="quartermaine-smith"))
    assert [row["id"] for row in rows] == [owner]
    assert search_customers(engine, CustomerQuery(text="zelda quartermaine"))[1] == 1

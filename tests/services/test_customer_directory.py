from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from crmind.ingest.fields import ImportKind
from crmind.services.customer_directory import (
    CustomerQuery,
    CustomerUpdateError,
    search_customers,
    update_customer,
)
from crmind.services.identity_store import merge_customers
from crmind.services.importing import ImportRequest, import_file
from crmind.store.schema import Customer
from tests.store_cipher import hashed, plain_customers


def _customers(engine: Engine, folder: Path) -> dict[str, int]:
    path = folder / "customers.csv"
    path.write_text(
        "id,email,phone,first_name,last_name\n"
        "K1,ann@example.com,+441234567890,Ann,Lee\n"
        "K2,bo@example.com,,Bo,Lee\n",
        encoding="utf-8",
    )
    import_file(
        engine,
        ImportRequest(
            kind=ImportKind.CUSTOMERS, path=path, source="crm", mapping={"id": "customer_id"}
        ),
    )
    return {row["first_name"]: row["id"] for row in plain_customers(engine)}


def _found(engine: Engine, query: str) -> list[int]:
    rows, count = search_customers(engine, CustomerQuery(text=query))
    assert count == len(rows)
    return [row["id"] for row in rows]


def test_a_name_word_finds_everyone_with_it_and_two_words_narrow_it(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    ids = _customers(sqlite_engine, tmp_path)
    assert _found(sqlite_engine, "lee") == [ids["Ann"], ids["Bo"]]
    assert _found(sqlite_engine, "Lee ann") == [ids["Ann"]]
    assert _found(sqlite_engine, str(ids["Bo"])) == [ids["Bo"]]
    rows, _ = search_customers(sqlite_engine, CustomerQuery(text="ann@example.com"))
    assert rows[0]["email"] == "ann@example.com"  # results come back decrypted


def test_an_update_re_encrypts_and_refreshes_what_search_uses(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    ids = _customers(sqlite_engine, tmp_path)
    updated = update_customer(
        sqlite_engine, ids["Ann"], {"last_name": "Shaw", "email": " Ann.Shaw@Example.com"}
    )
    assert (updated["last_name"], updated["email"]) == ("Shaw", "ann.shaw@example.com")
    (stored,) = plain_customers(sqlite_engine, Customer.id == ids["Ann"])
    assert stored["email_hash"] == hashed("ann.shaw@example.com")
    with sqlite_engine.connect() as conn:
        raw = conn.execute(select(Customer.last_name).where(Customer.id == ids["Ann"])).scalar()
    assert raw is not None
    assert raw.startswith("enc1:")
    assert _found(sqlite_engine, "shaw") == [ids["Ann"]]
    assert _found(sqlite_engine, "ann shaw") == [ids["Ann"]]
    assert _found(sqlite_engine, "lee") == [ids["Bo"]]  # the old name's word is gone
    assert _found(sqlite_engine, "ann.shaw@example.com") == [ids["Ann"]]
    # the address imported before stays a known identity of the customer
    assert _found(sqlite_engine, "ann@example.com") == [ids["Ann"]]


def test_clearing_a_phone_clears_its_hash(sqlite_engine: Engine, tmp_path: Path) -> None:
    ids = _customers(sqlite_engine, tmp_path)
    update_customer(sqlite_engine, ids["Ann"], {"phone": None})
    (stored,) = plain_customers(sqlite_engine, Customer.id == ids["Ann"])
    assert (stored["phone"], stored["phone_hash"]) == (None, None)
    with pytest.raises(CustomerUpdateError, match="phone"):
        update_customer(sqlite_engine, ids["Ann"], {"phone": "12"})


def test_a_merged_customer_is_found_as_its_survivor(engine: Engine, tmp_path: Path) -> None:
    ids = _customers(engine, tmp_path)
    merge_customers(engine, ids["Ann"], [ids["Bo"]])
    assert _found(engine, "bo") == [ids["Ann"]]
    assert _found(engine, "bo@example.com") == [ids["Ann"]]
    assert _found(engine, "lee") == [ids["Ann"]]

"""A store written before field encryption: migrating and opening it encrypts what it holds."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import Engine, select, text

from crmind.ingest.fields import ImportKind
from crmind.services.customer_directory import CustomerQuery, search_customers
from crmind.services.customers import customer_view
from crmind.services.field_encryption import encrypt_existing
from crmind.services.import_history import import_rejects
from crmind.services.importing import ImportRequest, import_file
from crmind.store.migrate import alembic_config, upgrade
from crmind.store.schema import CustomerIdentity, CustomerSearchToken
from tests.store_cipher import TEST_CIPHER, hashed, plain_customers


def _legacy_store(engine: Engine) -> int:
    """Migrate down to 0006 and store one customer as crmind did then: in plain text."""
    command.downgrade(alembic_config(engine), "0006")
    with engine.begin() as conn:
        customer = conn.execute(
            text(
                "INSERT INTO customers (name, first_name, last_name, email, phone, address, city) "
                "VALUES ('Ann Lee', 'Ann', 'Lee', 'ann@example.com', '+441234567890', "
                "'1 Long Road', 'Leeds') RETURNING id"
            )
        ).scalar_one()
        for kind, source, value in (
            ("source_key", "crm", "K1"),
            ("email", "", "ann@example.com"),
            ("phone", "", "+441234567890"),
        ):
            conn.execute(
                text(
                    "INSERT INTO customer_identities (customer_id, kind, source, value) "
                    "VALUES (:c, :k, :s, :v)"
                ),
                {"c": customer, "k": kind, "s": source, "v": value},
            )
    upgrade(engine)
    return int(customer)


def test_plain_values_of_an_old_store_are_encrypted_hashed_and_searchable(engine: Engine) -> None:
    customer = _legacy_store(engine)
    report = encrypt_existing(engine)
    assert (report.customers, report.identities) == (1, 2)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT email, phone, name, address, city FROM customers")).one()
        identities = dict(conn.execute(select(CustomerIdentity.kind, CustomerIdentity.value)).all())
        tokens = conn.execute(select(CustomerSearchToken.token_hash)).scalars().all()
    assert all(value.startswith("enc1:") for value in stored[:4])
    assert stored[4] == "Leeds"
    assert identities == {
        "source_key": "K1",
        "email": hashed("ann@example.com"),
        "phone": hashed("+441234567890"),
    }
    assert set(tokens) == {hashed("ann"), hashed("lee")}
    (plain,) = plain_customers(engine)
    assert (plain["email"], plain["address"]) == ("ann@example.com", "1 Long Road")
    assert plain["email_hash"] == hashed("ann@example.com")
    assert ("email", "", "ann@example.com") in customer_view(engine, customer).identities
    assert search_customers(engine, CustomerQuery(text="ANN@example.com"))[1] == 1


def test_encrypting_again_changes_nothing(engine: Engine) -> None:
    _legacy_store(engine)
    encrypt_existing(engine)
    before = plain_customers(engine)
    assert encrypt_existing(engine).customers == 0
    assert encrypt_existing(engine).identities == 0
    assert plain_customers(engine) == before


def test_an_address_hashed_since_replaces_its_plain_identity(engine: Engine) -> None:
    customer = _legacy_store(engine)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO customer_identities (customer_id, kind, source, value, "
                "encrypted_value) VALUES (:c, 'email', '', :v, :e)"
            ),
            {"c": customer, "v": hashed("ann@example.com"), "e": TEST_CIPHER.encrypt("x")},
        )
    assert encrypt_existing(engine).identities == 2
    with engine.connect() as conn:
        values = conn.execute(select(CustomerIdentity.value)).scalars().all()
    assert sorted(values) == sorted(["K1", hashed("ann@example.com"), hashed("+441234567890")])


def test_plain_rejected_records_of_an_old_store_are_encrypted(
    engine: Engine, tmp_path: Path
) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text("order,amount,date\n1,5,2024-01-01\n2,5,not-a-date\n3,5,nor-this\n")
    run_id = import_file(engine, ImportRequest(kind=ImportKind.ORDERS, path=orders)).run_id
    with engine.begin() as conn:  # as crmind stored them before: in plain text
        conn.execute(text("UPDATE import_rejects SET raw = 'ann@example.com' WHERE row = 3"))
        conn.execute(text("UPDATE import_rejects SET raw = '[erased]' WHERE row = 4"))
    assert encrypt_existing(engine).rejects == 1
    assert encrypt_existing(engine).rejects == 0
    with engine.connect() as conn:
        stored: dict[int, str] = dict(
            conn.execute(text("SELECT row, raw FROM import_rejects")).all()
        )
    assert stored[3].startswith("enc1:")
    assert stored[4] == "[erased]"  # the erasure's marker holds nothing to hide
    rows, _ = import_rejects(engine, run_id)
    assert [r["raw"] for r in rows] == ["ann@example.com", "[erased]"]

"""The field cipher of the test stores, and reading customers back in plain text."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from crmind.privacy.binding import cipher_of
from crmind.privacy.crypto import FieldCipher
from crmind.privacy.customer_fields import ENCRYPTED_FIELDS
from crmind.store.schema import Customer

TEST_CIPHER = FieldCipher.from_secret(b"the field cipher of the test stores")
"""The cipher the store fixtures of tests/conftest.py attach to their engines."""


def plain_customers(engine: Engine, *where: Any) -> list[dict[str, Any]]:
    """Customers (every column, by id) with their personal fields decrypted."""
    cipher = cipher_of(engine)
    with engine.connect() as conn:
        rows = conn.execute(select(Customer.__table__).where(*where).order_by(Customer.id))
        customers = [dict(row._mapping) for row in rows]
    for customer in customers:
        for name in ENCRYPTED_FIELDS:
            customer[name] = cipher.decrypt(customer[name], f"customers.{name}")
    return customers


def hashed(value: str) -> str:
    """The search hash the test stores keep for ``value`` (an e-mail, a phone, a word)."""
    result = TEST_CIPHER.search_hash(value)
    assert result is not None
    return result

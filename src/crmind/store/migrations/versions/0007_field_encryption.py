"""field encryption of personal data

Customers' e-mail and phone get keyed search hashes (``email_hash``, ``phone_hash``) in place of
the indexes on the values, which are now stored encrypted (``phone`` becomes TEXT: ciphertext is
longer than 32 characters); the words of names get ``customer_search_tokens``; e-mail and phone
identities keep their hash as ``value`` and the address encrypted in ``encrypted_value``. A
migration has no key, so it cannot encrypt what is already stored: ``crmind init``
(``init_store``) does that right after migrating
(:func:`crmind.services.field_encryption.encrypt_existing`).

On SQLite the phone column is swapped in place (add, copy, drop, rename; SQLite 3.35 or newer)
rather than by rebuilding the customers table, which the foreign keys of every table that
points at customers would refuse.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 09:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _is_sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _swap_phone_type(new_type: str) -> None:
    """SQLite: give ``customers.phone`` the type ``new_type`` without rebuilding the table."""
    op.execute(f"ALTER TABLE customers ADD COLUMN phone_swap {new_type}")
    op.execute("UPDATE customers SET phone_swap = phone")
    op.execute("ALTER TABLE customers DROP COLUMN phone")
    op.execute("ALTER TABLE customers RENAME COLUMN phone_swap TO phone")


def upgrade() -> None:
    op.drop_index("ix_customers_email", table_name="customers")
    op.drop_index("ix_customers_phone", table_name="customers")
    if _is_sqlite():
        _swap_phone_type("TEXT")
    else:
        op.alter_column("customers", "phone", existing_type=sa.String(length=32), type_=sa.Text())
    op.add_column("customers", sa.Column("email_hash", sa.String(length=64), nullable=True))
    op.add_column("customers", sa.Column("phone_hash", sa.String(length=64), nullable=True))
    op.create_index("ix_customers_email_hash", "customers", ["email_hash"], unique=False)
    op.create_index("ix_customers_phone_hash", "customers", ["phone_hash"], unique=False)
    op.add_column("customer_identities", sa.Column("encrypted_value", sa.Text(), nullable=True))

    op.create_table(
        "customer_search_tokens",
        sa.Column(
            "customer_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_search_tokens_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint(
            "customer_id", "token_hash", name=op.f("pk_customer_search_tokens")
        ),
    )
    op.create_index(
        op.f("ix_customer_search_tokens_token_hash"),
        "customer_search_tokens",
        ["token_hash"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_customer_search_tokens_token_hash"), table_name="customer_search_tokens")
    op.drop_table("customer_search_tokens")
    if _is_sqlite():
        op.execute("ALTER TABLE customer_identities DROP COLUMN encrypted_value")
    else:
        op.drop_column("customer_identities", "encrypted_value")
    op.drop_index("ix_customers_phone_hash", table_name="customers")
    op.drop_index("ix_customers_email_hash", table_name="customers")
    if _is_sqlite():
        op.execute("ALTER TABLE customers DROP COLUMN phone_hash")
        op.execute("ALTER TABLE customers DROP COLUMN email_hash")
        _swap_phone_type("VARCHAR(32)")
    else:
        op.drop_column("customers", "phone_hash")
        op.drop_column("customers", "email_hash")
        op.alter_column("customers", "phone", existing_type=sa.Text(), type_=sa.String(length=32))
    op.create_index("ix_customers_phone", "customers", ["phone"], unique=False)
    op.create_index("ix_customers_email", "customers", ["email"], unique=False)

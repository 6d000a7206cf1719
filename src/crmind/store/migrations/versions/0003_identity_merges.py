"""identity merges

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 18:32:56.417000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "identity_exclusions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "customer_a", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "customer_b", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "customer_a < customer_b", name=op.f("ck_identity_exclusions_ordered_pair")
        ),
        sa.ForeignKeyConstraint(
            ["customer_a"],
            ["customers.id"],
            name=op.f("fk_identity_exclusions_customer_a_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_b"],
            ["customers.id"],
            name=op.f("fk_identity_exclusions_customer_b_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_exclusions")),
        sa.UniqueConstraint(
            "customer_a", "customer_b", name=op.f("uq_identity_exclusions_customer_a_customer_b")
        ),
    )
    with op.batch_alter_table("identity_exclusions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_identity_exclusions_customer_b"), ["customer_b"], unique=False
        )

    op.create_table(
        "identity_merges",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "survivor_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "merged_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("probability", sa.Double(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column(
            "moved",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "previous_merged_into",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column("undone_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["merged_id"], ["customers.id"], name=op.f("fk_identity_merges_merged_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["previous_merged_into"],
            ["customers.id"],
            name=op.f("fk_identity_merges_previous_merged_into_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["survivor_id"], ["customers.id"], name=op.f("fk_identity_merges_survivor_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_merges")),
    )
    with op.batch_alter_table("identity_merges", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_identity_merges_merged_id"), ["merged_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_identity_merges_survivor_id"), ["survivor_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("identity_merges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_merges_survivor_id"))
        batch_op.drop_index(batch_op.f("ix_identity_merges_merged_id"))

    op.drop_table("identity_merges")
    with op.batch_alter_table("identity_exclusions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_exclusions_customer_b"))

    op.drop_table("identity_exclusions")

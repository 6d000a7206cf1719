"""live customer state updated by real-time events

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 09:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "customer_live_state",
        sa.Column("customer_id", _ID, nullable=False),
        sa.Column("analysis_run_id", _ID, nullable=True),
        sa.Column("last_event_at", sa.DateTime(), nullable=True),
        sa.Column("first_purchase_at", sa.DateTime(), nullable=True),
        sa.Column("last_purchase_at", sa.DateTime(), nullable=True),
        sa.Column("purchase_days", sa.Integer(), nullable=False),
        sa.Column("last_gap_days", sa.Double(), nullable=True),
        sa.Column("event_counts", _JSON, nullable=False),
        sa.Column("purchases", sa.Integer(), nullable=False),
        sa.Column("revenue", sa.Double(), nullable=False),
        sa.Column("lifecycle_stage", sa.String(length=20), nullable=True),
        sa.Column("stage_as_of", sa.DateTime(), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["analysis_run_id"],
            ["model_runs.id"],
            name=op.f("fk_customer_live_state_analysis_run_id_model_runs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_live_state_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_customer_live_state")),
    )


def downgrade() -> None:
    op.drop_table("customer_live_state")

"""campaigns: campaigns, their runs, experiment members and messages

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 17:30:00
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _created(name: str) -> sa.Column[datetime]:
    return sa.Column(
        name, sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", _ID, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("spec", _JSON, nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        _created("created_at"),
        _created("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
        sa.UniqueConstraint("name", name=op.f("uq_campaigns_name")),
    )
    op.create_table(
        "campaign_runs",
        sa.Column("id", _ID, nullable=False),
        sa.Column("campaign_id", _ID, nullable=False),
        sa.Column("trigger_key", sa.String(length=200), nullable=False),
        _created("started_at"),
        sa.Column("counts", _JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_runs_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_runs")),
        sa.UniqueConstraint(
            "campaign_id", "trigger_key", name=op.f("uq_campaign_runs_campaign_id_trigger_key")
        ),
    )
    op.create_table(
        "campaign_members",
        sa.Column("campaign_id", _ID, nullable=False),
        sa.Column("customer_id", _ID, nullable=False),
        sa.Column("group_name", sa.String(length=20), nullable=False),
        sa.Column("run_id", _ID, nullable=False),
        sa.Column("assigned_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_members_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_campaign_members_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["campaign_runs.id"],
            name=op.f("fk_campaign_members_run_id_campaign_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("campaign_id", "customer_id", name=op.f("pk_campaign_members")),
    )
    op.create_table(
        "campaign_messages",
        sa.Column("id", _ID, nullable=False),
        sa.Column("campaign_id", _ID, nullable=False),
        sa.Column("run_id", _ID, nullable=False),
        sa.Column("customer_id", _ID, nullable=False),
        sa.Column("trigger_key", sa.String(length=200), nullable=False),
        sa.Column("variant", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("content", _JSON, nullable=True),
        _created("created_at"),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_messages_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_campaign_messages_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["campaign_runs.id"],
            name=op.f("fk_campaign_messages_run_id_campaign_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_messages")),
        sa.UniqueConstraint(
            "campaign_id",
            "customer_id",
            "trigger_key",
            name=op.f("uq_campaign_messages_campaign_id_customer_id_trigger_key"),
        ),
    )
    op.create_index(
        "ix_campaign_messages_status_due",
        "campaign_messages",
        ["status", "next_attempt_at"],
        unique=False,
    )
    op.create_index(
        "ix_campaign_messages_customer_id_created_at",
        "campaign_messages",
        ["customer_id", "created_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_campaign_messages_customer_id_created_at", table_name="campaign_messages")
    op.drop_index("ix_campaign_messages_status_due", table_name="campaign_messages")
    op.drop_table("campaign_messages")
    op.drop_table("campaign_members")
    op.drop_table("campaign_runs")
    op.drop_table("campaigns")

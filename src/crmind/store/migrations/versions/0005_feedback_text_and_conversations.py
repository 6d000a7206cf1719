"""feedback text analysis and service conversations

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 21:35:56.526162
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feedback_topics",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "model_run_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("topic", sa.Integer(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column(
            "keywords",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_run_id"],
            ["model_runs.id"],
            name=op.f("fk_feedback_topics_model_run_id_model_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_topics")),
        sa.UniqueConstraint(
            "model_run_id",
            "language",
            "topic",
            name=op.f("uq_feedback_topics_model_run_id_language_topic"),
        ),
    )
    op.create_table(
        "conversations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("channel", sa.String(length=50), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("origin", sa.String(length=50), nullable=False),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("priority", sa.String(length=20), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("assigned_to", sa.String(length=200), nullable=True),
        sa.Column(
            "feedback_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'pending', 'closed')", name=op.f("ck_conversations_status")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_conversations_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["feedback_id"], ["feedback.id"], name=op.f("fk_conversations_feedback_id_feedback")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_conversations_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
        sa.UniqueConstraint("feedback_id", name=op.f("uq_conversations_feedback_id")),
    )
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_conversations_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index("ix_conversations_status", ["status"], unique=False)

    op.create_table(
        "feedback_analyses",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "model_run_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "feedback_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("mixed_language", sa.Boolean(), nullable=False),
        sa.Column("label", sa.String(length=10), nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column(
            "drivers",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "aspects",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("alert", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["feedback_id"], ["feedback.id"], name=op.f("fk_feedback_analyses_feedback_id_feedback")
        ),
        sa.ForeignKeyConstraint(
            ["model_run_id"],
            ["model_runs.id"],
            name=op.f("fk_feedback_analyses_model_run_id_model_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_analyses")),
        sa.UniqueConstraint(
            "model_run_id",
            "feedback_id",
            name=op.f("uq_feedback_analyses_model_run_id_feedback_id"),
        ),
    )
    with op.batch_alter_table("feedback_analyses", schema=None) as batch_op:
        batch_op.create_index("ix_feedback_analyses_feedback_id", ["feedback_id"], unique=False)

    op.create_table(
        "feedback_topic_members",
        sa.Column("topic_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "feedback_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("weight", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["feedback_id"],
            ["feedback.id"],
            name=op.f("fk_feedback_topic_members_feedback_id_feedback"),
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"],
            ["feedback_topics.id"],
            name=op.f("fk_feedback_topic_members_topic_id_feedback_topics"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("topic_id", "feedback_id", name=op.f("pk_feedback_topic_members")),
    )
    with op.batch_alter_table("feedback_topic_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_feedback_topic_members_feedback_id"), ["feedback_id"], unique=False
        )

    op.create_table(
        "messages",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "conversation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("intent", sa.String(length=100), nullable=True),
        sa.Column("confidence", sa.Double(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_messages_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_messages_conversation_id"), ["conversation_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_messages_conversation_id"))

    op.drop_table("messages")
    with op.batch_alter_table("feedback_topic_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_topic_members_feedback_id"))

    op.drop_table("feedback_topic_members")
    with op.batch_alter_table("feedback_analyses", schema=None) as batch_op:
        batch_op.drop_index("ix_feedback_analyses_feedback_id")

    op.drop_table("feedback_analyses")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index("ix_conversations_status")
        batch_op.drop_index(batch_op.f("ix_conversations_customer_id"))

    op.drop_table("conversations")
    op.drop_table("feedback_topics")

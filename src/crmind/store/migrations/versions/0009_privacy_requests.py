"""privacy requests: model runs flagged for retraining after an erasure

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 10:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("model_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retrain_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("retrain_requested_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("model_runs", schema=None) as batch_op:
        batch_op.drop_column("retrain_requested_at")
        batch_op.drop_column("retrain_reason")

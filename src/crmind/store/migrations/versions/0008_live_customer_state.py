"""live customer state updated by real-time events (filled in by the events work)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 09:45:00
"""

from __future__ import annotations

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

"""speed event retention

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01

Speed events get a retention period (90 days by default, like programmes) after which attendees'
answers are deleted, and the time that was done.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("speed_events") as batch:
        batch.add_column(sa.Column("retention_days", sa.Integer(), nullable=False, server_default="90"))
        batch.add_column(sa.Column("text_purged_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("speed_events") as batch:
        batch.drop_column("text_purged_at")
        batch.drop_column("retention_days")

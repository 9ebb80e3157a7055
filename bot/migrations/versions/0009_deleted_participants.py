"""deleted participants

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01

A keyed hash (never the Slack id) of each person who asked for their data to be deleted from a
programme, so that re-importing the roster does not add them back.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deleted_participants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programmes.id"],
            name=op.f("fk_deleted_participants_programme_id_programmes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deleted_participants")),
        sa.UniqueConstraint("programme_id", "subject", name=op.f("uq_deleted_participants_programme_id_subject")),
    )
    op.create_index(
        op.f("ix_deleted_participants_programme_id"), "deleted_participants", ["programme_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_deleted_participants_programme_id"), table_name="deleted_participants")
    op.drop_table("deleted_participants")

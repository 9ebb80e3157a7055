"""per-person data keys

Revision ID: 0017
Revises: 0014
Create Date: 2026-12-02

Issue 13, "deletion that deletes": each person's sensitive text is encrypted under a data key of
their own, kept here wrapped by the app key; deletion and retention destroy the key. Rows written
before this revision stay under the app key until ``python -m bot reencrypt`` moves them to
per-person keys (README, "Security").
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "data_keys",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("scope", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("wrapped", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_keys")),
        sa.UniqueConstraint("scope", "subject", name=op.f("uq_data_keys_scope_subject")),
    )
    op.create_index(op.f("ix_data_keys_scope"), "data_keys", ["scope"], unique=False)
    op.create_index(op.f("ix_data_keys_subject"), "data_keys", ["subject"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_data_keys_subject"), table_name="data_keys")
    op.drop_index(op.f("ix_data_keys_scope"), table_name="data_keys")
    op.drop_table("data_keys")

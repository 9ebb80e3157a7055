"""per-person data keys and reflection-rating releases

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02

Issue 13, "deletion that deletes": each person's sensitive text is encrypted under a data key of
their own, kept here wrapped by the app key; deletion and retention destroy the key. Rows written
before this revision stay under the app key until ``python -m bot reencrypt`` moves them to
per-person keys (README, "Security").

Reflection ratings are released to leads in batches, like surveys (0010_impact_releases):
``reflections.ratings_released`` and ``rating_releases``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
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

    with op.batch_alter_table("reflections") as batch_op:
        batch_op.add_column(sa.Column("ratings_released", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table(
        "rating_releases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("question", sa.String(length=16), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("distribution", sa.JSON(), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programmes.id"],
            name=op.f("fk_rating_releases_programme_id_programmes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rating_releases")),
        sa.UniqueConstraint(
            "programme_id", "role", "question", name=op.f("uq_rating_releases_programme_id_role_question")
        ),
    )
    with op.batch_alter_table("rating_releases") as batch_op:
        batch_op.create_index(batch_op.f("ix_rating_releases_programme_id"), ["programme_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("rating_releases") as batch_op:
        batch_op.drop_index(batch_op.f("ix_rating_releases_programme_id"))
    op.drop_table("rating_releases")
    with op.batch_alter_table("reflections") as batch_op:
        batch_op.drop_column("ratings_released")
    op.drop_index(op.f("ix_data_keys_subject"), table_name="data_keys")
    op.drop_index(op.f("ix_data_keys_scope"), table_name="data_keys")
    op.drop_table("data_keys")

"""impact releases

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01

Survey figures are released to leads in batches: the last released figures per programme, survey
and role, and which answers they include, so that no difference between two reports isolates one
person's answer.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("survey_responses") as batch:
        batch.add_column(sa.Column("released", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "impact_releases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("respondents", sa.Integer(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programmes.id"],
            name=op.f("fk_impact_releases_programme_id_programmes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_impact_releases")),
        sa.UniqueConstraint("programme_id", "kind", "role", name=op.f("uq_impact_releases_programme_id_kind_role")),
    )
    op.create_index(op.f("ix_impact_releases_programme_id"), "impact_releases", ["programme_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_impact_releases_programme_id"), table_name="impact_releases")
    op.drop_table("impact_releases")
    with op.batch_alter_table("survey_responses") as batch:
        batch.drop_column("released")

"""sessions and scheduling

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mentoring_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("ics_uid", sa.String(length=120), nullable=False),
        sa.Column("ics_sequence", sa.Integer(), nullable=False),
        sa.Column("booked_by", sa.String(length=32), nullable=False),
        sa.Column("mentor_answer", sa.String(length=8), nullable=True),
        sa.Column("mentee_answer", sa.String(length=8), nullable=True),
        sa.Column("cancel_reason", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pair_id"], ["pairs.id"], name=op.f("fk_mentoring_sessions_pair_id_pairs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programmes.id"],
            name=op.f("fk_mentoring_sessions_programme_id_programmes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mentoring_sessions")),
        sa.UniqueConstraint("ics_uid", name=op.f("uq_mentoring_sessions_ics_uid")),
    )
    with op.batch_alter_table("mentoring_sessions", schema=None) as batch_op:
        batch_op.create_index("ix_mentoring_sessions_pair_starts", ["pair_id", "starts_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_mentoring_sessions_programme_id"), ["programme_id"], unique=False)

    op.create_table(
        "pair_schedules",
        sa.Column("pair_id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("window_starts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_ends", sa.DateTime(timezone=True), nullable=False),
        sa.Column("at_risk", sa.Boolean(), nullable=False),
        sa.Column("at_risk_reason", sa.String(length=40), nullable=True),
        sa.Column("at_risk_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pair_id"], ["pairs.id"], name=op.f("fk_pair_schedules_pair_id_pairs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programmes.id"],
            name=op.f("fk_pair_schedules_programme_id_programmes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pair_id", name=op.f("pk_pair_schedules")),
    )
    with op.batch_alter_table("pair_schedules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pair_schedules_at_risk"), ["at_risk"], unique=False)
        batch_op.create_index(batch_op.f("ix_pair_schedules_programme_id"), ["programme_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pair_schedules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pair_schedules_programme_id"))
        batch_op.drop_index(batch_op.f("ix_pair_schedules_at_risk"))
    op.drop_table("pair_schedules")
    with op.batch_alter_table("mentoring_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mentoring_sessions_programme_id"))
        batch_op.drop_index("ix_mentoring_sessions_pair_starts")
    op.drop_table("mentoring_sessions")

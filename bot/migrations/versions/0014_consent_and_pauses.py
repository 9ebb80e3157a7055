"""consent and pauses

Revision ID: 0014
Revises: 0013
Create Date: 2027-01-10

"Safe to say no" (issue 14): a match is offered to the mentor first (``match_offers``), with a
deadline the programme sets (``programmes.consent_days``); "No thanks" to an invitation is
recorded (``invitation_refusals``); anyone can pause and resume (``participation_pauses``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("programmes") as batch_op:
        batch_op.add_column(sa.Column("consent_days", sa.Integer(), server_default="3", nullable=False))

    op.create_table(
        "match_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("mentor_user_id", sa.String(length=32), nullable=False),
        sa.Column("mentee_user_id", sa.String(length=32), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("approved_by", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pair_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programmes.id"],
            name=op.f("fk_match_offers_programme_id_programmes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pair_id"], ["pairs.id"], name=op.f("fk_match_offers_pair_id_pairs"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_offers")),
    )
    with op.batch_alter_table("match_offers") as batch_op:
        batch_op.create_index(batch_op.f("ix_match_offers_programme_id"), ["programme_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_match_offers_mentee_user_id"), ["mentee_user_id"], unique=False)
        batch_op.create_index("ix_match_offers_status_mentor", ["status", "mentor_user_id"], unique=False)

    op.create_table(
        "invitation_refusals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("refused_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programmes.id"],
            name=op.f("fk_invitation_refusals_programme_id_programmes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation_refusals")),
        sa.UniqueConstraint("programme_id", "user_id", name=op.f("uq_invitation_refusals_programme_id_user_id")),
    )
    with op.batch_alter_table("invitation_refusals") as batch_op:
        batch_op.create_index(batch_op.f("ix_invitation_refusals_programme_id"), ["programme_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_invitation_refusals_user_id"), ["user_id"], unique=False)

    op.create_table(
        "participation_pauses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("by_lead", sa.Boolean(), nullable=False),
        sa.Column("weeks", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programmes.id"],
            name=op.f("fk_participation_pauses_programme_id_programmes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pair_id"], ["pairs.id"], name=op.f("fk_participation_pauses_pair_id_pairs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participation_pauses")),
    )
    with op.batch_alter_table("participation_pauses") as batch_op:
        batch_op.create_index(batch_op.f("ix_participation_pauses_programme_id"), ["programme_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_participation_pauses_pair_id"), ["pair_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_participation_pauses_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_table("participation_pauses")
    op.drop_table("invitation_refusals")
    op.drop_table("match_offers")
    with op.batch_alter_table("programmes") as batch_op:
        batch_op.drop_column("consent_days")

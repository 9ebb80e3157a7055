"""programmes enrolment matching

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 02:39:48.280135
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "programmes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("cross_organisation", sa.Boolean(), nullable=False),
        sa.Column("cadence_min_days", sa.Integer(), nullable=False),
        sa.Column("cadence_max_days", sa.Integer(), nullable=False),
        sa.Column("session_minutes", sa.Integer(), nullable=False),
        sa.Column("planned_sessions", sa.Integer(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("alerts_channel_id", sa.String(length=32), nullable=True),
        sa.Column("support_resources", sa.Text(), nullable=False),
        sa.Column("enrolment_open", sa.Boolean(), nullable=False),
        sa.Column("retention_days", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programmes")),
        sa.UniqueConstraint("name", name=op.f("uq_programmes_name")),
    )
    op.create_table(
        "enrolments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("real_name", sa.String(length=200), nullable=False),
        sa.Column("organisation", sa.String(length=150), nullable=False),
        sa.Column("department", sa.String(length=150), nullable=False),
        sa.Column("title", sa.String(length=150), nullable=False),
        sa.Column("line_manager_id", sa.String(length=32), nullable=True),
        sa.Column("pronouns", sa.String(length=40), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("can_bring", sa.Text(), nullable=False),
        sa.Column("hope_to_get", sa.Text(), nullable=False),
        sa.Column("off_limits", sa.Text(), nullable=True),
        sa.Column("inclusion_statement", sa.Text(), nullable=True),
        sa.Column("understanding_gap", sa.Text(), nullable=True),
        sa.Column("do_not_pair_with", sa.Text(), nullable=True),
        sa.Column("tz", sa.String(length=64), nullable=False),
        sa.Column("work_start", sa.Time(), nullable=False),
        sa.Column("work_end", sa.Time(), nullable=False),
        sa.Column("work_days", sa.JSON(), nullable=False),
        sa.Column("privacy_confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programmes.id"], name=op.f("fk_enrolments_programme_id_programmes"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrolments")),
        sa.UniqueConstraint("programme_id", "user_id", name=op.f("uq_enrolments_programme_id_user_id")),
    )
    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_enrolments_programme_id"), ["programme_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_enrolments_user_id"), ["user_id"], unique=False)

    op.create_table(
        "match_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("mentor_user_id", sa.String(length=32), nullable=False),
        sa.Column("mentee_user_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programmes.id"], name=op.f("fk_match_rules_programme_id_programmes"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_rules")),
        sa.UniqueConstraint(
            "programme_id",
            "mentor_user_id",
            "mentee_user_id",
            name=op.f("uq_match_rules_programme_id_mentor_user_id_mentee_user_id"),
        ),
    )
    with op.batch_alter_table("match_rules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_match_rules_programme_id"), ["programme_id"], unique=False)

    op.create_table(
        "pairs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("mentor_user_id", sa.String(length=32), nullable=False),
        sa.Column("mentee_user_id", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("approved_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("group_dm_channel_id", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programmes.id"], name=op.f("fk_pairs_programme_id_programmes"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pairs")),
    )
    with op.batch_alter_table("pairs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pairs_mentee_user_id"), ["mentee_user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pairs_mentor_user_id"), ["mentor_user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pairs_programme_id"), ["programme_id"], unique=False)

    op.create_table(
        "programme_leads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("is_backup", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programmes.id"],
            name=op.f("fk_programme_leads_programme_id_programmes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_leads")),
        sa.UniqueConstraint("programme_id", "user_id", name=op.f("uq_programme_leads_programme_id_user_id")),
    )
    with op.batch_alter_table("programme_leads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_programme_leads_programme_id"), ["programme_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_programme_leads_user_id"), ["user_id"], unique=False)

    op.create_table(
        "proposed_pairs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("mentor_user_id", sa.String(length=32), nullable=False),
        sa.Column("mentee_user_id", sa.String(length=32), nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programmes.id"],
            name=op.f("fk_proposed_pairs_programme_id_programmes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposed_pairs")),
    )
    with op.batch_alter_table("proposed_pairs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_proposed_pairs_programme_id"), ["programme_id"], unique=False)

    op.create_table(
        "waiting_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programmes.id"],
            name=op.f("fk_waiting_notes_programme_id_programmes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waiting_notes")),
        sa.UniqueConstraint("programme_id", "user_id", name=op.f("uq_waiting_notes_programme_id_user_id")),
    )
    with op.batch_alter_table("waiting_notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_waiting_notes_programme_id"), ["programme_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("waiting_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_waiting_notes_programme_id"))

    op.drop_table("waiting_notes")
    with op.batch_alter_table("proposed_pairs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proposed_pairs_programme_id"))

    op.drop_table("proposed_pairs")
    with op.batch_alter_table("programme_leads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_programme_leads_user_id"))
        batch_op.drop_index(batch_op.f("ix_programme_leads_programme_id"))

    op.drop_table("programme_leads")
    with op.batch_alter_table("pairs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pairs_programme_id"))
        batch_op.drop_index(batch_op.f("ix_pairs_mentor_user_id"))
        batch_op.drop_index(batch_op.f("ix_pairs_mentee_user_id"))

    op.drop_table("pairs")
    with op.batch_alter_table("match_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_match_rules_programme_id"))

    op.drop_table("match_rules")
    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enrolments_user_id"))
        batch_op.drop_index(batch_op.f("ix_enrolments_programme_id"))

    op.drop_table("enrolments")
    op.drop_table("programmes")

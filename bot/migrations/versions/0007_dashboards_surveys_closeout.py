"""dashboards surveys closeout

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22

Impact survey responses, programme close-out, mentors' consent to be thanked by name, and the
record of deletions (counts only). Encrypted columns are plain ``Text`` here: the application
encrypts before writing.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "survey_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programmes.id"],
            name=op.f("fk_survey_responses_programme_id_programmes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_responses")),
        sa.UniqueConstraint(
            "programme_id", "user_id", "kind", name=op.f("uq_survey_responses_programme_id_user_id_kind")
        ),
    )
    with op.batch_alter_table("survey_responses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_survey_responses_programme_id"), ["programme_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_survey_responses_user_id"), ["user_id"], unique=False)

    op.create_table(
        "programme_closeouts",
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("closed_by", sa.String(length=32), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recognition_channel_id", sa.String(length=32), nullable=True),
        sa.Column("text_purged_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programmes.id"],
            name=op.f("fk_programme_closeouts_programme_id_programmes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("programme_id", name=op.f("pk_programme_closeouts")),
    )

    op.create_table(
        "recognition_consents",
        sa.Column("pair_id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("mentor_user_id", sa.String(length=32), nullable=False),
        sa.Column("answer", sa.String(length=8), nullable=True),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["pair_id"], ["pairs.id"], name=op.f("fk_recognition_consents_pair_id_pairs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programmes.id"],
            name=op.f("fk_recognition_consents_programme_id_programmes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pair_id", name=op.f("pk_recognition_consents")),
    )
    with op.batch_alter_table("recognition_consents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recognition_consents_programme_id"), ["programme_id"], unique=False)

    op.create_table(
        "data_deletions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=True),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_deletions")),
    )
    with op.batch_alter_table("data_deletions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_data_deletions_programme_id"), ["programme_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("data_deletions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_data_deletions_programme_id"))
    op.drop_table("data_deletions")
    with op.batch_alter_table("recognition_consents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recognition_consents_programme_id"))
    op.drop_table("recognition_consents")
    op.drop_table("programme_closeouts")
    with op.batch_alter_table("survey_responses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_responses_user_id"))
        batch_op.drop_index(batch_op.f("ix_survey_responses_programme_id"))
    op.drop_table("survey_responses")

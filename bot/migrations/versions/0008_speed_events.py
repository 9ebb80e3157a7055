"""speed events

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22

Reverse speed mentoring events: the event (with its rotation plan as JSON of ids), its leads, its
invited participants (RSVP, organisation, time zone, a mentee's private pre-event answers) and
their private feedback. Encrypted columns are plain ``Text`` here: the application encrypts
before writing.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "speed_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tz", sa.String(length=64), nullable=False),
        sa.Column("round_minutes", sa.Integer(), nullable=False),
        sa.Column("rounds", sa.Integer(), nullable=False),
        sa.Column("briefing_minutes", sa.Integer(), nullable=False),
        sa.Column("location", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=True),
        sa.Column("plan_version", sa.Integer(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("programme_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programmes.id"],
            name=op.f("fk_speed_events_programme_id_programmes"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_speed_events")),
        sa.UniqueConstraint("name", name=op.f("uq_speed_events_name")),
    )

    op.create_table(
        "speed_event_leads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["speed_events.id"],
            name=op.f("fk_speed_event_leads_event_id_speed_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_speed_event_leads")),
        sa.UniqueConstraint("event_id", "user_id", name=op.f("uq_speed_event_leads_event_id_user_id")),
    )
    with op.batch_alter_table("speed_event_leads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_speed_event_leads_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_speed_event_leads_user_id"), ["user_id"], unique=False)

    op.create_table(
        "speed_event_participants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("rsvp", sa.String(length=8), nullable=False),
        sa.Column("organisation", sa.String(length=150), nullable=False),
        sa.Column("real_name", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=150), nullable=False),
        sa.Column("tz", sa.String(length=64), nullable=False),
        sa.Column("inclusion_statement", sa.Text(), nullable=True),
        sa.Column("understanding_gap", sa.Text(), nullable=True),
        sa.Column("dropped_from_round", sa.Integer(), nullable=True),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("invited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["speed_events.id"],
            name=op.f("fk_speed_event_participants_event_id_speed_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_speed_event_participants")),
        sa.UniqueConstraint("event_id", "user_id", name=op.f("uq_speed_event_participants_event_id_user_id")),
    )
    with op.batch_alter_table("speed_event_participants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_speed_event_participants_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_speed_event_participants_user_id"), ["user_id"], unique=False)

    op.create_table(
        "speed_event_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("usefulness", sa.Integer(), nullable=False),
        sa.Column("recommend", sa.String(length=8), nullable=False),
        sa.Column("start_programme", sa.String(length=8), nullable=False),
        sa.Column("interested", sa.Boolean(), nullable=False),
        sa.Column("learned", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["speed_events.id"],
            name=op.f("fk_speed_event_feedback_event_id_speed_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_speed_event_feedback")),
        sa.UniqueConstraint("event_id", "user_id", name=op.f("uq_speed_event_feedback_event_id_user_id")),
    )
    with op.batch_alter_table("speed_event_feedback", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_speed_event_feedback_event_id"), ["event_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("speed_event_feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_speed_event_feedback_event_id"))
    op.drop_table("speed_event_feedback")
    with op.batch_alter_table("speed_event_participants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_speed_event_participants_user_id"))
        batch_op.drop_index(batch_op.f("ix_speed_event_participants_event_id"))
    op.drop_table("speed_event_participants")
    with op.batch_alter_table("speed_event_leads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_speed_event_leads_user_id"))
        batch_op.drop_index(batch_op.f("ix_speed_event_leads_event_id"))
    op.drop_table("speed_event_leads")
    op.drop_table("speed_events")

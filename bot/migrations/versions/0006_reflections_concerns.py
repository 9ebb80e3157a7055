"""reflections concerns

Private reflections, concerns and the concerns' append-only audit trail. Encrypted columns are
``Text`` (Fernet tokens). The audit trail refuses UPDATE at the database level with a trigger, on
PostgreSQL and on SQLite,
except the re-encryption of a note during key rotation.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

APPEND_ONLY_MESSAGE = "concern_events is append-only: the audit trail cannot be edited"
ROTATION_ONLY_PG = (
    "NEW.id = OLD.id AND NEW.concern_id = OLD.concern_id AND NEW.at = OLD.at AND NEW.action = OLD.action "
    "AND NEW.actor_user_id IS NOT DISTINCT FROM OLD.actor_user_id AND OLD.note IS NOT NULL AND NEW.note IS NOT NULL"
)
ROTATION_ONLY_SQLITE = (
    "NEW.id = OLD.id AND NEW.concern_id = OLD.concern_id AND NEW.at = OLD.at AND NEW.action = OLD.action "
    "AND NEW.actor_user_id IS OLD.actor_user_id AND OLD.note IS NOT NULL AND NEW.note IS NOT NULL"
)


def upgrade() -> None:
    op.create_table(
        "reflections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("author_user_id", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("takeaways", sa.Text(), nullable=False),
        sa.Column("do_differently", sa.Text(), nullable=False),
        sa.Column("explore_next", sa.Text(), nullable=True),
        sa.Column("safety", sa.Integer(), nullable=True),
        sa.Column("usefulness", sa.Integer(), nullable=True),
        sa.Column("share_takeaways", sa.Boolean(), nullable=False),
        sa.Column("shared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["mentoring_sessions.id"],
            name=op.f("fk_reflections_session_id_mentoring_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pair_id"], ["pairs.id"], name=op.f("fk_reflections_pair_id_pairs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programmes.id"], name=op.f("fk_reflections_programme_id_programmes"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reflections")),
        sa.UniqueConstraint("session_id", "author_user_id", name=op.f("uq_reflections_session_id_author_user_id")),
    )
    with op.batch_alter_table("reflections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reflections_author_user_id"), ["author_user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reflections_pair_id"), ["pair_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reflections_programme_id"), ["programme_id"], unique=False)

    op.create_table(
        "concerns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=True),
        sa.Column("reporter_user_id", sa.String(length=32), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("urgency", sa.String(length=12), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("what_would_help", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("outcome_note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=32), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programmes.id"], name=op.f("fk_concerns_programme_id_programmes"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["pair_id"], ["pairs.id"], name=op.f("fk_concerns_pair_id_pairs"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_concerns")),
    )
    with op.batch_alter_table("concerns", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_concerns_programme_id"), ["programme_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_concerns_reporter_user_id"), ["reporter_user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_concerns_status"), ["status"], unique=False)

    op.create_table(
        "concern_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("concern_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_user_id", sa.String(length=32), nullable=True),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["concern_id"], ["concerns.id"], name=op.f("fk_concern_events_concern_id_concerns"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_concern_events")),
    )
    with op.batch_alter_table("concern_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_concern_events_concern_id"), ["concern_id"], unique=False)

    # The audit trail is append-only: nobody, not even a script with database access, edits it.
    # The one UPDATE allowed is key rotation (`python -m bot reencrypt`): a note re-encrypted with a
    # new key, every other column unchanged.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION concern_events_append_only() RETURNS trigger AS $$
            BEGIN
                IF {ROTATION_ONLY_PG} THEN
                    RETURN NEW;
                END IF;
                RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER concern_events_no_update BEFORE UPDATE ON concern_events "
            "FOR EACH ROW EXECUTE FUNCTION concern_events_append_only()"
        )
    else:
        op.execute(
            "CREATE TRIGGER concern_events_no_update BEFORE UPDATE ON concern_events "
            f"WHEN NOT ({ROTATION_ONLY_SQLITE}) "
            f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS concern_events_no_update ON concern_events")
        op.execute("DROP FUNCTION IF EXISTS concern_events_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS concern_events_no_update")
    with op.batch_alter_table("concern_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_concern_events_concern_id"))
    op.drop_table("concern_events")
    with op.batch_alter_table("concerns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_concerns_status"))
        batch_op.drop_index(batch_op.f("ix_concerns_reporter_user_id"))
        batch_op.drop_index(batch_op.f("ix_concerns_programme_id"))
    op.drop_table("concerns")
    with op.batch_alter_table("reflections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reflections_programme_id"))
        batch_op.drop_index(batch_op.f("ix_reflections_pair_id"))
        batch_op.drop_index(batch_op.f("ix_reflections_author_user_id"))
    op.drop_table("reflections")

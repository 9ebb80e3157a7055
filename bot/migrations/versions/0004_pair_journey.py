"""pair journey (introductions, icebreakers, contracts, agendas)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22

Introductions and role briefings need no tables of their own: they are outbox rows, keyed per pair.
Encrypted columns are plain ``Text`` here: the application encrypts before writing.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pair_icebreakers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=False),
        sa.Column("icebreaker_id", sa.String(length=64), nullable=False),
        sa.Column("asked_by", sa.String(length=32), nullable=False),
        sa.Column("shown_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pair_id"], ["pairs.id"], name=op.f("fk_pair_icebreakers_pair_id_pairs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pair_icebreakers")),
        sa.UniqueConstraint("pair_id", "icebreaker_id", name=op.f("uq_pair_icebreakers_pair_id_icebreaker_id")),
    )
    with op.batch_alter_table("pair_icebreakers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pair_icebreakers_pair_id"), ["pair_id"], unique=False)

    op.create_table(
        "pair_contracts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(length=32), nullable=False),
        sa.Column("mentor_agreed_version", sa.Integer(), nullable=True),
        sa.Column("mentee_agreed_version", sa.Integer(), nullable=True),
        sa.Column("agreed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_agreed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pinned_channel_id", sa.String(length=32), nullable=True),
        sa.Column("pinned_ts", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pair_id"], ["pairs.id"], name=op.f("fk_pair_contracts_pair_id_pairs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pair_contracts")),
        sa.UniqueConstraint("pair_id", name=op.f("uq_pair_contracts_pair_id")),
    )

    op.create_table(
        "agendas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=True),
        sa.Column("message_ts", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["pair_id"], ["pairs.id"], name=op.f("fk_agendas_pair_id_pairs"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agendas")),
    )
    with op.batch_alter_table("agendas", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agendas_pair_id"), ["pair_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_agendas_session_id"), ["session_id"], unique=False)

    op.create_table(
        "agenda_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agenda_id", sa.Integer(), nullable=False),
        sa.Column("author_user_id", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agenda_id"], ["agendas.id"], name=op.f("fk_agenda_items_agenda_id_agendas"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agenda_items")),
    )
    with op.batch_alter_table("agenda_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agenda_items_agenda_id"), ["agenda_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("agenda_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agenda_items_agenda_id"))
    op.drop_table("agenda_items")
    with op.batch_alter_table("agendas", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agendas_session_id"))
        batch_op.drop_index(batch_op.f("ix_agendas_pair_id"))
    op.drop_table("agendas")
    op.drop_table("pair_contracts")
    with op.batch_alter_table("pair_icebreakers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pair_icebreakers_pair_id"))
    op.drop_table("pair_icebreakers")

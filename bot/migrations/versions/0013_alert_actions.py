"""alert_actions: what a programme lead did about an alert on a pair, from the alert itself

Revision ID: 0013
Revises: 0012
Create Date: 2027-01-15
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=False),
        sa.Column("alert", sa.String(length=200), nullable=False),
        sa.Column("alert_kind", sa.String(length=40), nullable=False),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("actor_user_id", sa.String(length=32), nullable=False),
        sa.Column("addressee_user_id", sa.String(length=32), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),  # encrypted by the app
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pair_id"], ["pairs.id"], name=op.f("fk_alert_actions_pair_id_pairs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programmes.id"],
            name=op.f("fk_alert_actions_programme_id_programmes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_actions")),
    )
    op.create_index(op.f("ix_alert_actions_alert"), "alert_actions", ["alert"], unique=False)
    op.create_index(op.f("ix_alert_actions_pair_id"), "alert_actions", ["pair_id"], unique=False)
    op.create_index(op.f("ix_alert_actions_programme_id"), "alert_actions", ["programme_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_alert_actions_programme_id"), table_name="alert_actions")
    op.drop_index(op.f("ix_alert_actions_pair_id"), table_name="alert_actions")
    op.drop_index(op.f("ix_alert_actions_alert"), table_name="alert_actions")
    op.drop_table("alert_actions")

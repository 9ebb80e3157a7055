"""induction before stepping in

Revision ID: 0017
Revises: 0016
Create Date: 2027-01-20

Issue 15 item 4: each person's completed induction steps (``induction_steps``, one row per person,
step and scope) and completed inductions (``induction_completions``), for a programme
(``programme:<id>``) or a speed event's briefing (``event:<id>``); and the programme setting
``programmes.require_induction`` (matching leaves out anyone who has not completed it).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def _scoped_columns(table: str) -> list[sa.Column | sa.ForeignKeyConstraint]:
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=40), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=True),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id"], ["programmes.id"], name=op.f(f"fk_{table}_programme_id_programmes"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["speed_events.id"], name=op.f(f"fk_{table}_event_id_speed_events"), ondelete="CASCADE"
        ),
    ]


def upgrade() -> None:
    with op.batch_alter_table("programmes") as batch_op:
        batch_op.add_column(sa.Column("require_induction", sa.Boolean(), nullable=False, server_default=sa.false()))

    op.create_table(
        "induction_steps",
        *_scoped_columns("induction_steps"),
        sa.Column("step", sa.String(length=64), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_induction_steps")),
        sa.UniqueConstraint("scope", "user_id", "step", name=op.f("uq_induction_steps_scope_user_id_step")),
    )
    op.create_table(
        "induction_completions",
        *_scoped_columns("induction_completions"),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_induction_completions")),
        sa.UniqueConstraint("scope", "user_id", name=op.f("uq_induction_completions_scope_user_id")),
    )
    for table in ("induction_steps", "induction_completions"):
        with op.batch_alter_table(table) as batch_op:
            for column in ("programme_id", "event_id", "user_id"):
                batch_op.create_index(batch_op.f(f"ix_{table}_{column}"), [column], unique=False)


def downgrade() -> None:
    op.drop_table("induction_completions")
    op.drop_table("induction_steps")
    with op.batch_alter_table("programmes") as batch_op:
        batch_op.drop_column("require_induction")

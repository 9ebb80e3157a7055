"""shared pacing and rate-limit counts

Revision ID: 0018
Revises: 0017
Create Date: 2027-01-20

Issue 12: every dispatcher process paces each conversation through one table
(``conversation_pacing``: a token bucket per conversation, keyed by a digest of the conversation so
it holds no Slack ids; times are epoch seconds on the app's clock, so one UPDATE can refill and spend
a token on both databases), and an outbox row counts the rate limits it met (``outbox.rate_limited``)
so a row Slack keeps refusing for rate limits ends, and the leads hear why.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conversation_pacing",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("refilled_at", sa.Float(), nullable=False),
        sa.Column("reserved_until", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_conversation_pacing")),
    )
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.add_column(sa.Column("rate_limited", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.drop_column("rate_limited")
    op.drop_table("conversation_pacing")

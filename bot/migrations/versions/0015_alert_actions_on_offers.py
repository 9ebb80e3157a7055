"""alert actions on offers: a lead can act on a declined or lapsed match, which has no pair

Revision ID: 0015
Revises: 0014
Create Date: 2027-01-20

"Every alert can be acted on" (issue 14, item 4): a match the mentor declined, or let lapse, never
became a pair, so what a lead did about its alert names the offer instead (``offer_id``) and
``pair_id`` may be empty. Long pauses are pair alerts and need nothing new here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alert_actions") as batch_op:
        batch_op.alter_column("pair_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("offer_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_alert_actions_offer_id_match_offers"), "match_offers", ["offer_id"], ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_index(batch_op.f("ix_alert_actions_offer_id"), ["offer_id"], unique=False)


def downgrade() -> None:
    op.execute("DELETE FROM alert_actions WHERE pair_id IS NULL")
    with op.batch_alter_table("alert_actions") as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_actions_offer_id"))
        batch_op.drop_constraint(batch_op.f("fk_alert_actions_offer_id_match_offers"), type_="foreignkey")
        batch_op.drop_column("offer_id")
        batch_op.alter_column("pair_id", existing_type=sa.Integer(), nullable=False)

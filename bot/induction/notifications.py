"""The induction's timed message: one gentle reminder, with the next step and its "Done" button, in a
programme that requires the induction before matching.

It is rendered from the database when it is due, so someone who has completed the induction, left
the programme or whose programme closed in the meantime is sent nothing.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from bot.blockkit import context
from bot.content import Content
from bot.errors import NotAllowed, NotFound
from bot.induction import service
from bot.induction.blocks import step_message
from bot.models import OutboxMessage, Programme
from bot.outbox import Kind, Rendered, Skip


def render_reminder(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    scope = service.Scope.programme(int(row.payload.get("programme_id") or 0))
    programme = session.get(Programme, scope.id)
    if programme is None or programme.status != "active":
        return Skip("the programme is closed")
    if not programme.require_induction:
        return Skip("the programme no longer requires the induction before matching")
    try:
        progress = service.progress_in(session, content, scope, row.recipient_user_id or "")
    except (NotAllowed, NotFound):
        return Skip("the person is no longer in the programme")
    if progress.completed:
        return Skip("the induction is already completed")
    text, blocks = step_message(content, progress)
    blocks.insert(len(blocks) - 1, context(content.induction.required_note))
    return Rendered(text=text, blocks=blocks, user_id=row.recipient_user_id)


KINDS = {
    # Still worth sending late (it is a gentle nudge); skipped once the induction is done.
    service.REMINDER_KIND: Kind(render_reminder, skip_if_later_than=timedelta(days=14)),
}

"""Impact survey invitations and their one reminder, rendered when sent.

Nothing is sent to someone who has answered, left the programme or deleted their data.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.blocks.surveys import invitation_message
from bot.content import Content
from bot.models import Enrolment, OutboxMessage, Programme
from bot.services import outbox, surveys
from bot.services.outbox import Rendered, Skip
from bot.services.surveys import SurveyTask


def _render(session: Session, row: OutboxMessage, content: Content, *, reminder: bool) -> Rendered | Skip:
    programme_id = int(row.payload["programme_id"])
    kind = str(row.payload["survey"])
    user_id = row.recipient_user_id or ""
    programme = session.get(Programme, programme_id)
    enrolment = session.scalar(
        select(Enrolment).where(Enrolment.programme_id == programme_id, Enrolment.user_id == user_id)
    )
    if programme is None or enrolment is None or enrolment.status == "left":
        return Skip("the person is no longer in the programme")
    if kind != "end" and programme.status != "active":
        return Skip("the programme has closed")
    if surveys.has_answered(session, programme_id, user_id, kind):
        return Skip("already answered")
    task = SurveyTask(programme_id, programme.name, kind, enrolment.role)
    text, blocks = invitation_message(
        content, task, reminder=reminder, min_group=int(row.payload.get("min_group") or 5)
    )
    return Rendered(text=text, blocks=blocks, user_id=user_id)


def render_invitation(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    return _render(session, row, content, reminder=False)


def render_reminder(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    return _render(session, row, content, reminder=True)


outbox.register_kind(surveys.INVITATION_KIND, render_invitation)
outbox.register_kind(surveys.REMINDER_KIND, render_reminder)

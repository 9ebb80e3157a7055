"""Impact survey invitations and their one reminder, rendered when sent.

Nothing is sent to someone who has answered, left the programme or deleted their data, and no
baseline ("before you start") once the person's sessions have started.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.content import Content
from bot.impact import surveys
from bot.impact.survey_blocks import invitation_message
from bot.impact.surveys import SurveyTask
from bot.models import Enrolment, OutboxMessage, Programme
from bot.outbox import Kind, Rendered, Skip


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
    if kind == "baseline" and surveys.sessions_started(session, programme_id, user_id):
        return Skip("sessions have started: a 'before you start' survey would no longer be true")
    task = SurveyTask(programme_id, programme.name, kind, enrolment.role)
    text, blocks = invitation_message(content, task, reminder=reminder, min_group=content.setting("min_group_size"))
    return Rendered(text=text, blocks=blocks, user_id=user_id)


def render_invitation(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    return _render(session, row, content, reminder=False)


def render_reminder(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    return _render(session, row, content, reminder=True)


# Every timed message this feature sends: its kind, how it renders, its overdue policy.
KINDS: dict[str, Kind] = {
    surveys.INVITATION_KIND: Kind(render_invitation),
    surveys.REMINDER_KIND: Kind(render_reminder),
}

"""Messages about enrolment sent through the outbox."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.blockkit import actions, button, context, escape, section
from bot.content import Content
from bot.models import OutboxMessage, Programme
from bot.outbox import Kind, Rendered, Skip
from bot.programmes.imports import INVITATION_KIND, still_enrolled


def render_import_invitation(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    programme = session.get(Programme, int(row.payload["programme_id"]))
    if programme is None or programme.status != "active":
        return Skip("the programme is closed")
    if not still_enrolled(session, programme.id, row.recipient_user_id):
        return Skip("the person left or asked for their data to be deleted")
    text = (
        f"Your programme lead has added you to *{escape(programme.name)}*, a reverse mentoring programme: junior "
        "colleagues mentor senior leaders, so leaders learn how work is really experienced. "
        "Please check your profile and confirm the privacy notice, so you can be matched."
    )
    return Rendered(
        text=text,
        blocks=[
            section(text),
            actions(button("Review my profile", "edit_profile", str(programme.id), style="primary")),
            context("Nothing is shared with a partner until you are matched. You can leave at any time."),
        ],
        user_id=row.recipient_user_id,
    )


# Every timed message this feature sends: its kind, how it renders, its overdue policy.
KINDS: dict[str, Kind] = {
    INVITATION_KIND: Kind(render_import_invitation),
}

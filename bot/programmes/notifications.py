"""Messages about enrolment sent through the outbox."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.blockkit import actions, button, channel_mention, context, date, escape, mention, section
from bot.clock import as_utc
from bot.concerns import pair_alerts
from bot.concerns.pair_alert_blocks import pair_alert_message
from bot.content import Content
from bot.models import Enrolment, OutboxMessage, Pair, ParticipationPause, Programme
from bot.outbox import Kind, Rendered, Skip
from bot.programmes import leads_alerts, pauses
from bot.programmes.access import is_lead
from bot.programmes.enrolment_blocks import NO_THANKS, NO_THANKS_LABEL, guide_blocks
from bot.programmes.imports import INVITATION_KIND, still_enrolled
from bot.programmes.leads_channel import NOT_INVITED_ERRORS
from bot.programmes.pause_blocks import lead_notice, partner_notice, resume_prompt, resumed_message
from bot.programmes.refusals import refused_in
from bot.programmes.service import LEAD_GUIDE


def render_import_invitation(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    programme = session.get(Programme, int(row.payload["programme_id"]))
    if programme is None or programme.status != "active":
        return Skip("the programme is closed")
    if not still_enrolled(session, programme.id, row.recipient_user_id):
        return Skip("the person left or asked for their data to be deleted")
    if refused_in(session, programme.id, [row.recipient_user_id or ""]):
        return Skip("the person said no thanks")
    text = (
        f"Your programme lead has added you to *{escape(programme.name)}*, a reverse mentoring programme: junior "
        "colleagues mentor senior leaders, so leaders learn how work is really experienced. "
        "Please check your profile and confirm the privacy notice, so you can be matched."
    )
    return Rendered(
        text=text,
        blocks=[
            section(text),
            actions(
                button("Review my profile", "edit_profile", str(programme.id), style="primary"),
                button(NO_THANKS_LABEL, NO_THANKS, str(programme.id)),
            ),
            context(
                "Nothing is shared with a partner until you are matched. If you'd rather not take part, "
                "say no thanks: no reason needed, and I won't ask again."
            ),
        ],
        user_id=row.recipient_user_id,
    )


def _pause(session: Session, row: OutboxMessage) -> ParticipationPause | None:
    return session.get(ParticipationPause, int(row.payload.get("pause_id") or 0))


def render_pause_partner_notice(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    pair = session.get(Pair, int(row.payload.get("pair_id") or 0))
    if pair is None:
        return Skip("the pair no longer exists")
    what = str(row.payload.get("what") or "break")
    if what == "break" and pair.status != "paused":
        return Skip("the break ended before this notice went out")
    if what == "back" and pair.status != "active":
        return Skip("the pair is not active")
    programme = session.get(Programme, pair.programme_id)
    text, blocks = partner_notice(content, programme.name if programme else "your programme", what)
    return Rendered(text=text, blocks=blocks, user_id=row.recipient_user_id)


def render_pause_lead_notice(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    record = _pause(session, row)
    if record is None:
        return Skip("the pause no longer exists")
    if row.recipient_user_id is None or not is_lead(session, record.programme_id, row.recipient_user_id):
        return Skip("the recipient is no longer a lead of this programme")
    programme = session.get(Programme, record.programme_id)
    name = session.scalar(
        select(Enrolment.real_name).where(
            Enrolment.programme_id == record.programme_id, Enrolment.user_id == record.user_id
        )
    )
    ends_at = as_utc(record.ends_at) if record.ends_at else None
    text, blocks = lead_notice(
        content, programme.name if programme else "", name or "A participant", str(row.payload.get("what")), ends_at
    )
    return Rendered(text=text, blocks=blocks, user_id=row.recipient_user_id)


def render_resume_prompt(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    record = _pause(session, row)
    if record is None or record.ended_at is not None or record.ends_at is None:
        return Skip("the break has already ended, or has no end")
    programme = session.get(Programme, record.programme_id)
    tz = session.scalar(
        select(Enrolment.tz).where(Enrolment.programme_id == record.programme_id, Enrolment.user_id == record.user_id)
    )
    text, blocks = resume_prompt(
        content, programme.name if programme else "", as_utc(record.ends_at), tz or "UTC", record.id
    )
    return Rendered(text=text, blocks=blocks, user_id=record.user_id)


def render_auto_resume(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    """Checks state at the end of a fixed break: resumes it (both told by their own rows). Posts nothing itself."""
    if pauses.end_if_due(session, int(row.payload.get("pause_id") or 0)):
        return Skip("the break ended by itself: resumed, both told")
    return Skip("the break had already ended or changed")


def render_resumed_notice(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    record = _pause(session, row)
    if record is None:
        return Skip("the pause no longer exists")
    programme = session.get(Programme, record.programme_id)
    text = resumed_message(programme.name if programme else "", by_itself=True)
    return Rendered(text=text, blocks=[section(text)], user_id=record.user_id)


def render_leads_channel_failed(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    """To a lead: the leads' channel refused an alert (the alert itself follows by DM), and why."""
    programme = session.get(Programme, row.programme_id or 0)
    if programme is None:
        return Skip("the programme no longer exists")
    if row.recipient_user_id is None or not is_lead(session, programme.id, row.recipient_user_id):
        return Skip("the recipient is no longer a lead of this programme")
    channel = str(row.payload.get("channel_id") or "")
    words = (
        "leads_channel_not_invited"
        if str(row.payload.get("error")) in NOT_INVITED_ERRORS
        else "leads_channel_unusable"
    )
    text = content.message(words, channel=channel_mention(channel), programme=escape(programme.name))
    return Rendered(text=text, blocks=[section(text)], user_id=row.recipient_user_id)


def long_pause_text(session: Session, row: OutboxMessage) -> str | None:
    """A long break's alert words (None when the pause is gone): at send time and for updated copies."""
    record = _pause(session, row)
    if record is None:
        return None
    programme = session.get(Programme, record.programme_id)
    name = session.scalar(
        select(Enrolment.real_name).where(
            Enrolment.programme_id == record.programme_id, Enrolment.user_id == record.user_id
        )
    )
    since = as_utc(record.started_at)
    weeks = int(row.payload.get("long_weeks") or 4)
    return (
        f"{escape(name or 'A participant')} has been taking a break from "
        f"*{escape(programme.name if programme else '')}* for more than {weeks} weeks (since "
        f"{date(since, '{date_short_pretty}', since.strftime('%d %b %Y'))}), so their pair is on hold. "
        "No reason is asked or needed. You may want to check in gently with either person, or end the pair "
        "so their partner can be matched again."
    )


def render_long_pause_alert(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    record = _pause(session, row)
    if record is None or record.ended_at is not None:
        return Skip("the break has ended")
    if row.recipient_user_id is None or not is_lead(session, record.programme_id, row.recipient_user_id):
        return Skip("the recipient is no longer a lead of this programme")
    text = long_pause_text(session, row)
    state = pair_alerts.state_for_row(session, row)
    if text is None or state is None:
        return Skip("the pair no longer exists")
    return Rendered(text=text, blocks=pair_alert_message(content, text, state), user_id=row.recipient_user_id)


def render_lead_guide(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    """The lead's guide, to someone just appointed lead or backup lead (sent once)."""
    programme = session.get(Programme, row.programme_id or 0)
    if programme is None:
        return Skip("the programme no longer exists")
    if row.recipient_user_id is None or not is_lead(session, programme.id, row.recipient_user_id):
        return Skip("the recipient is no longer a lead of this programme")
    by = str(row.payload.get("by") or "")
    role = "the backup lead" if row.payload.get("backup") else "a programme lead"
    who = f"{mention(by)} has made you" if by and by != row.recipient_user_id else "You are"
    intro = (
        f"{who} {role} of *{escape(programme.name)}*. As an independent lead you match pairs, receive "
        "concerns and keep an eye on how pairs are doing. Type `/mentoring help` to see the lead commands. "
        "Here is your guide."
    )
    title, blocks = guide_blocks(content, "lead")
    text = f"{title}: you are {role} of {escape(programme.name)}"
    return Rendered(text=text, blocks=[section(intro), *blocks], user_id=row.recipient_user_id)


# Every timed message this feature sends: its kind, how it renders, its overdue policy.
KINDS: dict[str, Kind] = {
    INVITATION_KIND: Kind(render_import_invitation),
    pauses.PARTNER_NOTICE: Kind(render_pause_partner_notice),
    pauses.LEAD_NOTICE: Kind(render_pause_lead_notice),
    pauses.RESUME_PROMPT: Kind(render_resume_prompt),
    pauses.AUTO_RESUME: Kind(render_auto_resume),
    pauses.RESUMED_NOTICE: Kind(render_resumed_notice),
    leads_alerts.CHANNEL_FAILED: Kind(render_leads_channel_failed),
    LEAD_GUIDE: Kind(render_lead_guide),
    pauses.LONG_PAUSE_ALERT: Kind(render_long_pause_alert),
}

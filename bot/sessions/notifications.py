"""What the session messages say, rendered from the database when they are due.

Overdue policy after downtime (``skip_if_later_than``, plus checks against the session itself):

- ``session_reminder_day``: skipped if more than 12 hours late, or once the session has started.
- ``session_reminder_hour``: skipped if more than 45 minutes late, or once the session has started.
- ``session_did_you_meet``: always still sent (the question stays useful), unless already answered.
- ``session_update`` (booking, move, cancellation with the calendar invite): always sent, unless a
  later change superseded it (its own notice follows).
- ``session_book_next``, ``session_nudge``: still sent if the pair still has nothing booked.
- ``pair_at_risk``, ``session_answers_conflict``: always sent (the lead should know, even late).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot import outbox
from bot.blockkit import name_or_mention
from bot.clock import as_utc, now
from bot.concerns import pair_alerts
from bot.concerns.pair_alert_blocks import pair_alert_message
from bot.content import Content
from bot.errors import NotFound
from bot.models import MentoringSession, OutboxMessage, Pair
from bot.outbox import Kind, OutboxFile, Rendered, Skip
from bot.sessions import blocks, service
from bot.sessions.calendar_invites import Invite, invite_filename, invite_ics
from bot.sessions.slots import WorkingHours


def _pair_target(pair: Pair, row: OutboxMessage) -> dict[str, object]:
    channel = row.channel_id or pair.group_dm_channel_id
    if channel:
        return {"channel": channel}
    return {"group_user_ids": (pair.mentor_user_id, pair.mentee_user_id)}


def _load(session: Session, row: OutboxMessage) -> tuple[MentoringSession, service.PairPeople] | Skip:
    record = session.get(MentoringSession, int(row.payload["session_id"]))
    if record is None:
        return Skip("the session no longer exists")
    try:
        people = service.load_pair(session, record.pair_id)
    except NotFound:
        return Skip("the pair no longer exists")
    return record, people


def _times(people: service.PairPeople) -> list[tuple[str, WorkingHours]]:
    """Each person's name as mrkdwn (escaped, or a mention when unknown) and working hours."""
    return [(name_or_mention(e.real_name, e.user_id), service.hours_of(e)) for e in (people.mentor, people.mentee)]


def render_update(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    loaded = _load(session, row)
    if isinstance(loaded, Skip):
        return loaded
    record, people = loaded
    if record.ics_sequence != int(row.payload["sequence"]):
        return Skip("superseded by a later change to the session")
    event = str(row.payload["event"])
    previous_raw = row.payload.get("previous")
    previous = datetime.fromisoformat(previous_raw) if previous_raw else None
    starts, ends = as_utc(record.starts_at), as_utc(record.ends_at)
    text, body = blocks.session_notice(
        event, record.number, starts, ends, _times(people), record.id, people.pair.id, previous
    )
    organiser = people.enrolment_of(record.booked_by) if record.booked_by in (
        people.pair.mentor_user_id, people.pair.mentee_user_id
    ) else people.mentee
    cancelled = event == "cancelled"
    invite = Invite(
        uid=record.ics_uid,
        sequence=record.ics_sequence,
        starts=starts,
        ends=ends,
        tz=organiser.tz or "UTC",
        summary=f"Reverse mentoring: {people.mentor.real_name} and {people.mentee.real_name} (session {record.number})",
        description=(
            f"Session {record.number} of {people.programme.name}, a reverse mentoring programme. "
            f"Mentor: {people.mentor.real_name}. Mentee: {people.mentee.real_name}."
        ),
        cancelled=cancelled,
    )
    file = OutboxFile(
        filename=invite_filename(record.number, cancelled),
        content=invite_ics(invite),
        title=f"Session {record.number}" + (" (cancelled)" if cancelled else ""),
    )
    return Rendered(text=text, blocks=body, file=file, **_pair_target(people.pair, row))  # type: ignore[arg-type]


def _render_reminder(which: str) -> outbox.Renderer:
    def render(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
        loaded = _load(session, row)
        if isinstance(loaded, Skip):
            return loaded
        record, people = loaded
        if record.status != "booked" or record.ics_sequence != int(row.payload["sequence"]):
            return Skip("the session was moved or cancelled")
        if people.pair.status != "active":
            return Skip("the pair is not active")
        if now() >= as_utc(record.starts_at):
            return Skip("the session has already started")
        # The day-before reminder of a session after a day off goes on the last working day before it.
        ahead = which == "day" and as_utc(record.starts_at) - now() > timedelta(hours=36)
        text, body = blocks.reminder(
            "ahead" if ahead else which,
            record.number,
            as_utc(record.starts_at),
            as_utc(record.ends_at),
            _times(people),
            record.id,
        )
        return Rendered(text=text, blocks=body, **_pair_target(people.pair, row))  # type: ignore[arg-type]

    return render


def render_did_you_meet(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    loaded = _load(session, row)
    if isinstance(loaded, Skip):
        return loaded
    record, people = loaded
    if record.ics_sequence != int(row.payload["sequence"]) or (
        record.status == "cancelled" and record.cancel_reason is None
    ):
        return Skip("the session was moved or cancelled")
    user = str(row.recipient_user_id)
    me = people.enrolment_of(user)
    if getattr(record, f"{me.role}_answer"):
        return Skip("already answered")
    partner = people.partner_of(user)
    text, body = blocks.did_you_meet(
        content, record.number, as_utc(record.starts_at), partner.real_name, service.hours_of(me), record.id
    )
    return Rendered(text=text, blocks=body, user_id=user)


def render_book_next(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    loaded = _load(session, row)
    if isinstance(loaded, Skip):
        return loaded
    record, people = loaded
    if people.pair.status != "active":
        return Skip("the pair is not active")
    if service.upcoming_session(session, people.pair.id) is not None:
        return Skip("the next session is already booked")
    programme = people.programme
    text, body = blocks.book_next_prompt(
        record.number, people.pair.id, (programme.cadence_min_days, programme.cadence_max_days)
    )
    return Rendered(text=text, blocks=body, **_pair_target(people.pair, row))  # type: ignore[arg-type]


def render_nudge(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    pair_id = int(row.payload["pair_id"])
    if not service.window_still_open(session, pair_id, str(row.payload["window_ends"])):
        return Skip("a session is booked, the window moved, or the pair is not active")
    pair = session.get(Pair, pair_id)
    assert pair is not None
    held = any(s.status == "held" for s in service.sessions_in(session, pair_id))
    text, body = blocks.nudge(pair_id, first=not held)
    return Rendered(text=text, blocks=body, **_pair_target(pair, row))  # type: ignore[arg-type]


def _lead_target(row: OutboxMessage) -> dict[str, object]:
    return {"channel": row.channel_id} if row.channel_id else {"user_id": row.recipient_user_id}


def at_risk_text(session: Session, row: OutboxMessage) -> str | None:
    """The at-risk alert's words (None when the pair is gone): at send time and for updated copies."""
    try:
        people = service.load_pair(session, int(row.payload["pair_id"]))
    except NotFound:
        return None
    return blocks.at_risk_alert(
        people.programme.name, people.pair.mentor_user_id, people.pair.mentee_user_id, str(row.payload["reason"])
    )


def conflict_text(session: Session, row: OutboxMessage) -> str | None:
    loaded = _load(session, row)
    if isinstance(loaded, Skip):
        return None
    record, people = loaded
    starts = as_utc(record.starts_at)
    return blocks.conflict_alert(
        people.programme.name, people.pair.mentor_user_id, people.pair.mentee_user_id, record.number,
        f"{starts:%a} {starts.day} {starts:%b %Y}",
    )


def _pair_alert(session: Session, row: OutboxMessage, content: Content, text: str) -> Rendered:
    """A pair alert with the lead's buttons (check in, pause, rematch, mark handled)."""
    body = pair_alert_message(content, text, pair_alerts.state_for_row(session, row))
    return Rendered(text=text, blocks=body, **_lead_target(row))  # type: ignore[arg-type]


def render_at_risk(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    pair_id = int(row.payload["pair_id"])
    if row.payload.get("check") and not service.flag_if_still_unscheduled(
        session, pair_id, str(row.payload["window_ends"])
    ):
        return Skip("the pair has a session booked (or the window moved)")
    text = at_risk_text(session, row)
    if text is None:
        return Skip("the pair no longer exists")
    return _pair_alert(session, row, content, text)


def render_conflict(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    text = conflict_text(session, row)
    if text is None:
        return Skip("the session or the pair no longer exists")
    return _pair_alert(session, row, content, text)


# The pair alerts' words by kind, so a copy updated after a lead's action says the same thing.
PAIR_ALERT_TEXTS: dict[str, pair_alerts.AlertText] = {
    service.KIND_AT_RISK: at_risk_text,
    service.KIND_CONFLICT: conflict_text,
}


# Every timed message this feature sends: its kind, how it renders, its overdue policy.
KINDS: dict[str, Kind] = {
    service.KIND_UPDATE: Kind(render_update),
    service.KIND_REMINDER_DAY: Kind(_render_reminder("day"), skip_if_later_than=timedelta(hours=12)),
    service.KIND_REMINDER_HOUR: Kind(_render_reminder("hour"), skip_if_later_than=timedelta(minutes=45)),
    service.KIND_DID_YOU_MEET: Kind(render_did_you_meet),
    service.KIND_NEXT_PROMPT: Kind(render_book_next),
    service.KIND_NUDGE: Kind(render_nudge),
    service.KIND_AT_RISK: Kind(render_at_risk),
    service.KIND_CONFLICT: Kind(render_conflict),
}

"""What a speed mentoring event's timed messages say, rendered from the database when they are due.

Each message is rendered from the event's plan as it is at send time, so a re-plan changes what
later messages say without moving any row. Overdue policy after downtime (``skip_if_later_than``):

- ``speed_round_start``: skipped if more than 10 minutes late (the round is well under way);
- ``speed_wrap_up`` ("five minutes left"): skipped if more than 3 minutes late;
- ``speed_swap``: skipped if more than 5 minutes late (the next round has started);
- ``speed_briefing``: skipped if more than 30 minutes late, or once the event has started;
- invitations, "your rounds", the feedback form, lead updates and the summary: always sent.

Every message to a person is skipped once they have said no or been marked absent (their rows are
cancelled too), or when it belongs to an earlier time they were at the event (``generation``).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.clock import now
from bot.content import Content
from bot.models import OutboxMessage, Programme, SpeedEvent, SpeedEventParticipant
from bot.outbox import Kind, Rendered, Skip
from bot.programmes.enrolment_blocks import invitation as programme_invitation
from bot.speed_events import blocks, feedback, plans, records
from bot.speed_events.rotation import RotationPlan


def _event(session: Session, row: OutboxMessage) -> SpeedEvent | Skip:
    event = session.get(SpeedEvent, int(row.payload["event_id"]))
    if event is None:
        return Skip("the event no longer exists")
    if event.status == "cancelled":
        return Skip("the event was called off")
    return event


def _people(session: Session, event_id: int) -> dict[str, SpeedEventParticipant]:
    rows = session.scalars(select(SpeedEventParticipant).where(SpeedEventParticipant.event_id == event_id))
    return {p.user_id: p for p in rows}


class _Context:
    def __init__(
        self,
        event: SpeedEvent,
        reader: SpeedEventParticipant,
        plan: RotationPlan,
        people: dict[str, SpeedEventParticipant],
    ) -> None:
        self.event, self.reader, self.plan, self.people = event, reader, plan, people


def _attendee(session: Session, row: OutboxMessage, round_number: int | None = None) -> _Context | Skip:
    """The event, the reader and the plan, or why this message is no longer for them."""
    event = _event(session, row)
    if isinstance(event, Skip):
        return event
    if event.status != "published":
        return Skip("the plan is not published")
    plan = plans.current_plan(event)
    if plan is None:
        return Skip("there is no plan")
    people = _people(session, event.id)
    reader = people.get(str(row.recipient_user_id))
    if reader is None or reader.rsvp != "yes":
        return Skip("the person is no longer coming")
    if "generation" in row.payload and int(row.payload["generation"]) != reader.generation:
        return Skip("superseded: the person left and came back")
    if reader.dropped_from_round is not None and (round_number is None or round_number >= reader.dropped_from_round):
        return Skip("the person has left the event")
    return _Context(event, reader, plan, people)


def render_invitation(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    event = _event(session, row)
    if isinstance(event, Skip):
        return event
    if records.timeline(event).ends_at <= now():
        return Skip("the event is over")
    person = _people(session, event.id).get(str(row.recipient_user_id))
    if person is None:
        return Skip("no longer on the list")
    text, body = blocks.invitation(content, event, person)
    return Rendered(text=text, blocks=body, user_id=row.recipient_user_id)


def render_schedule(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    ctx = _attendee(session, row)
    if isinstance(ctx, Skip):
        return ctx
    from_round = int(row.payload.get("from_round") or 1)
    meetings = ctx.plan.meetings_for(ctx.reader.user_id)
    unplaced = ctx.plan.unplaced_for(ctx.reader.user_id)
    if unplaced is not None and not any(r >= from_round for r in unplaced.rounds):
        unplaced = None
    text, body = blocks.schedule_message(
        ctx.event,
        ctx.reader,
        meetings,
        unplaced,
        ctx.people,
        changed=bool(row.payload.get("changed")),
        from_round=from_round,
    )
    return Rendered(text=text, blocks=body, user_id=row.recipient_user_id)


def render_briefing(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    ctx = _attendee(session, row, 1)
    if isinstance(ctx, Skip):
        return ctx
    if now() >= records.timeline(ctx.event).starts_at:
        return Skip("the event has started")
    text, body = blocks.briefing_reminder(content, ctx.event, ctx.reader)
    return Rendered(text=text, blocks=body, user_id=row.recipient_user_id)


def _icebreaker(content: Content, event: SpeedEvent, round_number: int, core: tuple[str, str]) -> str | None:
    picked = content.icebreakers_for(count=1, seed=f"speed:{event.id}:{round_number}:{core[0]}:{core[1]}")
    return picked[0].text if picked else None


def render_round_start(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    round_number = int(row.payload["round"])
    ctx = _attendee(session, row, round_number)
    if isinstance(ctx, Skip):
        return ctx
    meeting = plans.meeting_in_round(ctx.plan, ctx.reader.user_id, round_number)
    unplaced = ctx.plan.unplaced_for(ctx.reader.user_id)
    if meeting is None and (unplaced is None or round_number not in unplaced.rounds):
        unplaced = None
    icebreaker = _icebreaker(content, ctx.event, round_number, meeting.core) if meeting else None
    text, body = blocks.round_start(
        content,
        ctx.event,
        ctx.reader,
        round_number,
        meeting,
        unplaced,
        ctx.people,
        icebreaker,
        records.timeline(ctx.event),
    )
    return Rendered(text=text, blocks=body, user_id=row.recipient_user_id)


def render_wrap_up(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    round_number = int(row.payload["round"])
    ctx = _attendee(session, row, round_number)
    if isinstance(ctx, Skip):
        return ctx
    if plans.meeting_in_round(ctx.plan, ctx.reader.user_id, round_number) is None:
        return Skip("the person sits out this round")
    text, body = blocks.wrap_up(content, ctx.event, ctx.reader, round_number)
    return Rendered(text=text, blocks=body, user_id=row.recipient_user_id)


def render_swap(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    round_number = int(row.payload["round"])
    ctx = _attendee(session, row, round_number + 1)
    if isinstance(ctx, Skip):
        return ctx
    nxt = plans.meeting_in_round(ctx.plan, ctx.reader.user_id, round_number + 1)
    unplaced = ctx.plan.unplaced_for(ctx.reader.user_id)
    text, body = blocks.swap_now(content, ctx.event, ctx.reader, round_number, nxt, unplaced, ctx.people)
    return Rendered(text=text, blocks=body, user_id=row.recipient_user_id)


def render_feedback(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    ctx = _attendee(session, row)
    if isinstance(ctx, Skip):
        return ctx
    if not ctx.plan.meetings_for(ctx.reader.user_id):
        return Skip("the person had no meeting at the event")
    text, body = blocks.feedback_prompt(content, ctx.event)
    return Rendered(text=text, blocks=body, user_id=row.recipient_user_id)


def render_lead_update(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    event = _event(session, row)
    if isinstance(event, Skip):
        return event
    names = {p.user_id: p.real_name or p.user_id for p in _people(session, event.id).values()}
    text, body = blocks.lead_update(event, row.payload, names)
    return Rendered(text=text, blocks=body, user_id=row.recipient_user_id)


def render_summary(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    event = _event(session, row)
    if isinstance(event, Skip):
        return event
    summary = feedback.summarise(session, event, int(row.payload.get("min_group") or records.DEFAULT_MIN_GROUP))
    text, body = blocks.summary_blocks(content, summary)
    return Rendered(text=text, blocks=body, user_id=row.recipient_user_id)


def render_programme_invitation(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    programme = session.get(Programme, int(row.payload["programme_id"]))
    if programme is None or programme.status != "active":
        return Skip("the programme is closed")
    text, body = programme_invitation(programme, str(row.payload["inviter"]))
    return Rendered(text=text, blocks=body, user_id=row.recipient_user_id)


# Every timed message this feature sends: its kind, how it renders, its overdue policy.
KINDS: dict[str, Kind] = {
    records.INVITATION_KIND: Kind(render_invitation),
    records.SCHEDULE_KIND: Kind(render_schedule),
    records.BRIEFING_KIND: Kind(render_briefing, skip_if_later_than=timedelta(minutes=30)),
    records.ROUND_START_KIND: Kind(render_round_start, skip_if_later_than=timedelta(minutes=10)),
    records.WRAP_UP_KIND: Kind(render_wrap_up, skip_if_later_than=timedelta(minutes=3)),
    records.SWAP_KIND: Kind(render_swap, skip_if_later_than=timedelta(minutes=records.SWAP_MINUTES)),
    records.FEEDBACK_KIND: Kind(render_feedback),
    records.LEAD_UPDATE_KIND: Kind(render_lead_update),
    records.SUMMARY_KIND: Kind(render_summary),
    records.PROGRAMME_INVITATION_KIND: Kind(render_programme_invitation),
}

"""After a speed mentoring event: feedback, the aggregated summary for its leads (shown only from a
minimum group size), and turning the people who asked for more into a programme's invitations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot import outbox
from bot.clock import now
from bot.db import Database
from bot.errors import FieldErrors, NotAllowed, NotFound, Problem
from bot.models import (
    Programme,
    SpeedEvent,
    SpeedEventFeedback,
    SpeedEventParticipant,
)
from bot.programmes.service import ProgrammeInput, create_programme
from bot.speed_events.plans import (
    current_plan,
)
from bot.speed_events.records import (
    ANSWERS,
    DEFAULT_MIN_GROUP,
    PROGRAMME_INVITATION_KIND,
    TEXT_MAX,
    event_participants,
    event_topic,
    invited_participant,
    require_event_lead,
    timeline,
)


@dataclass
class FeedbackInput:
    usefulness: int | None
    recommend: str
    start_programme: str
    learned: str
    action: str = ""
    interested: bool = False


@dataclass
class FeedbackSummary:
    responses: int
    min_group: int
    shown: bool
    usefulness: dict[int, int] = field(default_factory=dict)
    recommend: dict[str, int] = field(default_factory=dict)
    start_programme: dict[str, int] = field(default_factory=dict)


@dataclass
class EventSummary:
    event: SpeedEvent
    invited: int
    said_yes: int
    said_no: int
    absent: int
    attended: int
    not_answered: int
    rounds_held: int
    feedback: FeedbackSummary
    interested: list[tuple[str, str]]  # (user id, name) of people who asked to be invited
    programme_id: int | None
    over: bool


def validate_feedback(data: FeedbackInput) -> None:
    errors: dict[str, Problem] = {}
    if data.usefulness is None or not 1 <= data.usefulness <= 5:
        errors["usefulness"] = Problem("speed_events.usefulness_required")
    if data.recommend not in ANSWERS:
        errors["recommend"] = Problem("speed_events.answer_required")
    if data.start_programme not in ANSWERS:
        errors["start_programme"] = Problem("speed_events.answer_required")
    if not data.learned.strip():
        errors["learned"] = Problem("speed_events.learned_required")
    elif len(data.learned) > TEXT_MAX:
        errors["learned"] = Problem("speed_events.too_long", max=TEXT_MAX)
    if len(data.action) > TEXT_MAX:
        errors["action"] = Problem("speed_events.too_long", max=TEXT_MAX)

    if errors:
        raise FieldErrors(errors)


def may_give_feedback(session: Session, event: SpeedEvent, user_id: str) -> bool:
    participant = session.scalar(
        select(SpeedEventParticipant).where(
            SpeedEventParticipant.event_id == event.id, SpeedEventParticipant.user_id == user_id
        )
    )
    plan = current_plan(event)
    return (
        participant is not None and participant.rsvp == "yes" and plan is not None and bool(plan.meetings_for(user_id))
    )


def submit_feedback(db: Database, event_id: int, user_id: str, data: FeedbackInput) -> bool:
    """Save (or update) a person's private feedback. True when it is their first."""
    validate_feedback(data)
    with db.session() as session:
        event = session.get(SpeedEvent, event_id)
        if event is None:
            raise NotFound("speed_events.not_found")
        if not may_give_feedback(session, event, user_id):
            raise NotAllowed("speed_events.feedback_participants_only")
        participant = invited_participant(session, event_id, user_id)
        row = session.scalar(
            select(SpeedEventFeedback).where(
                SpeedEventFeedback.event_id == event_id, SpeedEventFeedback.user_id == user_id
            )
        )
        first = row is None
        if row is None:
            row = SpeedEventFeedback(event_id=event_id, user_id=user_id, role=participant.role)
            session.add(row)
        row.usefulness = int(data.usefulness or 0)
        row.recommend = data.recommend
        row.start_programme = data.start_programme
        row.learned = data.learned.strip()
        row.action = data.action.strip() or None
        row.interested = data.interested
        row.submitted_at = now()
        return first


@dataclass(frozen=True)
class FeedbackRow:
    usefulness: int
    recommend: str
    start_programme: str


def aggregate_feedback(rows: Sequence[FeedbackRow], min_group: int = DEFAULT_MIN_GROUP) -> FeedbackSummary:
    """Totals over every response, shown only when there are at least ``min_group`` of them."""
    min_group = max(3, min_group)
    if len(rows) < min_group:
        return FeedbackSummary(responses=len(rows), min_group=min_group, shown=False)
    return FeedbackSummary(
        responses=len(rows),
        min_group=min_group,
        shown=True,
        usefulness={value: sum(1 for r in rows if r.usefulness == value) for value in range(1, 6)},
        recommend={answer: sum(1 for r in rows if r.recommend == answer) for answer in ANSWERS},
        start_programme={answer: sum(1 for r in rows if r.start_programme == answer) for answer in ANSWERS},
    )


def event_summary(
    db: Database, event_id: int, *, by: str, admin: bool, min_group: int = DEFAULT_MIN_GROUP
) -> EventSummary:
    """Attendance, rounds held, aggregated feedback and who asked to be invited to a programme."""
    with db.session() as session:
        event = require_event_lead(session, event_id, by, admin=admin)
        return summarise(session, event, min_group)


def summarise(session: Session, event: SpeedEvent, min_group: int = DEFAULT_MIN_GROUP) -> EventSummary:
    participants = event_participants(session, event.id)
    plan = current_plan(event)
    at = now()
    times = timeline(event)
    held = times.rounds_held(at) if event.status == "published" else 0
    attended = 0
    if plan is not None and event.status == "published":
        for p in participants:
            if any(times.round_start(m.round) <= at for m in plan.meetings_for(p.user_id)):
                attended += 1
    feedback = list(session.scalars(select(SpeedEventFeedback).where(SpeedEventFeedback.event_id == event.id)))
    names = {p.user_id: p.real_name or p.user_id for p in participants}
    interested = sorted(
        ((f.user_id, names.get(f.user_id, f.user_id)) for f in feedback if f.interested), key=lambda x: x[1]
    )
    return EventSummary(
        event=event,
        invited=len(participants),
        said_yes=sum(1 for p in participants if p.rsvp == "yes"),
        said_no=sum(1 for p in participants if p.rsvp == "no"),
        absent=sum(1 for p in participants if p.rsvp == "absent"),
        attended=attended,
        not_answered=sum(1 for p in participants if p.rsvp == "invited"),
        rounds_held=held,
        feedback=aggregate_feedback(
            [FeedbackRow(f.usefulness, f.recommend, f.start_programme) for f in feedback], min_group
        ),
        interested=interested,
        programme_id=event.programme_id,
        over=times.ends_at <= at,
    )


def create_programme_from_interested(
    db: Database,
    event_id: int,
    *,
    by: str,
    admin: bool,
) -> tuple[int, list[str]]:
    """One click: a long programme led by the event's leads, and an invitation to everyone who asked.

    The event's leads may do this without being workspace admins: the event's interested attendees
    are theirs to follow up. The programme works across organisations, like the event. Returns the
    programme id and who was invited; a second click is refused.
    """
    with db.session() as session:
        event = require_event_lead(session, event_id, by, admin=admin)
        if event.programme_id is not None:
            raise NotAllowed("speed_events.programme_exists")
        interested = list(
            session.scalars(
                select(SpeedEventFeedback.user_id).where(
                    SpeedEventFeedback.event_id == event_id, SpeedEventFeedback.interested.is_(True)
                )
            )
        )
        if not interested:
            raise NotAllowed("speed_events.nobody_interested")
        lead_ids = [lead.user_id for lead in event.leads]
        base = f"{event.name} programme"[:80]
        name = base
        number = 2
        while session.scalar(select(Programme.id).where(func.lower(Programme.name) == name.lower())) is not None:
            name = f"{base[:75]} {number}"
            number += 1
        data = ProgrammeInput(
            name=name,
            description=programme_description(event.name),
            cross_organisation=True,
            lead_ids=lead_ids,
        )
    programme_id = create_programme(db, data, created_by=by, by_admin=True).id
    with db.session() as session:
        session.execute(update(SpeedEvent).where(SpeedEvent.id == event_id).values(programme_id=programme_id))
        for user_id in interested:
            outbox.enqueue(
                session,
                kind=PROGRAMME_INVITATION_KIND,
                key=f"speed:{event_id}:programme:{programme_id}:{user_id}",
                recipient_user_id=user_id,
                programme_id=programme_id,
                topic=event_topic(event_id),
                payload={"event_id": event_id, "programme_id": programme_id, "inviter": by},
            )
    return programme_id, interested


def programme_description(event_name: str) -> str:
    return (
        f"A long reverse mentoring programme for people who took part in {event_name} and asked to carry on: "
        "junior colleagues mentor senior leaders, across organisations."
    )

"""Reverse speed mentoring events: setting one up, RSVPs, the rotation plan, timed rounds, feedback.

In reverse mentoring the **mentor is the junior colleague** and the **mentee the senior leader**.

The life of an event
--------------------

1. A lead (an admin, a programme lead or an event lead) creates the event as a *draft*; every
   participant is sent an invitation (an outbox row) with an RSVP.
2. A person who says yes answers a short pre-event form: their organisation and, for mentees, the
   state of inclusion in their business and the gap they want to understand (both encrypted at
   rest, for the person only). Saying no needs no reason.
3. The lead reviews the rotation (:mod:`bot.speed_events.rotation`) of everyone who said yes,
   swaps people if they wish, marks people absent, and **publishes** it. Publishing schedules each
   attendee's timed messages in the outbox: the briefing reminder, each round's start (who you
   meet, where, an icebreaker), "five minutes left", "swap now" and, at the end, the feedback
   form; and the event summary for the leads.
4. A change after publishing (someone says they can no longer come, a lead marks someone absent,
   someone says yes late, or the lead re-runs the plan) **re-plans the rounds that have not
   started**, keeps earlier rounds as they were, tells everyone whose rounds changed, cancels the
   messages of anyone who left, and tells the leads. Nobody is left out silently: a person without
   a seat in a round is told why, in that round's message.

Timed messages are rendered when they are sent (see :mod:`bot.speed_events.notifications`), from the
plan as it is *then*, so a re-plan never needs to move rows: only people who leave have their rows
cancelled, and people who join get theirs. Row payloads hold ids and round numbers only.

The plan is stored on the event as JSON of Slack user ids, roles, organisations and the planner's
plain-language reasons (:func:`plan_to_json`); nothing a person wrote in confidence goes into it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot import outbox, submissions
from bot.clock import as_utc, now
from bot.db import Database
from bot.errors import FieldErrors, NotAllowed, NotFound, Problem, error_text
from bot.models import (
    OutboxMessage,
    Programme,
    ProgrammeLead,
    SpeedEvent,
    SpeedEventFeedback,
    SpeedEventLead,
    SpeedEventParticipant,
)
from bot.programmes.service import ProgrammeInput, create_programme
from bot.speed_events.rotation import (
    MAX_ROUNDS,
    MIN_ROUNDS,
    Attendee,
    Group,
    Meeting,
    RotationPlan,
    Unplaced,
    adjust_swap,
    plan_rotation,
    replan_after_dropouts,
)

# The words of ``speed_events.lead_only`` and ``speed_events.create_only``, for handlers that still
# show them as text (a test keeps them the same as content/errors.yml).
EVENT_LEAD_ONLY = "Only this event's leads can do that."
CREATE_ONLY = "Only workspace admins, the app's admins and programme leads can set up a speed mentoring event."

#: minutes between two rounds, to say goodbye and find the next table
SWAP_MINUTES = 5
#: "five minutes left" is sent this long before a round ends
WRAP_UP_MINUTES = 5
BRIEFING_REMINDER_BEFORE = timedelta(hours=1)
SUMMARY_AFTER = timedelta(hours=2)
DEFAULT_MIN_GROUP = 5

MIN_ROUND_MINUTES, MAX_ROUND_MINUTES = 10, 90
MAX_BRIEFING_MINUTES = 60
TEXT_MAX = 500

# Outbox kinds (rendered by bot/speed_events/notifications.py).
INVITATION_KIND = "speed_invitation"
SCHEDULE_KIND = "speed_schedule"  # "your rounds" when the plan is published, or changes for you
BRIEFING_KIND = "speed_briefing"
ROUND_START_KIND = "speed_round_start"
WRAP_UP_KIND = "speed_wrap_up"
SWAP_KIND = "speed_swap"
FEEDBACK_KIND = "speed_feedback"
LEAD_UPDATE_KIND = "speed_lead_update"
SUMMARY_KIND = "speed_summary"
PROGRAMME_INVITATION_KIND = "speed_programme_invitation"

ANSWERS = ("yes", "maybe", "no")


# --------------------------------------------------------------------------------------------
# Input and plain results
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonInfo:
    """What Slack says about a person (the handler looks it up with ``users.info``)."""

    user_id: str
    real_name: str
    title: str = ""
    tz: str = "UTC"


@dataclass
class EventInput:
    name: str
    day: date | None
    start_time: time | None
    tz: str
    round_minutes: int | None = 30
    rounds: int | None = 2
    briefing_minutes: int | None = 15
    location: str = ""
    lead_ids: list[str] = field(default_factory=list)
    mentor_ids: list[str] = field(default_factory=list)
    mentee_ids: list[str] = field(default_factory=list)


@dataclass
class PreEventAnswers:
    organisation: str
    inclusion_statement: str = ""
    understanding_gap: str = ""


@dataclass
class FeedbackInput:
    usefulness: int | None
    recommend: str
    start_programme: str
    learned: str
    action: str = ""
    interested: bool = False


@dataclass(frozen=True)
class Timeline:
    """When each part of an event happens (UTC)."""

    starts_at: datetime
    briefing_minutes: int
    round_minutes: int
    rounds: int

    def round_start(self, round_number: int) -> datetime:
        first = self.starts_at + timedelta(minutes=self.briefing_minutes)
        return first + (round_number - 1) * timedelta(minutes=self.round_minutes + SWAP_MINUTES)

    def round_end(self, round_number: int) -> datetime:
        return self.round_start(round_number) + timedelta(minutes=self.round_minutes)

    def wrap_up(self, round_number: int) -> datetime:
        return self.round_end(round_number) - timedelta(minutes=WRAP_UP_MINUTES)

    @property
    def ends_at(self) -> datetime:
        return self.round_end(self.rounds)

    def next_round(self, at: datetime) -> int | None:
        """The first round that has not started at ``at`` (None when every round has started)."""
        return next((r for r in range(1, self.rounds + 1) if self.round_start(r) > at), None)

    def rounds_held(self, at: datetime) -> int:
        return sum(1 for r in range(1, self.rounds + 1) if self.round_end(r) <= at)


def timeline(event: SpeedEvent) -> Timeline:
    return Timeline(as_utc(event.starts_at), event.briefing_minutes, event.round_minutes, event.rounds)


@dataclass
class PlanChange:
    """What a change to a published plan did, for the lead."""

    from_round: int | None
    notified: list[str] = field(default_factory=list)  # user ids told about their new rounds
    dropped: list[str] = field(default_factory=list)
    joined: list[str] = field(default_factory=list)


@dataclass
class PlanOverview:
    """Everything the lead's plan view shows."""

    event: SpeedEvent
    plan: RotationPlan | None
    names: dict[str, str]
    attending: list[SpeedEventParticipant]
    waiting: list[SpeedEventParticipant]  # invited, not answered yet
    declined: list[SpeedEventParticipant]  # said no, or marked absent
    next_round: int | None

    @property
    def published(self) -> bool:
        return self.event.status == "published"


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


# --------------------------------------------------------------------------------------------
# The plan as JSON (ids only) and back
# --------------------------------------------------------------------------------------------


def _meeting_json(meeting: Meeting) -> dict[str, Any]:
    return {"round": meeting.round, "mentors": list(meeting.mentor_ids), "mentees": list(meeting.mentee_ids)}


def _meeting_from(raw: Mapping[str, Any]) -> Meeting:
    return Meeting(int(raw["round"]), tuple(raw["mentors"]), tuple(raw["mentees"]))


def plan_to_json(plan: RotationPlan) -> dict[str, Any]:
    return {
        "rounds": plan.rounds,
        "seed": plan.seed,
        "attendees": [[a.person_id, a.role, a.organisation] for a in plan.attendees],
        "groups": [
            {
                "number": g.number,
                "rounds": list(g.rounds),
                "mentors": list(g.mentor_ids),
                "mentees": list(g.mentee_ids),
                "meetings": [_meeting_json(m) for m in g.meetings],
            }
            for g in plan.groups
        ],
        "unplaced": [
            {"person": u.person_id, "rounds": list(u.rounds), "reason": u.reason, "partial": u.partial}
            for u in plan.unplaced
        ],
        "notes": list(plan.notes),
        "keep_apart": [sorted(pair) for pair in plan.keep_apart],
        "dropped": dict(plan.dropped),
    }


def plan_from_json(raw: Mapping[str, Any]) -> RotationPlan:
    return RotationPlan(
        rounds=int(raw["rounds"]),
        attendees=tuple(Attendee(str(p), role, str(org)) for p, role, org in raw["attendees"]),
        groups=tuple(
            Group(
                number=int(g["number"]),
                rounds=tuple(int(r) for r in g["rounds"]),
                mentor_ids=tuple(g["mentors"]),
                mentee_ids=tuple(g["mentees"]),
                meetings=tuple(_meeting_from(m) for m in g["meetings"]),
            )
            for g in raw["groups"]
        ),
        unplaced=tuple(
            Unplaced(str(u["person"]), tuple(int(r) for r in u["rounds"]), str(u["reason"]), bool(u["partial"]))
            for u in raw["unplaced"]
        ),
        notes=tuple(raw.get("notes") or ()),
        keep_apart=frozenset(frozenset(pair) for pair in raw.get("keep_apart") or ()),
        dropped={str(k): int(v) for k, v in (raw.get("dropped") or {}).items()},
        seed=int(raw.get("seed") or 0),
    )


def current_plan(event: SpeedEvent) -> RotationPlan | None:
    return plan_from_json(event.plan) if event.plan else None


def meeting_in_round(plan: RotationPlan, person_id: str, round_number: int) -> Meeting | None:
    return next((m for m in plan.meetings_for(person_id) if m.round == round_number), None)


def partners_in(meeting: Meeting, person_id: str) -> list[str]:
    """Everyone else at the table, mentors first (the mentor is the junior colleague)."""
    return [p for p in meeting.people if p != person_id]


# --------------------------------------------------------------------------------------------
# Access
# --------------------------------------------------------------------------------------------


def is_event_lead(session: Session, event_id: int, user_id: str) -> bool:
    return (
        session.scalar(
            select(SpeedEventLead.id).where(SpeedEventLead.event_id == event_id, SpeedEventLead.user_id == user_id)
        )
        is not None
    )


def require_event_lead(session: Session, event_id: int, user_id: str, *, admin: bool) -> SpeedEvent:
    """The event, locked for this unit of work (changes to one event's plan are serialised)."""
    event = session.get(SpeedEvent, event_id, with_for_update=True)
    if event is None:
        raise NotFound("speed_events.not_found")
    if not (admin or is_event_lead(session, event_id, user_id)):
        raise NotAllowed("speed_events.lead_only")
    return event


def may_create_events(db: Database, user_id: str, *, admin: bool) -> bool:
    """Admins, programme leads and event leads may set up an event."""
    if admin:
        return True
    with db.session() as session:
        programme_lead = session.scalar(select(ProgrammeLead.id).where(ProgrammeLead.user_id == user_id).limit(1))
        event_lead = session.scalar(select(SpeedEventLead.id).where(SpeedEventLead.user_id == user_id).limit(1))
        return programme_lead is not None or event_lead is not None


def event_for_lead(db: Database, user_id: str, name: str, *, admin: bool) -> SpeedEvent | str:
    """The event a lead command is about (the one named, or the only live one the person leads),
    or a message saying why it can't be decided or they may not act on it."""
    name = name.strip()
    with db.session() as session:
        if name:
            event = session.scalar(select(SpeedEvent).where(func.lower(SpeedEvent.name) == name.lower()))
            if event is None:
                return error_text("speed_events.no_such_event", name=name)
            if admin or is_event_lead(session, event.id, user_id):
                return event
            return error_text("speed_events.lead_only")
        led = select(SpeedEventLead.event_id).where(SpeedEventLead.user_id == user_id)
        events = list(session.scalars(select(SpeedEvent).where(SpeedEvent.id.in_(led)).order_by(SpeedEvent.starts_at)))
        live = [e for e in events if e.status != "cancelled" and timeline(e).ends_at + SUMMARY_AFTER > now()]
        choices = live or events
        if len(choices) == 1:
            return choices[0]
        if not choices:
            return error_text("speed_events.name_the_event")
        return error_text("speed_events.which_event", events=", ".join(e.name for e in choices))


def get_event(db: Database, event_id: int) -> SpeedEvent:
    with db.session() as session:
        event = session.get(SpeedEvent, event_id)
        if event is None:
            raise NotFound("speed_events.not_found")
        return event


def find_event(db: Database, name: str) -> SpeedEvent:
    with db.session() as session:
        event = session.scalar(select(SpeedEvent).where(func.lower(SpeedEvent.name) == name.strip().lower()))
        if event is None:
            raise NotFound("speed_events.no_such_event", name=name.strip())
        return event


# --------------------------------------------------------------------------------------------
# Creating an event
# --------------------------------------------------------------------------------------------


def zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name.strip()) if name.strip() else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def validate_event(session: Session, data: EventInput) -> datetime:
    """Check the form; returns the start as a UTC datetime."""
    errors: dict[str, Problem] = {}
    name = data.name.strip()
    if not name:
        errors["name"] = Problem("speed_events.name_required")
    elif len(name) > 80:
        errors["name"] = Problem("speed_events.name_too_long", max=80)
    elif session.scalar(select(SpeedEvent.id).where(func.lower(SpeedEvent.name) == name.lower())) is not None:
        errors["name"] = Problem("speed_events.name_taken", name=name)
    tz = zone(data.tz)
    if tz is None:
        errors["tz"] = Problem("speed_events.unknown_time_zone")
    if data.day is None:
        errors["day"] = Problem("speed_events.day_required")
    if data.start_time is None:
        errors["start_time"] = Problem("speed_events.start_time_required")
    starts_at = now()
    if tz is not None and data.day is not None and data.start_time is not None:
        local_now = now().astimezone(tz)
        starts_at = datetime.combine(data.day, data.start_time, tz).astimezone(now().tzinfo)
        if data.day < local_now.date():
            errors["day"] = Problem("speed_events.day_past")
        elif starts_at <= now():
            errors["start_time"] = Problem("speed_events.start_time_past")
    if data.round_minutes is None or not MIN_ROUND_MINUTES <= data.round_minutes <= MAX_ROUND_MINUTES:
        errors["round_minutes"] = Problem(
            "speed_events.round_minutes_out_of_range", min=MIN_ROUND_MINUTES, max=MAX_ROUND_MINUTES
        )
    if data.rounds is None or not MIN_ROUNDS <= data.rounds <= MAX_ROUNDS:
        errors["rounds"] = Problem("speed_events.rounds_out_of_range", min=MIN_ROUNDS, max=MAX_ROUNDS)
    if data.briefing_minutes is None or not 0 <= data.briefing_minutes <= MAX_BRIEFING_MINUTES:
        errors["briefing_minutes"] = Problem("speed_events.briefing_minutes_out_of_range", max=MAX_BRIEFING_MINUTES)
    location = data.location.strip()
    if not location:
        errors["location"] = Problem("speed_events.location_required")
    elif len(location) > 300:
        errors["location"] = Problem("speed_events.too_long", max=300)
    both = sorted(set(data.mentor_ids) & set(data.mentee_ids))
    if both:
        errors["mentee_ids"] = Problem("speed_events.both_roles", people=", ".join(f"<@{u}>" for u in both))
    leading = sorted(set(data.lead_ids) & (set(data.mentor_ids) | set(data.mentee_ids)))
    if leading:
        errors["lead_ids"] = Problem("speed_events.lead_is_participant", people=", ".join(f"<@{u}>" for u in leading))
    if errors:
        raise FieldErrors(errors)
    return starts_at


def create_event(
    db: Database,
    data: EventInput,
    *,
    created_by: str,
    people: Mapping[str, PersonInfo],
    may_create: bool,
) -> SpeedEvent:
    """Create a draft event and invite every participant (invitations go out through the outbox).

    ``people`` holds what Slack says about each participant; the creator leads the event when no
    lead is picked.
    """
    if not may_create:
        raise NotAllowed("speed_events.create_only")
    if not data.lead_ids:
        data.lead_ids = [created_by]
    with db.session() as session:
        starts_at = validate_event(session, data)
        event = SpeedEvent(
            name=data.name.strip(),
            starts_at=starts_at,
            tz=data.tz.strip(),
            round_minutes=int(data.round_minutes or 30),
            rounds=int(data.rounds or 2),
            briefing_minutes=int(data.briefing_minutes or 0),
            location=data.location.strip(),
            created_by=created_by,
            leads=[SpeedEventLead(user_id=u) for u in dict.fromkeys(data.lead_ids)],
        )
        session.add(event)
        session.flush()
        event.seed = event.id
        for role, ids in (("mentor", data.mentor_ids), ("mentee", data.mentee_ids)):
            for user_id in dict.fromkeys(ids):
                info = people.get(user_id) or PersonInfo(user_id, user_id)
                add_participant(session, event, info, role, organisation="", source="slack")
        return event


def add_participant(
    session: Session, event: SpeedEvent, info: PersonInfo, role: str, *, organisation: str, source: str
) -> tuple[SpeedEventParticipant, bool]:
    participant = session.scalar(
        select(SpeedEventParticipant).where(
            SpeedEventParticipant.event_id == event.id, SpeedEventParticipant.user_id == info.user_id
        )
    )
    added = participant is None
    if participant is None:
        participant = SpeedEventParticipant(event_id=event.id, user_id=info.user_id, role=role, generation=0)
        session.add(participant)
    participant.role = role
    participant.real_name = info.real_name or participant.real_name
    participant.title = info.title or participant.title
    participant.tz = info.tz or participant.tz or "UTC"
    if organisation:
        participant.organisation = organisation[:150]
    participant.source = source
    session.flush()
    if added:
        outbox.enqueue(
            session,
            kind=INVITATION_KIND,
            key=f"speed:{event.id}:{info.user_id}:invitation",
            recipient_user_id=info.user_id,
            topic=_topic(event.id),
            payload={"event_id": event.id},
        )
    return participant, added


def _topic(event_id: int) -> str:
    return f"event:{event_id}"


# --------------------------------------------------------------------------------------------
# RSVP
# --------------------------------------------------------------------------------------------


def participant_of(db: Database, event_id: int, user_id: str) -> SpeedEventParticipant:
    with db.session() as session:
        return _participant(session, event_id, user_id)


def _participant(session: Session, event_id: int, user_id: str) -> SpeedEventParticipant:
    participant = session.scalar(
        select(SpeedEventParticipant).where(
            SpeedEventParticipant.event_id == event_id, SpeedEventParticipant.user_id == user_id
        )
    )
    if participant is None:
        raise NotFound("speed_events.not_invited")
    return participant


def _open_event(session: Session, event_id: int) -> SpeedEvent:
    event = session.get(SpeedEvent, event_id, with_for_update=True)
    if event is None or event.status == "cancelled":
        raise NotFound("speed_events.called_off")
    if timeline(event).ends_at <= now():
        raise NotFound("speed_events.over", event=event.name)
    return event


def validate_answers(role: str, answers: PreEventAnswers) -> None:
    errors: dict[str, Problem] = {}
    organisation = answers.organisation.strip()
    if not organisation:
        errors["organisation"] = Problem("speed_events.organisation_required")
    elif len(organisation) > 150:
        errors["organisation"] = Problem("speed_events.too_long", max=150)
    if role == "mentee":
        for field_name, missing in (
            ("inclusion_statement", Problem("speed_events.inclusion_statement_required")),
            ("understanding_gap", Problem("speed_events.understanding_gap_required")),
        ):
            value = getattr(answers, field_name).strip()
            if not value:
                errors[field_name] = missing

            elif len(value) > TEXT_MAX:
                errors[field_name] = Problem("speed_events.too_long", max=TEXT_MAX)
    if errors:
        raise FieldErrors(errors)


def check_rsvp(db: Database, event_id: int, user_id: str, answers: PreEventAnswers) -> None:
    """Check a yes before saving it (so the form can answer at once; saving may re-plan)."""
    with db.session() as session:
        event = session.get(SpeedEvent, event_id)
        if event is None or event.status == "cancelled":
            raise NotFound("speed_events.called_off")
        if timeline(event).ends_at <= now():
            raise NotFound("speed_events.over", event=event.name)
        validate_answers(_participant(session, event_id, user_id).role, answers)


@dataclass(frozen=True)
class Rsvp:
    participant: SpeedEventParticipant
    change: PlanChange | None
    replayed: bool = False  # the same form arrived again: nothing new was saved, nothing to send


def rsvp_yes(
    db: Database, event_id: int, info: PersonInfo, answers: PreEventAnswers, *, submission: str | None = None
) -> Rsvp:
    """Record a yes and the pre-event answers. After publishing, a new attendee is placed at once.

    ``submission`` names the submitted form, so a replay of it changes nothing and says so."""
    with db.session() as session:
        event = _open_event(session, event_id)
        participant = _participant(session, event_id, info.user_id)
        if submissions.earlier_result(session, submission) is not None:
            return Rsvp(participant, None, replayed=True)
        submissions.remember(session, submission, "event_rsvp", participant.id)
        validate_answers(participant.role, answers)
        coming_back = participant.rsvp in ("no", "absent") or participant.dropped_from_round is not None
        was_attending = participant.rsvp == "yes" and participant.dropped_from_round is None
        old_org = participant.organisation
        participant.organisation = answers.organisation.strip()
        if participant.role == "mentee":
            participant.inclusion_statement = answers.inclusion_statement.strip()
            participant.understanding_gap = answers.understanding_gap.strip()
        participant.real_name = info.real_name or participant.real_name
        participant.title = info.title or participant.title
        participant.tz = info.tz or participant.tz
        participant.rsvp = "yes"
        participant.responded_at = now()
        if coming_back:
            participant.dropped_from_round = None
            participant.generation += 1
        session.flush()
        change = None
        if event.status == "published" and (not was_attending or old_org.strip() != participant.organisation):
            change = _replan_published(session, event, reason="joined", person=info.user_id)
        return Rsvp(participant, change)


def rsvp_no(db: Database, event_id: int, user_id: str) -> tuple[SpeedEventParticipant, PlanChange | None]:
    """Record a no (no reason needed). After publishing, the rounds not yet started are re-planned."""
    with db.session() as session:
        event = _open_event(session, event_id)
        participant = _participant(session, event_id, user_id)
        attending = participant.rsvp == "yes" and participant.dropped_from_round is None
        participant.rsvp = "no"
        participant.responded_at = now()
        return participant, _drop(session, event, participant, attending, reason="dropped")


def mark_absent(
    db: Database, event_id: int, user_id: str, *, by: str, admin: bool
) -> tuple[SpeedEventParticipant, PlanChange | None]:
    """A lead marks someone who will not be there (or has left); their later rounds are re-planned."""
    with db.session() as session:
        event = require_event_lead(session, event_id, by, admin=admin)
        participant = session.scalar(
            select(SpeedEventParticipant).where(
                SpeedEventParticipant.event_id == event_id, SpeedEventParticipant.user_id == user_id
            )
        )
        if participant is None:
            raise FieldErrors.on("person", "speed_events.person_not_invited")
        if participant.rsvp in ("no", "absent") or participant.dropped_from_round is not None:
            raise FieldErrors.on("person", "speed_events.person_already_absent")
        attending = participant.rsvp == "yes"
        participant.rsvp = "absent"
        return participant, _drop(session, event, participant, attending, reason="absent")


def check_absent(db: Database, event_id: int, user_id: str, *, by: str, admin: bool) -> None:
    """Check a lead's "mark absent" before doing it (errors name the form's field)."""
    with db.session() as session:
        event = session.get(SpeedEvent, event_id)
        if event is None:
            raise NotFound("speed_events.not_found")
        if not (admin or is_event_lead(session, event_id, by)):
            raise NotAllowed("speed_events.lead_only")
        participant = session.scalar(
            select(SpeedEventParticipant).where(
                SpeedEventParticipant.event_id == event_id, SpeedEventParticipant.user_id == user_id
            )
        )
        if participant is None:
            raise FieldErrors.on("person", "speed_events.person_not_invited")
        if participant.rsvp in ("no", "absent") or participant.dropped_from_round is not None:
            raise FieldErrors.on("person", "speed_events.person_already_absent")


def _drop(
    session: Session, event: SpeedEvent, participant: SpeedEventParticipant, attending: bool, *, reason: str
) -> PlanChange | None:
    _cancel_person(session, event.id, participant.user_id)
    if event.status != "published" or not attending:
        return None
    from_round = timeline(event).next_round(now())
    participant.dropped_from_round = from_round or event.rounds + 1
    session.flush()
    return _replan_published(session, event, reason=reason, person=participant.user_id)


def _cancel_person(session: Session, event_id: int, user_id: str) -> int:
    """Cancel every pending message to a person about this event (in the caller's transaction)."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.topic == _topic(event_id),
            OutboxMessage.recipient_user_id == user_id,
            OutboxMessage.status == "pending",
        )
        .values(status="cancelled", last_error="left the event")
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# --------------------------------------------------------------------------------------------
# The plan
# --------------------------------------------------------------------------------------------


def _participants(session: Session, event_id: int) -> list[SpeedEventParticipant]:
    return list(
        session.scalars(
            select(SpeedEventParticipant)
            .where(SpeedEventParticipant.event_id == event_id)
            .order_by(SpeedEventParticipant.role, SpeedEventParticipant.real_name, SpeedEventParticipant.user_id)
        )
    )


def _attending(participants: Iterable[SpeedEventParticipant]) -> list[SpeedEventParticipant]:
    return [p for p in participants if p.rsvp == "yes" and p.dropped_from_round is None and p.organisation.strip()]


def _attendees(participants: Iterable[SpeedEventParticipant]) -> list[Attendee]:
    return [Attendee(p.user_id, "mentor" if p.role == "mentor" else "mentee", p.organisation) for p in participants]


def _refresh_draft_plan(session: Session, event: SpeedEvent, participants: list[SpeedEventParticipant]) -> None:
    """Keep a draft plan in step with who is coming (the lead's swaps survive where they still fit)."""
    attendees = _attendees(_attending(participants))
    plan = current_plan(event)
    if plan is not None and sorted(plan.attendees, key=lambda a: a.person_id) == sorted(
        attendees, key=lambda a: a.person_id
    ):
        return
    if not attendees:
        event.plan = None
        return
    fresh = plan_rotation(attendees, event.rounds, seed=event.seed, previous=plan)
    event.plan = plan_to_json(fresh)


def plan_overview(db: Database, event_id: int, *, by: str, admin: bool, rerun: bool = False) -> PlanOverview:
    """The lead's view of the plan. In a draft, the plan follows the RSVPs; ``rerun`` plans afresh
    (a draft) or re-plans the rounds not yet started with whoever is coming now (published)."""
    with db.session() as session:
        event = require_event_lead(session, event_id, by, admin=admin)
        participants = _participants(session, event_id)
        if event.status == "draft":
            if rerun:
                event.plan = None
                event.seed += 1
            _refresh_draft_plan(session, event, participants)
        elif rerun and event.status == "published":
            _replan_published(session, event, reason="rerun", person=None)
        session.flush()
        return _overview(session, event, participants)


def _overview(session: Session, event: SpeedEvent, participants: list[SpeedEventParticipant]) -> PlanOverview:
    names = {p.user_id: p.real_name or p.user_id for p in participants}
    return PlanOverview(
        event=event,
        plan=current_plan(event),
        names=names,
        attending=_attending(participants),
        waiting=[p for p in participants if p.rsvp == "invited"],
        declined=[p for p in participants if p.rsvp in ("no", "absent") or p.dropped_from_round is not None],
        next_round=timeline(event).next_round(now()),
    )


def swap_people(
    db: Database, event_id: int, first: str, second: str, from_round: int | None, *, by: str, admin: bool
) -> tuple[PlanOverview, PlanChange | None]:
    """The lead swaps two mentors (or two mentees) from a round on; errors name the form fields."""
    with db.session() as session:
        event = require_event_lead(session, event_id, by, admin=admin)
        participants = _participants(session, event_id)
        if event.status == "draft":
            _refresh_draft_plan(session, event, participants)
        plan = current_plan(event)
        if plan is None:
            raise FieldErrors.on("first", "speed_events.no_plan_yet")
        earliest = 1 if event.status == "draft" else timeline(event).next_round(now())
        if earliest is None:
            raise FieldErrors.on("from_round", "speed_events.every_round_started")
        start = from_round or earliest
        if start < earliest:
            raise FieldErrors.on("from_round", "speed_events.round_started", round=start, earliest=earliest)
        if start > event.rounds:
            raise FieldErrors.on("from_round", "speed_events.no_such_round", rounds=event.rounds)
        names = {p.user_id: p.real_name or p.user_id for p in participants}
        result = adjust_swap(plan, first, second, from_round=start)
        if isinstance(result, list):
            problems = _readable("; ".join(result), names)
            raise FieldErrors.on("second", "speed_events.swap_breaks_rules", problems=problems)
        change = None
        if event.status == "published":
            change = _apply_published(session, event, plan, result, start, participants, reason="swap", person=None)
        else:
            event.plan = plan_to_json(result)
        session.flush()
        return _overview(session, event, participants), change


def publish(db: Database, event_id: int, *, by: str, admin: bool, min_group: int = DEFAULT_MIN_GROUP) -> PlanOverview:
    """Publish the plan: everyone coming gets their rounds now and their timed messages later."""
    with db.session() as session:
        event = require_event_lead(session, event_id, by, admin=admin)
        if event.status == "published":
            raise NotAllowed("speed_events.already_published")
        if event.status != "draft":
            raise NotAllowed("speed_events.publish_called_off")
        if timeline(event).round_start(1) <= now():
            raise NotAllowed("speed_events.publish_too_late")
        participants = _participants(session, event_id)
        _refresh_draft_plan(session, event, participants)
        plan = current_plan(event)
        if plan is None or not plan.meetings():
            raise NotAllowed("speed_events.nobody_to_place")
        event.status = "published"
        event.published_at = now()
        event.plan_version = 1
        for participant in _attending(participants):
            _schedule_person(session, event, participant)
            _enqueue_schedule(session, event, participant.user_id)
        for lead in event.leads:
            outbox.enqueue(
                session,
                kind=SUMMARY_KIND,
                key=f"speed:{event.id}:summary:{lead.user_id}",
                send_at=timeline(event).ends_at + SUMMARY_AFTER,
                recipient_user_id=lead.user_id,
                topic=_topic(event.id),
                payload={"event_id": event.id, "min_group": min_group},
            )
        session.flush()
        return _overview(session, event, participants)


def _enqueue_schedule(
    session: Session, event: SpeedEvent, user_id: str, *, changed: bool = False, from_round: int = 1
) -> None:
    outbox.enqueue(
        session,
        kind=SCHEDULE_KIND,
        key=f"speed:{event.id}:v{event.plan_version}:schedule:{user_id}",
        recipient_user_id=user_id,
        topic=_topic(event.id),
        payload={"event_id": event.id, "version": event.plan_version, "changed": changed, "from_round": from_round},
    )


def _schedule_person(session: Session, event: SpeedEvent, participant: SpeedEventParticipant) -> None:
    """Every timed message for one attendee that is still ahead (idempotent: keys per generation)."""
    times = timeline(event)
    at = now()
    base = f"speed:{event.id}:{participant.user_id}:g{participant.generation}"

    def add(kind: str, what: str, when: datetime, **payload: Any) -> None:
        if when < at - timedelta(seconds=1):
            return
        outbox.enqueue(
            session,
            kind=kind,
            key=f"{base}:{what}",
            send_at=when,
            recipient_user_id=participant.user_id,
            topic=_topic(event.id),
            payload={"event_id": event.id, "generation": participant.generation, **payload},
        )

    if at < times.starts_at:
        add(BRIEFING_KIND, "briefing", max(at, times.starts_at - BRIEFING_REMINDER_BEFORE))
    for round_number in range(1, event.rounds + 1):
        add(ROUND_START_KIND, f"round:{round_number}", times.round_start(round_number), round=round_number)
        if event.round_minutes > WRAP_UP_MINUTES:
            add(WRAP_UP_KIND, f"wrap:{round_number}", times.wrap_up(round_number), round=round_number)
        if round_number < event.rounds:
            add(SWAP_KIND, f"swap:{round_number}", times.round_end(round_number), round=round_number)
    add(FEEDBACK_KIND, "feedback", times.ends_at)


def _replan_published(session: Session, event: SpeedEvent, *, reason: str, person: str | None) -> PlanChange:
    """Re-plan the rounds of a published event that have not started, with whoever is coming now."""
    participants = _participants(session, event.id)
    plan = current_plan(event)
    from_round = timeline(event).next_round(now())
    if plan is None or from_round is None:
        return PlanChange(from_round=None, dropped=[person] if person and reason != "joined" else [])
    attending = _attending(participants)
    attendees = _attendees(attending)
    current_ids = {a.person_id for a in attendees}
    # People coming back after leaving are expected again.
    returning = {p for p in plan.dropped if p in current_ids}
    if returning:
        plan = replace(plan, dropped={p: r for p, r in plan.dropped.items() if p not in returning})
    dropped = {a.person_id for a in plan.attendees} - current_ids
    new_plan = replan_after_dropouts(plan, attendees, dropped, event.rounds, from_round)
    return _apply_published(session, event, plan, new_plan, from_round, participants, reason=reason, person=person)


def _signature(plan: RotationPlan, person_id: str, from_round: int) -> tuple[Any, ...]:
    meetings = tuple(
        (m.round, tuple(sorted(m.mentor_ids)), tuple(sorted(m.mentee_ids)))
        for m in plan.meetings_for(person_id)
        if m.round >= from_round
    )
    entry = plan.unplaced_for(person_id)
    out = tuple(r for r in entry.rounds if r >= from_round) if entry else ()
    return meetings, out


def _apply_published(
    session: Session,
    event: SpeedEvent,
    old: RotationPlan,
    new: RotationPlan,
    from_round: int,
    participants: list[SpeedEventParticipant],
    *,
    reason: str,
    person: str | None,
) -> PlanChange:
    event.plan = plan_to_json(new)
    event.plan_version += 1
    change = PlanChange(from_round=from_round)
    old_ids = {a.person_id for a in old.attendees if a.person_id not in old.dropped}
    attending = _attending(participants)
    for participant in attending:
        user_id = participant.user_id
        if user_id not in old_ids:
            # Timed messages do not depend on the plan (they are rendered from it when due), so
            # only a newcomer needs rows; everyone else keeps theirs.
            _schedule_person(session, event, participant)
            change.joined.append(user_id)
            _enqueue_schedule(session, event, user_id, from_round=from_round)
        elif _signature(old, user_id, from_round) != _signature(new, user_id, from_round):
            change.notified.append(user_id)
            _enqueue_schedule(session, event, user_id, changed=True, from_round=from_round)
    change.dropped = sorted(old_ids - {p.user_id for p in attending})
    for lead in event.leads:
        outbox.enqueue(
            session,
            kind=LEAD_UPDATE_KIND,
            key=f"speed:{event.id}:v{event.plan_version}:lead:{lead.user_id}",
            recipient_user_id=lead.user_id,
            topic=_topic(event.id),
            payload={
                "event_id": event.id,
                "version": event.plan_version,
                "reason": reason,
                "person": person,
                "from_round": from_round,
                "notified": len(change.notified),
                "joined": change.joined,
                "dropped": change.dropped,
            },
        )
    return change


def _readable(text: str, names: Mapping[str, str]) -> str:
    """The planner's texts name people by id; show names instead."""
    for person_id in sorted(names, key=len, reverse=True):
        text = text.replace(person_id, names[person_id])
    return text


def readable_summary(plan: RotationPlan, names: Mapping[str, str]) -> str:
    return _readable(plan.summary(names), names)


# --------------------------------------------------------------------------------------------
# Feedback and the event summary
# --------------------------------------------------------------------------------------------


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
        participant = _participant(session, event_id, user_id)
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
    participants = _participants(session, event.id)
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
                topic=_topic(event_id),
                payload={"event_id": event_id, "programme_id": programme_id, "inviter": by},
            )
    return programme_id, interested


def programme_description(event_name: str) -> str:
    return (
        f"A long reverse mentoring programme for people who took part in {event_name} and asked to carry on: "
        "junior colleagues mentor senior leaders, across organisations."
    )


def check_event_lead(db: Database, event_id: int, user_id: str, *, admin: bool) -> SpeedEvent:
    """The event, if this person may act as its lead (raises ``NotAllowed`` otherwise)."""
    with db.session() as session:
        return require_event_lead(session, event_id, user_id, admin=admin)


def check_event_input(db: Database, data: EventInput, *, created_by: str, may_create: bool) -> None:
    """Validate the new-event form without saving (so the form can answer at once)."""
    if not may_create:
        raise NotAllowed("speed_events.create_only")
    with db.session() as session:

        validate_event(session, data)

"""What a speed mentoring event is: its settings, kinds of timed message, inputs, timeline, and who may act on it.

The rest of the feature builds on this module: :mod:`bot.speed_events.service` (setting an event up,
RSVPs), :mod:`bot.speed_events.plans` (the rotation plan and publishing it) and
:mod:`bot.speed_events.feedback` (feedback and the summary).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.clock import as_utc, now
from bot.db import Database
from bot.errors import NotAllowed, NotFound, error_text
from bot.models import (
    ProgrammeLead,
    SpeedEvent,
    SpeedEventLead,
    SpeedEventParticipant,
)
from bot.speed_events.rotation import (
    Attendee,
)

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


def zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name.strip()) if name.strip() else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def event_topic(event_id: int) -> str:
    return f"event:{event_id}"


def participant_of(db: Database, event_id: int, user_id: str) -> SpeedEventParticipant:
    with db.session() as session:
        return invited_participant(session, event_id, user_id)


def invited_participant(session: Session, event_id: int, user_id: str) -> SpeedEventParticipant:
    participant = session.scalar(
        select(SpeedEventParticipant).where(
            SpeedEventParticipant.event_id == event_id, SpeedEventParticipant.user_id == user_id
        )
    )
    if participant is None:
        raise NotFound("speed_events.not_invited")
    return participant


def open_event_for_update(session: Session, event_id: int) -> SpeedEvent:
    event = session.get(SpeedEvent, event_id, with_for_update=True)
    if event is None or event.status == "cancelled":
        raise NotFound("speed_events.called_off")
    if timeline(event).ends_at <= now():
        raise NotFound("speed_events.over", event=event.name)
    return event


def event_participants(session: Session, event_id: int) -> list[SpeedEventParticipant]:
    return list(
        session.scalars(
            select(SpeedEventParticipant)
            .where(SpeedEventParticipant.event_id == event_id)
            .order_by(SpeedEventParticipant.role, SpeedEventParticipant.real_name, SpeedEventParticipant.user_id)
        )
    )


def coming(participants: Iterable[SpeedEventParticipant]) -> list[SpeedEventParticipant]:
    return [p for p in participants if p.rsvp == "yes" and p.dropped_from_round is None and p.organisation.strip()]


def as_attendees(participants: Iterable[SpeedEventParticipant]) -> list[Attendee]:
    return [Attendee(p.user_id, "mentor" if p.role == "mentor" else "mentee", p.organisation) for p in participants]


def check_event_lead(db: Database, event_id: int, user_id: str, *, admin: bool) -> SpeedEvent:
    """The event, if this person may act as its lead (raises ``NotAllowed`` otherwise)."""
    with db.session() as session:
        return require_event_lead(session, event_id, user_id, admin=admin)

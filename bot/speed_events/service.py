"""Reverse speed mentoring events: setting one up and the RSVPs (the plan is in :mod:`bot.speed_events.plans`,
feedback in :mod:`bot.speed_events.feedback`, settings and access in :mod:`bot.speed_events.records`).

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
plain-language reasons (:func:`bot.speed_events.plans.plan_to_json`); nothing a person wrote in confidence goes into it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot import outbox, submissions
from bot.clock import now
from bot.db import Database
from bot.errors import FieldErrors, NotAllowed, NotFound, Problem
from bot.models import (
    OutboxMessage,
    SpeedEvent,
    SpeedEventLead,
    SpeedEventParticipant,
)
from bot.speed_events.plans import (
    PlanChange,
    replan_published,
)
from bot.speed_events.records import (
    INVITATION_KIND,
    MAX_BRIEFING_MINUTES,
    MAX_ROUND_MINUTES,
    MIN_ROUND_MINUTES,
    TEXT_MAX,
    EventInput,
    PersonInfo,
    PreEventAnswers,
    event_topic,
    invited_participant,
    is_event_lead,
    open_event_for_update,
    require_event_lead,
    timeline,
    zone,
)
from bot.speed_events.rotation import (
    MAX_ROUNDS,
    MIN_ROUNDS,
)


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
            topic=event_topic(event.id),
            payload={"event_id": event.id},
        )
    return participant, added


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
        validate_answers(invited_participant(session, event_id, user_id).role, answers)


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
        event = open_event_for_update(session, event_id)
        participant = invited_participant(session, event_id, info.user_id)
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
            change = replan_published(session, event, reason="joined", person=info.user_id)
        return Rsvp(participant, change)


def rsvp_no(db: Database, event_id: int, user_id: str) -> tuple[SpeedEventParticipant, PlanChange | None]:
    """Record a no (no reason needed). After publishing, the rounds not yet started are re-planned."""
    with db.session() as session:
        event = open_event_for_update(session, event_id)
        participant = invited_participant(session, event_id, user_id)
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
    return replan_published(session, event, reason=reason, person=participant.user_id)


def _cancel_person(session: Session, event_id: int, user_id: str) -> int:
    """Cancel every pending message to a person about this event (in the caller's transaction)."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.topic == event_topic(event_id),
            OutboxMessage.recipient_user_id == user_id,
            OutboxMessage.status == "pending",
        )
        .values(status="cancelled", last_error="left the event")
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def check_event_input(db: Database, data: EventInput, *, created_by: str, may_create: bool) -> None:
    """Validate the new-event form without saving (so the form can answer at once)."""
    if not may_create:
        raise NotAllowed("speed_events.create_only")
    with db.session() as session:
        validate_event(session, data)

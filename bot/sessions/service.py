"""Sessions: offering times, booking, rescheduling, cancelling, and what happens around each one.

A pair meets every ``cadence_min_days``..``cadence_max_days`` (21 to 28 by default), the first
time within two weeks. Times are found by :mod:`bot.sessions.slots` inside both people's working
hours, each in their own IANA time zone. Every timed message (confirmation with the calendar
invite, reminders, the mentee's agenda prompt, the private "Did you meet?", nudges, at-risk
alerts) is an outbox row with ``topic=f"session:{id}"`` (or ``f"pair:{id}:window"``), enqueued in
the same transaction as the change that causes it; rescheduling or cancelling cancels the pending
rows of that topic and enqueues new ones in that same transaction.

Hooks for other features (all called inside the caller's unit of work):

- :func:`on_session_held` runs once when a session first counts as held. The reflections feature
  adds its prompt in :data:`SESSION_HELD_HOOKS` (see the marked place in the function).
- :func:`on_last_session_held` runs when the last session on the roadmap is held: programme
  close-out belongs to the lead's feature; register it in :data:`CLOSE_OUT_HOOKS`.
- The pair journey's outbox kinds ``agenda_request``, ``contract_prompt`` and ``contract_review``
  are enqueued here, as the sessions move.
"""

from __future__ import annotations

import logging
import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bot import outbox
from bot.clock import as_utc, now
from bot.db import Database
from bot.errors import FieldErrors, NotAllowed, NotFound
from bot.models import Enrolment, MentoringSession, OutboxMessage, Pair, PairSchedule, Programme
from bot.outbox import timing
from bot.sessions.slots import WorkingHours, find_slots, overlap_per_week

log = logging.getLogger(__name__)

FIRST_SESSION_WINDOW = timedelta(days=14)
EARLIEST_NOTICE = timedelta(hours=24)  # offered slots start at least a day ahead
AT_RISK_GRACE = timedelta(days=14)  # no session for the window plus this: at risk
AGENDA_LEAD_TIME = timedelta(days=3)
DID_YOU_MEET_AFTER = timedelta(hours=1)
REMINDER_DAY_AT_LEAST = timedelta(hours=12)  # a held day-before reminder still comes this far ahead
REMINDER_HOUR_AT_LEAST = timedelta(minutes=15)
DEFAULT_ROADMAP = 6
ANSWERS = ("yes", "moved", "no")

# Outbox kinds (rendered by bot/sessions/notifications.py).
KIND_UPDATE = "session_update"  # booked / rescheduled / cancelled, with the .ics, in the pair's DM
KIND_REMINDER_DAY = "session_reminder_day"
KIND_REMINDER_HOUR = "session_reminder_hour"
KIND_DID_YOU_MEET = "session_did_you_meet"
KIND_NEXT_PROMPT = "session_book_next"
KIND_NUDGE = "session_nudge"
KIND_AT_RISK = "pair_at_risk"
KIND_CONFLICT = "session_answers_conflict"
# The pair journey's kinds, enqueued as the sessions move.
KIND_AGENDA = "agenda_request"
KIND_CONTRACT_PROMPT = "contract_prompt"
KIND_CONTRACT_REVIEW = "contract_review"

SessionHook = Callable[[Session, Pair, MentoringSession], None]
# Reflections (issue 6): append a hook here that enqueues each person's private reflection prompt.
SESSION_HELD_HOOKS: list[SessionHook] = []
# Close-out (the lead's issue): append a hook here; it runs when the last planned session is held.
CLOSE_OUT_HOOKS: list[SessionHook] = []


def session_topic(session_id: int) -> str:
    return f"session:{session_id}"


def window_topic(pair_id: int) -> str:
    return f"pair:{pair_id}:window"


# ------------------------------------------------------------------------------------ the pair


@dataclass
class PairPeople:
    pair: Pair
    programme: Programme
    mentor: Enrolment
    mentee: Enrolment

    def enrolment_of(self, user_id: str) -> Enrolment:
        if user_id == self.pair.mentor_user_id:
            return self.mentor
        if user_id == self.pair.mentee_user_id:
            return self.mentee
        raise NotAllowed("sessions.not_a_member")

    def partner_of(self, user_id: str) -> Enrolment:
        return self.mentee if user_id == self.pair.mentor_user_id else self.mentor

    def role_of(self, user_id: str) -> str:
        return self.enrolment_of(user_id).role

    @property
    def people(self) -> tuple[Enrolment, Enrolment]:
        return self.mentor, self.mentee

    @property
    def hours(self) -> list[WorkingHours]:
        return [hours_of(self.mentor), hours_of(self.mentee)]


def hours_of(enrolment: Enrolment) -> WorkingHours:
    return WorkingHours(
        tz=enrolment.tz or "UTC",
        start=enrolment.work_start or time(9),
        end=enrolment.work_end or time(17),
        days=frozenset(enrolment.work_days if enrolment.work_days is not None else range(5)),
    )


def load_pair(session: Session, pair_id: int) -> PairPeople:
    pair = session.get(Pair, pair_id)
    if pair is None:
        raise NotFound("matching.pair_not_found")
    people = {
        e.user_id: e
        for e in session.scalars(
            select(Enrolment).where(
                Enrolment.programme_id == pair.programme_id,
                Enrolment.user_id.in_([pair.mentor_user_id, pair.mentee_user_id]),
            )
        )
    }
    if pair.mentor_user_id not in people or pair.mentee_user_id not in people:
        raise NotFound("matching.pair_not_found")
    return PairPeople(pair, pair.programme, people[pair.mentor_user_id], people[pair.mentee_user_id])


def active_pairs_of(db: Database, user_id: str) -> list[int]:
    with db.session() as session:
        return list(
            session.scalars(
                select(Pair.id)
                .where(Pair.status == "active", or_(Pair.mentor_user_id == user_id, Pair.mentee_user_id == user_id))
                .order_by(Pair.created_at.desc(), Pair.id.desc())
            )
        )


def roadmap_length(programme: Programme, pair: Pair) -> int:
    """How many sessions the programme plans: its setting, or what fits before its end date."""
    if programme.planned_sessions:
        return int(programme.planned_sessions)
    if programme.end_date is not None:
        cadence = (programme.cadence_min_days + programme.cadence_max_days) / 2
        days = (programme.end_date - as_utc(pair.created_at).date()).days
        return max(1, 1 + math.floor(max(days - 14, 0) / cadence))
    return DEFAULT_ROADMAP


def midpoint(length: int) -> int | None:
    """The session whose holding triggers the contract review (None: too short a roadmap for one)."""
    point = math.ceil(length / 2)
    return point if point > 2 else None


def sessions_in(session: Session, pair_id: int) -> list[MentoringSession]:
    return list(
        session.scalars(
            select(MentoringSession)
            .where(MentoringSession.pair_id == pair_id)
            .order_by(MentoringSession.starts_at, MentoringSession.id)
        )
    )


def upcoming_session(session: Session, pair_id: int) -> MentoringSession | None:
    """The pair's booked session that has not yet ended (at most one at a time). A past session
    nobody has answered for yet does not stop the pair booking the next one."""
    return session.scalar(
        select(MentoringSession)
        .where(
            MentoringSession.pair_id == pair_id,
            MentoringSession.status == "booked",
            MentoringSession.ends_at > now(),
        )
        .order_by(MentoringSession.starts_at)
        .limit(1)
    )


def _last_held(sessions: list[MentoringSession]) -> MentoringSession | None:
    held = [s for s in sessions if s.status == "held"]
    return held[-1] if held else None


# ------------------------------------------------------------------------------------ windows


@dataclass(frozen=True)
class Window:
    earliest: datetime
    latest: datetime
    first: bool
    late: bool = False  # the cadence window has already passed: the soonest good times instead


def booking_window(people: PairPeople, sessions: list[MentoringSession], at: datetime) -> Window:
    """When the next session should be: two weeks for the first (or after one that didn't happen),
    ``cadence_min_days``..``cadence_max_days`` after the last held session otherwise."""
    soonest = at + EARLIEST_NOTICE
    past = [s for s in sessions if s.status in {"held", "missed"} or (s.status == "cancelled" and s.cancel_reason)]
    last_held = _last_held(sessions)
    latest_past = past[-1] if past else None
    # "In the next two weeks" means from now, not from the first time that may be offered.
    if last_held is None or (latest_past is not None and latest_past.status != "held"):
        return Window(soonest, at + FIRST_SESSION_WINDOW, first=last_held is None)
    programme = people.programme
    base = as_utc(last_held.starts_at)
    earliest = base + timedelta(days=programme.cadence_min_days)
    latest = base + timedelta(days=programme.cadence_max_days)
    if latest < soonest:
        return Window(soonest, at + FIRST_SESSION_WINDOW, first=False, late=True)
    return Window(max(earliest, soonest), latest, first=False)


def _busy(session: Session, people: PairPeople, excluding: int | None) -> list[tuple[datetime, datetime]]:
    """Booked sessions of either person (in any of their pairs), so nobody is double-booked."""
    users = [people.pair.mentor_user_id, people.pair.mentee_user_id]
    pair_ids = select(Pair.id).where(or_(Pair.mentor_user_id.in_(users), Pair.mentee_user_id.in_(users)))
    rows = session.scalars(
        select(MentoringSession).where(
            MentoringSession.pair_id.in_(pair_ids), MentoringSession.status.in_(["booked", "held", "proposed"])
        )
    )
    return [(as_utc(s.starts_at), as_utc(s.ends_at)) for s in rows if s.id != excluding]


@dataclass
class SlotOffer:
    pair_id: int
    viewer_id: str
    viewer: WorkingHours
    partner_name: str
    partner_id: str
    partner: WorkingHours
    window: Window
    slots: list[datetime]
    duration: timedelta
    number: int
    rescheduling: int | None = None
    upcoming: MentoringSession | None = None
    shared_per_week: timedelta = timedelta(0)

    @property
    def no_overlap(self) -> bool:
        return self.shared_per_week == timedelta(0)


def offer_slots(db: Database, pair_id: int, viewer_id: str, *, rescheduling: int | None = None) -> SlotOffer:
    """Three to five good times for the pair's next session (or to move ``rescheduling`` to)."""
    with db.session() as session:
        people = load_pair(session, pair_id)
        viewer = people.enrolment_of(viewer_id)
        partner = people.partner_of(viewer_id)
        if people.pair.status != "active":
            raise NotAllowed("sessions.pair_not_active")
        sessions = sessions_in(session, pair_id)
        upcoming = upcoming_session(session, pair_id)
        if rescheduling is not None:
            moving = session.get(MentoringSession, rescheduling)
            if moving is None or moving.pair_id != pair_id or moving.status != "booked":
                raise NotAllowed("sessions.cannot_move")
            sessions = [s for s in sessions if s.id != rescheduling]
            upcoming = None
        at = now()
        window = booking_window(people, sessions, at)
        duration = timedelta(minutes=people.programme.session_minutes)
        hours = [hours_of(viewer), hours_of(partner)]
        shared = overlap_per_week(hours, at)
        slots = (
            []
            if upcoming is not None or shared < duration
            else find_slots(
                hours, window.earliest, window.latest, duration, _busy(session, people, rescheduling), count=4
            )
        )
        if upcoming is None and not slots and shared >= duration and not window.first:
            # Nothing in the cadence window (a busy calendar): the soonest good times after it.
            slots = find_slots(
                hours, window.latest, window.latest + FIRST_SESSION_WINDOW, duration, _busy(session, people, None)
            )
        held = sum(1 for s in sessions if s.status == "held")
        number = (
            session.get(MentoringSession, rescheduling).number  # type: ignore[union-attr]
            if rescheduling is not None
            else held + 1
        )
        return SlotOffer(
            pair_id=pair_id,
            viewer_id=viewer_id,
            viewer=hours[0],
            partner_name=partner.real_name or "your partner",
            partner_id=partner.user_id,
            partner=hours[1],
            window=window,
            slots=slots,
            duration=duration,
            number=number,
            rescheduling=rescheduling,
            upcoming=upcoming,
            shared_per_week=shared,
        )


# ------------------------------------------------------------------------------------ booking


@dataclass
class Booking:
    session: MentoringSession
    rescheduled: bool = False
    already_booked: bool = False  # the same time was booked a moment ago (a double click)


def _outside_detail(person: Enrolment, starts: datetime, ends: datetime, viewer: str) -> str:
    hours = hours_of(person)
    s, e = starts.astimezone(hours.zone), ends.astimezone(hours.zone)
    who = "for you" if person.user_id == viewer else f"for {person.real_name or 'your partner'}"
    return f"{s:%a} {s:%H:%M}–{e:%H:%M} {who} ({hours.describe()})"


def outside_hours(hours: list[tuple[str, WorkingHours]], starts: datetime, ends: datetime) -> list[str]:
    """The names of the people for whom ``[starts, ends)`` is outside working hours."""
    return [name for name, person in hours if not person.contains(starts, ends)]


def book_session(
    db: Database,
    pair_id: int,
    user_id: str,
    starts_at: datetime,
    *,
    rescheduling: int | None = None,
    allow_outside_hours: bool = False,
) -> Booking:
    """Book the pair's next session (or move ``rescheduling``) at ``starts_at``; either person may.

    Schedules the confirmation with the calendar invite, the reminders, the agenda prompt and the
    private "Did you meet?" in the same transaction. Raises FieldErrors (field ``time``) when the
    time is no good, NotAllowed when the person may not book.
    """
    starts_at = as_utc(starts_at)
    with db.session() as session:
        pair = session.get(Pair, pair_id, with_for_update=True)  # serialise bookings of one pair
        people = load_pair(session, pair_id)
        people.enrolment_of(user_id)
        pair = people.pair
        if pair.status != "active":
            raise NotAllowed("sessions.pair_not_active")
        duration = timedelta(minutes=people.programme.session_minutes)
        ends_at = starts_at + duration
        if starts_at <= now():
            raise FieldErrors.on("time", "sessions.time_passed")
        upcoming = upcoming_session(session, pair_id)
        if rescheduling is None and upcoming is not None:
            if as_utc(upcoming.starts_at) == starts_at:
                return Booking(upcoming, already_booked=True)
            raise NotAllowed("sessions.already_booked")
        if rescheduling is not None:
            moving = session.get(MentoringSession, rescheduling)
            if moving is None or moving.pair_id != pair_id or moving.status != "booked":
                raise NotAllowed("sessions.cannot_move")
            if as_utc(moving.starts_at) == starts_at:
                return Booking(moving, rescheduled=True, already_booked=True)
        for busy_start, busy_end in _busy(session, people, rescheduling):
            if starts_at < busy_end and busy_start < ends_at:
                raise FieldErrors.on("time", "sessions.clash")
        if not allow_outside_hours:
            outside = [e for e in people.people if not hours_of(e).contains(starts_at, ends_at)]
            if outside:
                details = "; ".join(_outside_detail(e, starts_at, ends_at, user_id) for e in outside)
                raise FieldErrors.on("time", "sessions.outside_working_hours", details=details)
        if rescheduling is not None:
            row = session.get(MentoringSession, rescheduling)
            assert row is not None
            previous = as_utc(row.starts_at)
            row.starts_at, row.ends_at = starts_at, ends_at
            row.ics_sequence += 1
            row.booked_by = user_id
            outbox.cancel(
                session, topic=session_topic(row.id), reason="the session was rescheduled", keep_kinds=(KIND_AGENDA,)
            )
            session.flush()
            _schedule_around(session, people, row, event="rescheduled", previous=previous)
            return Booking(row, rescheduled=True)
        sessions = sessions_in(session, pair_id)
        row = MentoringSession(
            pair_id=pair_id,
            programme_id=pair.programme_id,
            number=sum(1 for s in sessions if s.status == "held") + 1,
            starts_at=starts_at,
            ends_at=ends_at,
            status="booked",
            ics_uid=f"{uuid.uuid4()}@reverse-mentoring",
            ics_sequence=0,
            booked_by=user_id,
        )
        session.add(row)
        session.flush()
        _schedule_around(session, people, row, event="booked")
        watch_pair(session, pair)
        return Booking(row)


def _schedule_around(
    session: Session, people: PairPeople, row: MentoringSession, *, event: str, previous: datetime | None = None
) -> None:
    """The confirmation (with the invite), reminders, the agenda prompt and the did-you-meet rows."""
    pair, seq, topic = people.pair, row.ics_sequence, session_topic(row.id)
    starts, ends, at = as_utc(row.starts_at), as_utc(row.ends_at), now()
    common: dict[str, Any] = {"programme_id": pair.programme_id, "pair_id": pair.id, "topic": topic}
    payload = {"session_id": row.id, "sequence": seq, "pair_id": pair.id}
    outbox.enqueue(
        session,
        kind=KIND_UPDATE,
        key=f"session:{row.id}:s{seq}:{event}",
        payload={**payload, "event": event, "previous": previous.isoformat() if previous else None},
        channel_id=pair.group_dm_channel_id,
        any_hour=True,  # the confirmation and invite of what one of them has just done
        **common,
    )
    for kind, send_at, name in reminder_times(session, pair, starts, at):
        outbox.enqueue(
            session,
            kind=kind,
            key=f"session:{row.id}:s{seq}:reminder-{name}",
            send_at=send_at,
            payload=payload,
            channel_id=pair.group_dm_channel_id,
            about=starts,
            **common,
        )
    _ask_for_agenda(session, pair, row)
    for person in people.people:
        outbox.enqueue(
            session,
            kind=KIND_DID_YOU_MEET,
            key=f"session:{row.id}:s{seq}:met:{person.role}",
            send_at=ends + DID_YOU_MEET_AFTER,
            payload=payload,
            recipient_user_id=person.user_id,
            **common,
        )


def reminder_times(session: Session, pair: Pair, starts: datetime, at: datetime) -> list[tuple[str, datetime, str]]:
    """When to remind the pair of a session starting at ``starts``: the day before and an hour before.

    Both keep to the pair's working hours (:mod:`bot.outbox.timing`) unless the session itself falls
    outside them. The day-before reminder of a session after a day off goes on the last working day
    before it (Friday for a Monday); the hour-before one is left out when working hours would hold it
    until the session is about to start (a 09:00 session: the day-before reminder is enough)."""

    def held(when: datetime) -> datetime:
        return timing.deliver_at(
            session, when, programme_id=pair.programme_id, recipient_user_id=None,
            channel_id=pair.group_dm_channel_id, pair_id=pair.id, about=starts,
        )

    found: list[tuple[str, datetime, str]] = []
    for days in range(1, 5):  # the same time one, two, three or four days before
        when = starts - timedelta(days=days)
        if when <= at:
            break
        if held(when) <= starts - REMINDER_DAY_AT_LEAST:
            found.append((KIND_REMINDER_DAY, when, "day"))
            break
    hour = starts - timedelta(hours=1)
    if hour > at and held(hour) <= starts - REMINDER_HOUR_AT_LEAST:
        found.append((KIND_REMINDER_HOUR, hour, "hour"))
    return found


def _ask_for_agenda(session: Session, pair: Pair, row: MentoringSession) -> None:
    """The mentee's agenda prompt a few days before (the pair journey's kind), moved with the session."""
    starts, at = as_utc(row.starts_at), now()
    when = max(at, starts - AGENDA_LEAD_TIME)
    pending = list(
        session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.topic == session_topic(row.id),
                OutboxMessage.kind == KIND_AGENDA,
                OutboxMessage.status.in_(["pending", "sent", "sending"]),
            )
        )
    )
    if pending:  # already asked, or asking: a pending prompt moves with the session
        for request in pending:
            if request.status == "pending":
                request.send_at = timing.deliver_at(
                    session, when, programme_id=request.programme_id, recipient_user_id=request.recipient_user_id,
                    channel_id=request.channel_id, pair_id=request.pair_id,
                )
        return
    if starts - at < timedelta(hours=12):
        return  # too close to be useful
    from bot.journey import service as journey

    journey.enqueue_agenda_request(session, pair.id, when, session_id=row.id)


def cancel_session(db: Database, session_id: int, user_id: str, *, reason: str = "cancelled") -> MentoringSession:
    """Cancel a booked session: its pending messages stop and the calendar event is cancelled."""
    with db.session() as session:
        row = session.get(MentoringSession, session_id, with_for_update=True)
        if row is None:
            raise NotFound("sessions.not_found")
        people = load_pair(session, row.pair_id)
        people.enrolment_of(user_id)
        if row.status != "booked":
            raise NotAllowed("sessions.not_booked")
        if as_utc(row.starts_at) <= now():
            raise NotAllowed("sessions.already_started")
        row.status = "cancelled"
        row.cancel_reason = None  # cancelled ahead: not counted as a session that didn't happen
        row.ics_sequence += 1
        outbox.cancel(session, topic=session_topic(row.id), reason="the session was cancelled")
        outbox.enqueue(
            session,
            kind=KIND_UPDATE,
            key=f"session:{row.id}:s{row.ics_sequence}:cancelled",
            payload={"session_id": row.id, "sequence": row.ics_sequence, "pair_id": row.pair_id, "event": "cancelled",
                     "by": user_id},
            channel_id=people.pair.group_dm_channel_id,
            any_hour=True,  # the calendar cancellation of what one of them has just done
            programme_id=people.pair.programme_id,
            pair_id=row.pair_id,
            topic=session_topic(row.id),
        )
        session.flush()
        return row


def cancel_pair_sessions(session: Session, pair_id: int, *, reason: str = "the pair was paused") -> int:
    """For pausing, rematching or ending a pair (the lead's features): cancel its booked sessions and
    every pending message about it, in the caller's transaction. Returns how many sessions."""
    rows = list(
        session.scalars(
            select(MentoringSession).where(MentoringSession.pair_id == pair_id, MentoringSession.status == "booked")
        )
    )
    for row in rows:
        row.status = "cancelled"
        row.cancel_reason = None
        row.ics_sequence += 1
        outbox.cancel(session, topic=session_topic(row.id), reason=reason)
    outbox.cancel(session, topic=window_topic(pair_id), reason=reason)
    return len(rows)


# ------------------------------------------------------------------------------------ did you meet


@dataclass
class Answer:
    session: MentoringSession
    answer: str
    held_now: bool = False
    offer_rebooking: bool = False
    last_planned: bool = False


def record_answer(db: Database, session_id: int, user_id: str, answer: str) -> Answer:
    """A person's private answer to "Did you meet?". One "yes" is enough for the session to count
    as held; answers that disagree go to the lead as a possible issue, never to the partner."""
    if answer not in ANSWERS:
        raise NotAllowed("sessions.answer_required")
    with db.session() as session:
        row = session.get(MentoringSession, session_id, with_for_update=True)
        if row is None:
            raise NotFound("sessions.not_found")
        people = load_pair(session, row.pair_id)
        role = people.role_of(user_id)
        if as_utc(row.starts_at) > now():
            raise NotAllowed("sessions.not_started")
        if row.status == "cancelled" and row.cancel_reason is None:
            raise NotAllowed("sessions.cancelled")

        setattr(row, f"{role}_answer", answer)
        answers = {a for a in (row.mentor_answer, row.mentee_answer) if a}
        was_held = row.status == "held"
        if "yes" in answers:
            row.status, row.cancel_reason = "held", None
        elif "no" in answers:
            row.status, row.cancel_reason = "missed", None
        else:  # only "moved": it didn't happen at this time; they will book the new time
            row.status, row.cancel_reason = "cancelled", "moved"
        if "yes" in answers and len(answers) > 1:
            _alert_leads(
                session,
                people,
                kind=KIND_CONFLICT,
                key=f"session:{row.id}:conflict",
                payload={"session_id": row.id, "pair_id": people.pair.id},
            )
        session.flush()
        result = Answer(row, answer, offer_rebooking=row.status != "held")
        if row.status == "held" and not was_held:
            result.held_now = True
            result.last_planned = row.number >= roadmap_length(people.programme, people.pair)
            on_session_held(session, people.pair, row)
        elif row.status == "missed":
            _check_missed_twice(session, people)
        return result


def on_session_held(session: Session, pair: Pair, session_row: MentoringSession) -> None:
    """Everything that follows a held session, once, in the same transaction as the answer.

    1. The pair is no longer at risk; a new cadence window starts from this session.
    2. The pair journey's follow-ups: the contract prompt after the first session, the contract
       review at the roadmap's midpoint (outbox kinds owned by the journey feature).
    3. The prompt to book the next session, or close-out after the last planned one.
    4. Reflections (issue 6): ``SESSION_HELD_HOOKS`` (the reflection prompt goes there).
    """
    people = load_pair(session, pair.id)
    state = session.get(PairSchedule, pair.id)
    if state is not None and state.at_risk:
        state.at_risk, state.at_risk_reason, state.at_risk_since = False, None, None
    watch_pair(session, pair, restart=True)
    length = roadmap_length(people.programme, pair)
    common: dict[str, Any] = {"programme_id": pair.programme_id, "pair_id": pair.id}
    if session_row.number == 1:
        from bot.journey import service as journey

        journey.enqueue_contract_prompt(session, pair.id, now())
    if session_row.number == midpoint(length):
        from bot.journey import service as journey

        journey.enqueue_contract_review(session, pair.id, now())
    if session_row.number >= length:
        on_last_session_held(session, pair, session_row)
    else:
        outbox.enqueue(
            session,
            kind=KIND_NEXT_PROMPT,
            key=f"session:{session_row.id}:book-next",
            payload={"session_id": session_row.id, "pair_id": pair.id},
            channel_id=pair.group_dm_channel_id,
            topic=window_topic(pair.id) + ":prompt",
            **common,
        )
    # --- Reflections (issue 6): a private reflection prompt for each person, and one reminder ---
    from bot.reflections.service import enqueue_reflection_prompts

    enqueue_reflection_prompts(session, pair, session_row)
    for hook in SESSION_HELD_HOOKS:
        hook(session, pair, session_row)


def on_last_session_held(session: Session, pair: Pair, session_row: MentoringSession) -> None:
    """The last session on the roadmap was held: close-out (the lead's feature) starts here."""
    outbox.cancel(session, topic=window_topic(pair.id), reason="the last planned session was held")
    for hook in CLOSE_OUT_HOOKS:
        hook(session, pair, session_row)


def _check_missed_twice(session: Session, people: PairPeople) -> None:
    past = [s for s in sessions_in(session, people.pair.id) if s.status in {"held", "missed"}]
    if len(past) >= 2 and past[-1].status == "missed" and past[-2].status == "missed":
        mark_at_risk(session, people, "missed_twice", key_suffix=f"missed:{past[-1].id}")


# ------------------------------------------------------------------------------------ windows, nudges, at risk


def watch_pair(session: Session, pair: Pair, *, restart: bool = False) -> PairSchedule:
    """Make sure the pair's current cadence window has its nudge and at-risk check scheduled.

    Idempotent (keys name the window). ``restart`` after a held session: the old window's
    pending checks are cancelled and the new window's are scheduled.
    """
    people = load_pair(session, pair.id)
    sessions = sessions_in(session, pair.id)
    last_held = _last_held(sessions)
    programme = people.programme
    if last_held is None:
        starts = as_utc(pair.created_at)
        ends = starts + FIRST_SESSION_WINDOW
    else:
        starts = as_utc(last_held.starts_at) + timedelta(days=programme.cadence_min_days)
        ends = as_utc(last_held.starts_at) + timedelta(days=programme.cadence_max_days)
    state = session.get(PairSchedule, pair.id)
    if state is None:
        state = PairSchedule(pair_id=pair.id, programme_id=pair.programme_id, window_starts=starts, window_ends=ends)
        session.add(state)
    elif as_utc(state.window_ends) != ends:
        if restart:
            outbox.cancel(session, topic=window_topic(pair.id), reason="a new window started")
        state.window_starts, state.window_ends = starts, ends
    if pair.status != "active" or (last_held is not None and last_held.number >= roadmap_length(programme, pair)):
        return state
    stamp = ends.strftime("%Y%m%dT%H%M")
    common: dict[str, Any] = {"programme_id": pair.programme_id, "pair_id": pair.id, "topic": window_topic(pair.id)}
    window = {"pair_id": pair.id, "window_ends": ends.isoformat()}
    outbox.enqueue(
        session,
        kind=KIND_NUDGE,
        key=f"pair:{pair.id}:nudge:{stamp}",
        send_at=ends,
        payload=window,
        channel_id=pair.group_dm_channel_id,
        **common,
    )
    _alert_leads(
        session,
        people,
        kind=KIND_AT_RISK,
        key=f"pair:{pair.id}:at-risk-check:{stamp}",
        payload={**window, "reason": "no_session", "check": True},
        send_at=ends + AT_RISK_GRACE,
        topic=window_topic(pair.id),
    )
    return state


def watch_new_pairs(db: Database) -> int:
    """Start watching active pairs that have no scheduling state yet (a worker job; idempotent)."""
    with db.session() as session:
        pairs = list(
            session.scalars(
                select(Pair)
                .outerjoin(PairSchedule, PairSchedule.pair_id == Pair.id)
                .where(Pair.status == "active", PairSchedule.pair_id.is_(None))
                .limit(500)
            )
        )
        for pair in pairs:
            try:
                watch_pair(session, pair)
            except NotFound:
                continue
        return len(pairs)


def window_still_open(session: Session, pair_id: int, window_ends: str) -> bool:
    """For the nudge and at-risk renderers: the window is unchanged and nothing is booked."""
    pair = session.get(Pair, pair_id)
    state = session.get(PairSchedule, pair_id)
    if pair is None or pair.status != "active" or state is None:
        return False
    if as_utc(state.window_ends).isoformat() != window_ends:
        return False
    return not booked_in_window(session, pair_id, as_utc(state.window_starts))


def booked_in_window(session: Session, pair_id: int, window_starts: datetime) -> bool:
    """Whether the pair has a session booked: one still to come, or one in this window that has
    taken place and is waiting for its "Did you meet?" answers (it is booked, not missing)."""
    found = session.scalar(
        select(MentoringSession.id)
        .where(
            MentoringSession.pair_id == pair_id,
            MentoringSession.status == "booked",
            or_(MentoringSession.ends_at > now(), MentoringSession.starts_at >= window_starts),
        )
        .limit(1)
    )
    return found is not None


def mark_at_risk(session: Session, people: PairPeople, reason: str, *, key_suffix: str) -> None:
    """Flag the pair at risk (queryable: ``pair_schedules.at_risk``) and tell the leads once."""
    state = session.get(PairSchedule, people.pair.id)
    if state is None:
        state = watch_pair(session, people.pair)
    if not state.at_risk:
        state.at_risk, state.at_risk_reason, state.at_risk_since = True, reason, now()
    _alert_leads(
        session,
        people,
        kind=KIND_AT_RISK,
        key=f"pair:{people.pair.id}:at-risk:{key_suffix}",
        payload={"pair_id": people.pair.id, "reason": reason, "check": False},
    )


def flag_if_still_unscheduled(session: Session, pair_id: int, window_ends: str) -> bool:
    """The at-risk check at the end of the window plus 14 days (called when its row is due)."""
    if not window_still_open(session, pair_id, window_ends):
        return False
    state = session.get(PairSchedule, pair_id)
    assert state is not None
    if not state.at_risk:
        state.at_risk, state.at_risk_reason, state.at_risk_since = True, "no_session", now()
    return True


def _alert_leads(
    session: Session,
    people: PairPeople,
    *,
    kind: str,
    key: str,
    payload: dict[str, Any],
    send_at: datetime | None = None,
    topic: str | None = None,
) -> None:
    """A row per lead (their DM), or one to the programme's leads channel when it has one."""
    programme = people.programme
    common: dict[str, Any] = {
        "programme_id": programme.id,
        "pair_id": people.pair.id,
        "send_at": send_at,
        "topic": topic,
        "payload": payload,
        "kind": kind,
    }
    if programme.alerts_channel_id:
        outbox.enqueue(session, key=f"{key}:channel", channel_id=programme.alerts_channel_id, **common)
        return
    for lead in programme.leads:
        outbox.enqueue(session, key=f"{key}:{lead.user_id}", recipient_user_id=lead.user_id, **common)


@dataclass(frozen=True)
class AtRiskPair:
    pair_id: int
    mentor_user_id: str
    mentee_user_id: str
    reason: str
    since: datetime


def at_risk_pairs(db: Database, programme_id: int) -> list[AtRiskPair]:
    """For the lead's dashboard: the programme's pairs flagged at risk, and why."""
    with db.session() as session:
        rows = session.execute(
            select(Pair, PairSchedule)
            .join(PairSchedule, PairSchedule.pair_id == Pair.id)
            .where(PairSchedule.programme_id == programme_id, PairSchedule.at_risk.is_(True))
            .order_by(PairSchedule.at_risk_since)
        ).all()
        return [
            AtRiskPair(
                p.id, p.mentor_user_id, p.mentee_user_id, s.at_risk_reason or "", as_utc(s.at_risk_since or now())
            )
            for p, s in rows
        ]


@dataclass(frozen=True)
class SessionCounts:
    booked: int = 0
    held: int = 0
    missed: int = 0
    cancelled: int = 0
    by_status: dict[str, int] = field(default_factory=dict)


def session_counts(db: Database, programme_id: int) -> SessionCounts:
    with db.session() as session:
        rows = session.execute(
            select(MentoringSession.status, func.count())
            .where(MentoringSession.programme_id == programme_id)
            .group_by(MentoringSession.status)
        ).all()
    counts = {status: int(count) for status, count in rows}
    return SessionCounts(
        booked=counts.get("booked", 0),
        held=counts.get("held", 0),
        missed=counts.get("missed", 0),
        cancelled=counts.get("cancelled", 0),
        by_status=counts,
    )


def sessions_of_pair(db: Database, pair_id: int) -> list[MentoringSession]:
    with db.session() as session:
        return sessions_in(session, pair_id)


def get_session(db: Database, session_id: int) -> MentoringSession:
    with db.session() as session:
        row = session.get(MentoringSession, session_id)
        if row is None:
            raise NotFound("sessions.not_found")
        return row


def local_start(day: date, at: time, hours: WorkingHours) -> datetime:
    """A date and wall-clock time in a person's zone, as a UTC instant."""
    return datetime.combine(day, at, tzinfo=hours.zone).astimezone(UTC)


def viewer_enrolment(db: Database, pair_id: int, user_id: str) -> Enrolment:
    with db.session() as session:
        return load_pair(session, pair_id).enrolment_of(user_id)


def book_at_local_time(
    db: Database,
    pair_id: int,
    user_id: str,
    day: date,
    at: time,
    *,
    rescheduling: int | None = None,
    allow_outside_hours: bool = False,
) -> Booking:
    """"Pick another time": a date and start time in the booker's own zone."""
    starts = local_start(day, at, hours_of(viewer_enrolment(db, pair_id, user_id)))
    return book_session(
        db, pair_id, user_id, starts, rescheduling=rescheduling, allow_outside_hours=allow_outside_hours
    )

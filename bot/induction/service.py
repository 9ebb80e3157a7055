"""Induction before stepping in: a short course in steps per role, completed with a click per step.

Who takes which induction follows from what the person is: a programme's lead takes the lead's, an
enrolled mentor or mentee their role's (``programme:<id>``); a speed event's invited mentors and
mentees read its briefing (``event:<id>``). Each completed step is one row, ever, whatever the
number of clicks, replays or retries; completing the last one records the induction as completed.
A programme can require it before matching (:func:`completed_user_ids`, used by the matching
workflow). The lead sees per person how many steps are done, never anything else.

The steps themselves are content (``content/induction.yml``), so a programme's own content folder
can reword them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import outbox
from bot.clock import as_utc, now
from bot.content import Content, Induction, InductionStep
from bot.db import Database
from bot.errors import NotAllowed, NotFound
from bot.models import (
    Enrolment,
    InductionCompletion,
    InductionStepDone,
    Programme,
    ProgrammeLead,
    SpeedEvent,
    SpeedEventParticipant,
)
from bot.programmes.access import require_lead

PROGRAMME = "programme"
EVENT = "event"
REMINDER_KIND = "induction_reminder"
REMINDER_WORKING_DAYS = 2


@dataclass(frozen=True)
class Scope:
    """Whose induction this is about: a programme's (``programme:12``) or a speed event's briefing."""

    kind: str
    id: int

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"

    @classmethod
    def parse(cls, text: str) -> Scope:
        kind, _, number = str(text or "").partition(":")
        if kind not in (PROGRAMME, EVENT) or not number.isdigit() or len(number) > 12:
            raise NotFound("induction.not_found")
        return cls(kind, int(number))

    @classmethod
    def programme(cls, programme_id: int) -> Scope:
        return cls(PROGRAMME, programme_id)

    @classmethod
    def event(cls, event_id: int) -> Scope:
        return cls(EVENT, event_id)


@dataclass
class Progress:
    """One person's induction: which steps are done and which comes next."""

    scope: Scope
    user_id: str
    role: str
    name: str  # the programme's or event's name (as typed: escape it before showing it)
    induction: Induction
    done: frozenset[str]
    completed: bool
    newly_completed: bool = False
    recorded: bool = False  # this call recorded a step (False for a replay or a double click)

    @property
    def steps(self) -> tuple[InductionStep, ...]:
        return self.induction.steps

    @property
    def done_count(self) -> int:
        return sum(1 for step in self.steps if step.id in self.done)

    @property
    def next_step(self) -> InductionStep | None:
        return next((step for step in self.steps if step.id not in self.done), None)

    @property
    def next_number(self) -> int:
        """The 1-based number of the next step (one past the last when all are done)."""
        step = self.next_step
        return len(self.steps) + 1 if step is None else self.steps.index(step) + 1


@dataclass(frozen=True)
class PersonProgress:
    user_id: str
    name: str
    role: str
    done: int
    steps: int
    completed: bool


@dataclass
class Overview:
    """What a programme's lead (or an event's organiser) sees: per person, steps done, nothing else."""

    scope: Scope
    name: str
    require_induction: bool
    people: list[PersonProgress] = field(default_factory=list)

    @property
    def completed(self) -> int:
        return sum(1 for person in self.people if person.completed)


def _role_and_name(session: Session, scope: Scope, user_id: str) -> tuple[str, str]:
    """The induction role this person has in ``scope`` and the scope's name; refused for anyone else."""
    if scope.kind == PROGRAMME:
        programme = session.get(Programme, scope.id)
        if programme is None:
            raise NotFound("induction.not_found")
        is_lead = session.scalar(
            select(ProgrammeLead.id).where(ProgrammeLead.programme_id == scope.id, ProgrammeLead.user_id == user_id)
        )
        if is_lead is not None:
            return "lead", programme.name
        role = session.scalar(
            select(Enrolment.role).where(
                Enrolment.programme_id == scope.id, Enrolment.user_id == user_id, Enrolment.status != "left"
            )
        )
        if role not in ("mentor", "mentee"):
            raise NotAllowed("induction.not_yours")
        return str(role), programme.name
    event = session.get(SpeedEvent, scope.id)
    if event is None or event.status == "cancelled":
        raise NotFound("induction.not_found")
    role = session.scalar(
        select(SpeedEventParticipant.role).where(
            SpeedEventParticipant.event_id == scope.id,
            SpeedEventParticipant.user_id == user_id,
            SpeedEventParticipant.rsvp.in_(("invited", "yes")),
        )
    )
    if role not in ("mentor", "mentee"):
        raise NotAllowed("induction.not_yours")
    return f"event-{role}", event.name


def _done(session: Session, scope: Scope, user_id: str) -> frozenset[str]:
    return frozenset(
        session.scalars(
            select(InductionStepDone.step).where(
                InductionStepDone.scope == scope.key, InductionStepDone.user_id == user_id
            )
        )
    )


def _completed(session: Session, scope: Scope, user_id: str) -> bool:
    return (
        session.scalar(
            select(InductionCompletion.id).where(
                InductionCompletion.scope == scope.key, InductionCompletion.user_id == user_id
            )
        )
        is not None
    )


def _progress(session: Session, content: Content, scope: Scope, user_id: str) -> Progress:
    role, name = _role_and_name(session, scope, user_id)
    return Progress(
        scope=scope,
        user_id=user_id,
        role=role,
        name=name,
        induction=content.induction.for_role(role),
        done=_done(session, scope, user_id),
        completed=_completed(session, scope, user_id),
    )


def progress(db: Database, content: Content, scope: Scope, user_id: str) -> Progress:
    """Where this person is in their induction. Refused for anyone the induction is not for."""
    with db.session() as session:
        return _progress(session, content, scope, user_id)


def progress_in(session: Session, content: Content, scope: Scope, user_id: str) -> Progress:
    return _progress(session, content, scope, user_id)


def reminder_time(at: datetime, enrolment: Enrolment) -> datetime:
    """The start of the person's working day, ``REMINDER_WORKING_DAYS`` of their working days after ``at``."""
    try:
        zone = ZoneInfo(enrolment.tz or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    days = set(enrolment.work_days or ()) or {0, 1, 2, 3, 4}
    day, left = as_utc(at).astimezone(zone).date(), REMINDER_WORKING_DAYS
    while left:
        day += timedelta(days=1)
        if day.weekday() in days:
            left -= 1
    return as_utc(datetime.combine(day, enrolment.work_start or time(9, 0), tzinfo=zone))


def enqueue_reminder(session: Session, enrolment: Enrolment) -> bool:
    """One gentle reminder, ever, two working days after someone enrols, at the start of their day,
    in a programme that requires the induction before matching (elsewhere it is an invitation only).

    Called in the enrolment's own transaction; rendered when due, so nothing is sent to someone
    who has completed the induction or left by then, or once the programme no longer requires it."""
    programme = session.get(Programme, enrolment.programme_id)
    if programme is None or not programme.require_induction:
        return False
    return outbox.enqueue(
        session,
        kind=REMINDER_KIND,
        key=f"induction-reminder:programme:{enrolment.programme_id}:{enrolment.user_id}",
        send_at=reminder_time(now(), enrolment),
        payload={"programme_id": enrolment.programme_id},
        recipient_user_id=enrolment.user_id,
        programme_id=enrolment.programme_id,
    )


def _ids(scope: Scope) -> dict[str, int | None]:
    return {
        "programme_id": scope.id if scope.kind == PROGRAMME else None,
        "event_id": scope.id if scope.kind == EVENT else None,
    }


def _insert_once(session: Session, row: InductionStepDone | InductionCompletion) -> bool:
    """Insert a row that may exist already (a replay racing the original): True if this call made it."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return False
    return True


def complete_step(db: Database, content: Content, scope: Scope, user_id: str, step_id: str) -> Progress:
    """Record one step as done (once, however often it is clicked) and, with the last, the induction.

    A step the person's induction does not have (content changed, or a forged value) is refused with
    ``induction.unknown_step``; nothing is recorded."""
    with db.session() as session:
        current = _progress(session, content, scope, user_id)
        if step_id not in {step.id for step in current.steps}:
            raise NotFound("induction.unknown_step")
        recorded = False
        if step_id not in current.done:
            recorded = _insert_once(
                session,
                InductionStepDone(
                    scope=scope.key, user_id=user_id, role=current.role, step=step_id, completed_at=now(), **_ids(scope)
                ),
            )
        current.done = _done(session, scope, user_id)
        current.recorded = recorded
        if current.next_step is None and not current.completed:
            current.newly_completed = _insert_once(
                session,
                InductionCompletion(
                    scope=scope.key, user_id=user_id, role=current.role, completed_at=now(), **_ids(scope)
                ),
            )
            current.completed = True
        return current


def completed_user_ids(session: Session, scope: Scope, user_ids: Iterable[str] | None = None) -> set[str]:
    """Who has completed the induction of ``scope`` (optionally only among ``user_ids``)."""
    query = select(InductionCompletion.user_id).where(InductionCompletion.scope == scope.key)
    if user_ids is not None:
        query = query.where(InductionCompletion.user_id.in_(list(user_ids)))
    return set(session.scalars(query))


def steps_done_by(session: Session, scope: Scope, user_ids: Iterable[str]) -> dict[str, set[str]]:
    done: dict[str, set[str]] = {}
    rows = session.execute(
        select(InductionStepDone.user_id, InductionStepDone.step).where(
            InductionStepDone.scope == scope.key, InductionStepDone.user_id.in_(list(user_ids))
        )
    )
    for user_id, step in rows:
        done.setdefault(user_id, set()).add(step)
    return done


def _people(
    session: Session, content: Content, scope: Scope, people: list[tuple[str, str, str]]
) -> list[PersonProgress]:
    """``people`` as (user id, name, induction role): their progress, those not completed first."""
    ids = [user_id for user_id, _, _ in people]
    done = steps_done_by(session, scope, ids)
    completed = completed_user_ids(session, scope, ids)
    rows = []
    for user_id, name, role in people:
        steps = {step.id for step in content.induction.for_role(role).steps}
        rows.append(
            PersonProgress(
                user_id, name, role, len(done.get(user_id, set()) & steps), len(steps), user_id in completed
            )
        )
    return sorted(rows, key=lambda row: (row.completed, row.role, row.name.lower()))


def programme_overview(
    db: Database, content: Content, programme_id: int, lead_id: str, *, admin: bool = False
) -> Overview:
    """The lead's view: every participant (and lead) of the programme, and how far each has got."""
    scope = Scope.programme(programme_id)
    with db.session() as session:
        programme = session.get(Programme, programme_id)
        if programme is None:
            raise NotFound("induction.not_found")
        require_lead(session, programme_id, lead_id, admin=admin)
        enrolled = session.execute(
            select(Enrolment.user_id, Enrolment.real_name, Enrolment.role)
            .where(Enrolment.programme_id == programme_id, Enrolment.status != "left")
            .order_by(Enrolment.id)
        ).all()
        people = [(user_id, name or user_id, role) for user_id, name, role in enrolled if role in ("mentor", "mentee")]
        people += [(lead.user_id, "", "lead") for lead in programme.leads]
        return Overview(scope, programme.name, programme.require_induction, _people(session, content, scope, people))


@dataclass(frozen=True)
class Available:
    scope: Scope
    name: str


def inductions_for(db: Database, user_id: str) -> list[Available]:
    """The inductions this person has now: active programmes they are in or lead, events they are invited to."""
    with db.session() as session:
        programmes = session.execute(
            select(Programme.id, Programme.name)
            .join(Enrolment, Enrolment.programme_id == Programme.id)
            .where(Enrolment.user_id == user_id, Enrolment.status != "left", Programme.status == "active")
        ).all()
        led = session.execute(
            select(Programme.id, Programme.name)
            .join(ProgrammeLead, ProgrammeLead.programme_id == Programme.id)
            .where(ProgrammeLead.user_id == user_id, Programme.status == "active")
        ).all()
        events = session.execute(
            select(SpeedEvent.id, SpeedEvent.name, SpeedEvent.starts_at)
            .join(SpeedEventParticipant, SpeedEventParticipant.event_id == SpeedEvent.id)
            .where(
                SpeedEventParticipant.user_id == user_id,
                SpeedEventParticipant.rsvp.in_(("invited", "yes")),
                SpeedEvent.status != "cancelled",
            )
        ).all()
    at = now()
    found = {Scope.programme(pid): name for pid, name in [*programmes, *led]}
    found.update({Scope.event(eid): name for eid, name, starts in events if as_utc(starts) > at})
    return [Available(scope, name) for scope, name in found.items()]


def choose(available: list[Available], name: str) -> Available:
    """The induction ``/mentoring induction [name]`` is about: the one named, or the only one there is."""
    name = " ".join(name.split()).lower()
    if name:
        for item in available:
            if item.name.lower() == name:
                return item
        raise NotFound("induction.not_found")
    if not available:
        raise NotFound("induction.nothing_to_start")
    if len(available) > 1:
        raise NotAllowed("induction.which_one", names=", ".join(item.name for item in available))
    return available[0]

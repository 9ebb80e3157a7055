"""Loading a speed mentoring event's participants from a CSV: good rows in, bad rows reported by line.

Columns (a header row is required; order does not matter): ``slack`` (a Slack user ID or email),
``role`` (mentor or mentee: the mentor is the junior colleague, the mentee the senior leader) and
``organisation``. Each good row is saved on its own (never half-saved) and the person is sent an
invitation with an RSVP; their organisation is filled in on the pre-event form, where they can
correct it. A person already on the list is updated, not invited twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select

from bot.clock import now
from bot.db import Database
from bot.models import SpeedEvent, SpeedEventParticipant
from bot.programmes.imports import csv_rows, person_and_role
from bot.speed_events.records import PersonInfo, is_event_lead, timeline
from bot.speed_events.service import add_participant

REQUIRED_COLUMNS = ("slack", "role", "organisation")


@dataclass
class EventImportReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # "line 4: ..." per bad row


Resolve = Callable[[str], PersonInfo | None]


def import_event_participants(db: Database, event: SpeedEvent, text: str, resolve: Resolve) -> EventImportReport:
    """``resolve`` turns a Slack user ID or email into the person (None if Slack does not know them)."""
    report = EventImportReport()
    if event.status == "cancelled" or timeline(event).ends_at <= now():
        report.problems.append(f"line 1: {event.name} is over or called off, so nobody can be added")
        return report
    rows, missing = csv_rows(text, REQUIRED_COLUMNS)
    if missing:
        report.problems.append(missing)
        return report
    seen: set[str] = set()
    for line, row in rows:
        person, role, problems = person_and_role(row, resolve, seen)
        organisation = row.get("organisation", "")
        if not organisation:
            problems.append("organisation is empty")
        elif len(organisation) > 150:
            problems.append("organisation is longer than 150 characters")
        if problems:
            report.problems.append(f"line {line}: " + "; ".join(problems))
            continue
        assert person is not None
        seen.add(person.user_id)
        try:
            added = _save_row(db, event.id, person, role, organisation)
        except ValueError as error:
            report.problems.append(f"line {line}: {error}")
            continue
        (report.added if added else report.updated).append(person.user_id)
    return report


def _save_row(db: Database, event_id: int, person: PersonInfo, role: str, organisation: str) -> bool:
    """One row, one unit of work."""
    with db.session() as session:
        event = session.get(SpeedEvent, event_id)
        if event is None:
            raise ValueError("the event no longer exists")
        if is_event_lead(session, event_id, person.user_id):
            raise ValueError("this person leads the event, so cannot also take part")
        existing = session.scalar(
            select(SpeedEventParticipant).where(
                SpeedEventParticipant.event_id == event_id, SpeedEventParticipant.user_id == person.user_id
            )
        )
        if existing is not None and existing.role != role and existing.rsvp == "yes" and event.status == "published":
            raise ValueError(f"already placed in the published plan as a {existing.role}")
        _participant, added = add_participant(session, event, person, role, organisation=organisation, source="csv")
        return added

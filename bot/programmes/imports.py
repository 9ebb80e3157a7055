"""Bulk-loading participants from a CSV (admins): every row checked; bad rows reported by line, never half-saved.

Columns (a header row is required; order does not matter): ``slack`` (a Slack user ID or email),
``role`` (mentor or mentee), ``organisation``, ``department``, ``title`` (optional), ``manager``
(optional: the line manager's Slack user ID or email), ``topics`` (optional: topic ids or labels
separated by semicolons).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import outbox
from bot.clock import now
from bot.content import Content
from bot.db import Database
from bot.models import Enrolment, Programme
from bot.programmes.access import asked_for_deletion, is_lead
from bot.programmes.enrolment import Person
from bot.programmes.refusals import refused_in

REQUIRED_COLUMNS = ("slack", "role", "organisation", "department")
INVITATION_KIND = "import_invitation"


@dataclass
class ImportReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # "line 4: ..." per bad row
    # "line 5: U1 skipped: ..." per person who chose to leave: only they can join again.
    skipped: list[str] = field(default_factory=list)


class Skipped(Exception):
    """A row for someone who left or asked for their data to be deleted: an import never puts them back."""


LEFT_REASON = "left this programme, so only they can join again (an import never puts them back)"
DELETED_REASON = (
    "asked for their data to be deleted from this programme, so only they can join again "
    "(an import never puts them back)"
)


Resolve = Callable[[str], Person | None]


def csv_rows(text: str, required: Sequence[str]) -> tuple[list[tuple[int, dict[str, str]]], str | None]:
    """The rows with their line numbers, keyed by lower-case column name; or the missing-columns problem."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    columns = {name.strip().lower() for name in reader.fieldnames or []}
    missing = [name for name in required if name not in columns]
    if missing:
        return [], "line 1: missing column(s): " + ", ".join(missing)
    rows = [
        (line, {str(key).strip().lower(): (value or "").strip() for key, value in raw.items() if key})
        for line, raw in enumerate(reader, start=2)
    ]
    return rows, None


class _SlackPerson(Protocol):
    @property
    def user_id(self) -> str: ...


P = TypeVar("P", bound=_SlackPerson)


def person_and_role(
    row: dict[str, str], resolve: Callable[[str], P | None], seen: set[str]
) -> tuple[P | None, str, list[str]]:
    """The row's person (by Slack ID or email) and role, with any problems, as every import checks them."""
    problems: list[str] = []
    person = resolve(row["slack"]) if row.get("slack") else None
    if not row.get("slack"):
        problems.append("no Slack user ID or email")
    elif person is None:
        problems.append(f"Slack does not know {row['slack']}")
    elif person.user_id in seen:
        problems.append("this person is already on an earlier line")
    role = row.get("role", "").lower()
    if role not in ("mentor", "mentee"):
        problems.append("role must be mentor or mentee")
    return person, role, problems


def import_participants(
    db: Database, programme: Programme, text: str, resolve: Resolve, content: Content
) -> ImportReport:
    """Load each good row as a waiting enrolment (privacy notice still to confirm) and invite the person.

    Someone who left the programme or asked for their data to be deleted from it is skipped (and
    listed in ``report.skipped`` with the reason): leaving sticks until they join again themselves.

    ``resolve`` turns a Slack user ID or email into the person (None if Slack does not know them).
    """
    report = ImportReport()
    rows, missing = csv_rows(text, REQUIRED_COLUMNS)
    if missing:
        report.problems.append(missing)
        return report
    topics_by_text = {}
    for topic_id, label in content.topic_options():
        topics_by_text[topic_id.lower()] = topic_id
        topics_by_text[label.lower()] = topic_id
    seen: set[str] = set()
    for line, row in rows:
        person, role, problems = person_and_role(row, resolve, seen)
        for name in ("organisation", "department"):
            if not row.get(name):
                problems.append(f"{name} is empty")
            elif len(row[name]) > 150:
                problems.append(f"{name} is longer than 150 characters")
        manager = resolve(row["manager"]) if row.get("manager") else None
        if row.get("manager") and manager is None:
            problems.append(f"Slack does not know the manager {row['manager']}")
        topics = []
        for item in filter(None, (part.strip() for part in row.get("topics", "").split(";"))):
            if item.lower() in topics_by_text:
                topics.append(topics_by_text[item.lower()])
            else:
                problems.append(f"unknown topic {item!r}")
        if person is not None and manager is not None and manager.user_id == person.user_id:
            problems.append("a person cannot be their own manager")
        if problems:
            report.problems.append(f"line {line}: " + "; ".join(problems))
            continue
        assert person is not None
        seen.add(person.user_id)
        try:
            added = _save_row(db, programme, person, role, row, manager, topics)
        except ValueError as error:
            report.problems.append(f"line {line}: {error}")
            continue
        except Skipped as reason:
            report.skipped.append(f"line {line}: {person.user_id} skipped: {reason}")
            continue
        (report.added if added else report.updated).append(person.user_id)
    return report


def _save_row(
    db: Database,
    programme: Programme,
    person: Person,
    role: str,
    row: dict[str, str],
    manager: Person | None,
    topics: list[str],
) -> bool:
    """One row, one unit of work: it is saved whole or not at all."""
    with db.session() as session:
        if is_lead(session, programme.id, person.user_id):
            raise ValueError("this person leads the programme, so cannot also be a participant")
        if refused_in(session, programme.id, [person.user_id]):
            raise ValueError("this person said no thanks to this programme, so was not added again")
        enrolment = session.scalar(
            select(Enrolment).where(Enrolment.programme_id == programme.id, Enrolment.user_id == person.user_id)
        )
        added = enrolment is None
        if enrolment is not None and enrolment.status == "left":
            raise Skipped(LEFT_REASON)
        if enrolment is None and asked_for_deletion(session, programme.id, person.user_id):
            raise Skipped(DELETED_REASON)
        if enrolment is None:
            enrolment = Enrolment(programme_id=programme.id, user_id=person.user_id, privacy_confirmed_at=None)
            session.add(enrolment)
        elif enrolment.status == "matched" and enrolment.role != role:
            raise ValueError("already matched in the other role")
        enrolment.role = role
        enrolment.real_name = person.real_name
        enrolment.tz = person.tz
        enrolment.organisation = row["organisation"]
        enrolment.department = row["department"]
        enrolment.title = row.get("title", "")[:150]
        enrolment.line_manager_id = manager.user_id if manager else None
        enrolment.topics = topics
        session.flush()
        if added:
            outbox.enqueue(
                session,
                kind=INVITATION_KIND,
                key=f"{INVITATION_KIND}:{programme.id}:{person.user_id}",
                send_at=now(),
                recipient_user_id=person.user_id,
                programme_id=programme.id,
                payload={"programme_id": programme.id},
            )
        return added


def still_enrolled(session: Session, programme_id: int, user_id: str | None) -> bool:
    """Whether an imported person's invitation is still worth sending (they have not left meanwhile)."""
    status = session.scalar(
        select(Enrolment.status).where(Enrolment.programme_id == programme_id, Enrolment.user_id == user_id)
    )
    return status is not None and status != "left"

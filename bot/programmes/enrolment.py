"""Enrolment: a person joins a programme as a mentor (junior) or a mentee (senior)."""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import time

from sqlalchemy import select

from bot.clock import now
from bot.db import Database
from bot.errors import FieldErrors, NotFound, Problem
from bot.induction import service as induction
from bot.models import Enrolment, Programme
from bot.programmes.access import is_lead

ROLES = ("mentor", "mentee")
SHORT_TEXT = 150
LONG_TEXT = 2000


@dataclass
class EnrolmentInput:
    programme_id: int
    role: str
    organisation: str
    department: str
    title: str = ""
    line_manager_id: str | None = None
    pronouns: str = ""
    topics: list[str] = field(default_factory=list)
    can_bring: str = ""
    hope_to_get: str = ""
    off_limits: str = ""
    inclusion_statement: str = ""
    understanding_gap: str = ""
    do_not_pair_with: list[str] = field(default_factory=list)
    privacy_confirmed: bool = False
    # Working hours for scheduling (sessions feature): empty tz means "use my Slack time zone".
    tz: str = ""
    work_start: time | None = None
    work_end: time | None = None
    work_days: list[int] | None = None


@dataclass(frozen=True)
class Person:
    """What Slack tells us about the person enrolling (their name and IANA time zone)."""

    user_id: str
    real_name: str
    tz: str


def validate_enrolment(data: EnrolmentInput, user_id: str, known_topics: Collection[str]) -> None:
    errors: dict[str, Problem] = {}
    if data.role not in ROLES:
        errors["role"] = Problem("enrolment.role_required")
    for name, missing in (
        ("organisation", Problem("enrolment.organisation_required")),
        ("department", Problem("enrolment.department_required")),
    ):
        value = getattr(data, name).strip()
        if not value:
            errors[name] = missing

        elif len(value) > SHORT_TEXT:
            errors[name] = Problem("enrolment.too_long", max=SHORT_TEXT)
    if len(data.title.strip()) > SHORT_TEXT:
        errors["title"] = Problem("enrolment.too_long", max=SHORT_TEXT)
    if len(data.pronouns.strip()) > 40:
        errors["pronouns"] = Problem("enrolment.too_long", max=40)
    if data.line_manager_id == user_id:
        errors["line_manager_id"] = Problem("enrolment.line_manager_is_self")
    unknown = [topic for topic in data.topics if topic not in known_topics]
    if unknown:
        errors["topics"] = Problem("enrolment.unknown_topics")
    for name in ("can_bring", "hope_to_get", "off_limits", "inclusion_statement", "understanding_gap"):
        if len(getattr(data, name)) > LONG_TEXT:
            errors[name] = Problem("enrolment.too_long", max=LONG_TEXT)
    if data.role == "mentee":
        if not data.inclusion_statement.strip():
            errors["inclusion_statement"] = Problem("enrolment.inclusion_statement_required")
        if not data.understanding_gap.strip():
            errors["understanding_gap"] = Problem("enrolment.understanding_gap_required")
    if user_id in data.do_not_pair_with:
        errors["do_not_pair_with"] = Problem("enrolment.do_not_pair_with_self")
    if not data.privacy_confirmed:
        errors["privacy_confirmed"] = Problem("enrolment.privacy_not_confirmed")
    errors.update(working_hours_errors(data))
    if errors:
        raise FieldErrors(errors)


def working_hours_errors(data: EnrolmentInput) -> dict[str, Problem]:
    from bot.sessions.slots import is_valid_zone

    errors: dict[str, Problem] = {}
    if data.tz and not is_valid_zone(data.tz):
        errors["tz"] = Problem("enrolment.unknown_time_zone")
    if data.work_start and data.work_end and data.work_start >= data.work_end:
        errors["work_end"] = Problem("enrolment.working_day_backwards")
    if data.work_days is not None and (not data.work_days or any(d not in range(7) for d in data.work_days)):
        errors["work_days"] = Problem("enrolment.working_days_required")
    return errors


def enrol(db: Database, person: Person, data: EnrolmentInput, known_topics: Collection[str]) -> Enrolment:
    """Create or update the person's enrolment; returns it. Field problems raise FieldErrors."""
    validate_enrolment(data, person.user_id, known_topics)
    with db.session() as session:
        programme = session.get(Programme, data.programme_id)
        if programme is None:
            raise NotFound("programmes.not_found")
        if is_lead(session, programme.id, person.user_id):
            raise FieldErrors.on("role", "enrolment.lead_cannot_join")
        enrolment = session.scalar(
            select(Enrolment).where(Enrolment.programme_id == programme.id, Enrolment.user_id == person.user_id)
        )
        joining = enrolment is None or enrolment.status == "left"
        if joining and not (programme.enrolment_open and programme.status == "active"):
            raise FieldErrors.on("role", "enrolment.closed", programme=programme.name)
        if enrolment is None:
            enrolment = Enrolment(programme_id=programme.id, user_id=person.user_id)
            session.add(enrolment)
        elif enrolment.status == "matched" and enrolment.role != data.role:
            raise FieldErrors.on("role", "enrolment.already_matched")

        if enrolment.status == "left":
            enrolment.status = "waiting"
        enrolment.role = data.role
        enrolment.real_name = person.real_name
        enrolment.tz = data.tz or person.tz
        if data.work_start is not None:
            enrolment.work_start = data.work_start
        if data.work_end is not None:
            enrolment.work_end = data.work_end
        if data.work_days is not None:
            enrolment.work_days = sorted(set(data.work_days))
        enrolment.organisation = data.organisation.strip()
        enrolment.department = data.department.strip()
        enrolment.title = data.title.strip()
        enrolment.line_manager_id = data.line_manager_id
        enrolment.pronouns = data.pronouns.strip()
        enrolment.topics = list(dict.fromkeys(data.topics))
        enrolment.can_bring = data.can_bring.strip()
        enrolment.hope_to_get = data.hope_to_get.strip()
        enrolment.off_limits = data.off_limits.strip() or None
        enrolment.inclusion_statement = data.inclusion_statement.strip() or None
        enrolment.understanding_gap = data.understanding_gap.strip() or None
        enrolment.do_not_pair_with = json.dumps(sorted(set(data.do_not_pair_with))) if data.do_not_pair_with else None
        first_confirmation = joining or enrolment.privacy_confirmed_at is None
        enrolment.privacy_confirmed_at = now()
        session.flush()
        if first_confirmation:
            induction.enqueue_reminder(session, enrolment)
        return enrolment


def enrolment_input(enrolment: Enrolment) -> EnrolmentInput:
    """The person's current answers, to prefill the form when they edit their profile."""
    return EnrolmentInput(
        programme_id=enrolment.programme_id,
        role=enrolment.role,
        organisation=enrolment.organisation,
        department=enrolment.department,
        title=enrolment.title,
        line_manager_id=enrolment.line_manager_id,
        pronouns=enrolment.pronouns,
        topics=list(enrolment.topics),
        can_bring=enrolment.can_bring,
        hope_to_get=enrolment.hope_to_get,
        off_limits=enrolment.off_limits or "",
        inclusion_statement=enrolment.inclusion_statement or "",
        understanding_gap=enrolment.understanding_gap or "",
        do_not_pair_with=do_not_pair_list(enrolment),
        privacy_confirmed=enrolment.privacy_confirmed_at is not None,
    )


def do_not_pair_list(enrolment: Enrolment) -> list[str]:
    return list(json.loads(enrolment.do_not_pair_with)) if enrolment.do_not_pair_with else []


def enrolments_of(db: Database, user_id: str) -> list[Enrolment]:
    with db.session() as session:
        return list(
            session.scalars(
                select(Enrolment)
                .where(Enrolment.user_id == user_id, Enrolment.status != "left")
                .order_by(Enrolment.created_at)
            )
        )


def find_enrolment(db: Database, programme_id: int, user_id: str) -> Enrolment | None:
    with db.session() as session:
        return session.scalar(
            select(Enrolment).where(Enrolment.programme_id == programme_id, Enrolment.user_id == user_id)
        )

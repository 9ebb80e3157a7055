"""Programmes: created by admins, run by independent programme leads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import outbox
from bot.clock import now
from bot.db import Database
from bot.errors import FieldErrors, NotAllowed, NotFound, Problem
from bot.induction import service as induction
from bot.models import Enrolment, Programme, ProgrammeLead
from bot.programmes.access import asked_for_deletion, is_lead, led_programme_ids

LEAD_GUIDE = "lead_guide"  # outbox kind: the lead's guide, once, to every new lead and backup lead


@dataclass
class ProgrammeInput:
    name: str
    description: str = ""
    cross_organisation: bool = False
    cadence_min_days: int = 21
    cadence_max_days: int = 28
    session_minutes: int = 60
    planned_sessions: int | None = 6
    end_date: date | None = None
    lead_ids: list[str] = field(default_factory=list)
    backup_lead_id: str | None = None
    alerts_channel_id: str | None = None
    support_resources: str = ""
    enrolment_open: bool = True
    retention_days: int = 90
    consent_days: int = 3  # working days a mentor has to accept a proposed match
    require_induction: bool = False  # matching leaves out anyone who has not completed the induction


def validate_programme(session: Session, data: ProgrammeInput, *, programme_id: int | None = None) -> None:
    errors: dict[str, Problem] = {}
    name = data.name.strip()
    if not name:
        errors["name"] = Problem("programmes.name_required")
    elif len(name) > 80:
        errors["name"] = Problem("programmes.name_too_long", max=80)
    else:
        clash = session.scalar(select(Programme.id).where(func.lower(Programme.name) == name.lower()))
        if clash is not None and clash != programme_id:
            errors["name"] = Problem("programmes.name_taken", name=name)
    if not 7 <= data.cadence_min_days <= 90:
        errors["cadence_min_days"] = Problem("programmes.cadence_min_out_of_range", min=7, max=90)
    if not data.cadence_min_days <= data.cadence_max_days <= 120:
        errors["cadence_max_days"] = Problem("programmes.cadence_max_out_of_range", max=120)
    if not 15 <= data.session_minutes <= 240:
        errors["session_minutes"] = Problem("programmes.session_minutes_out_of_range", min=15, max=240)
    if data.planned_sessions is None and data.end_date is None:
        errors["planned_sessions"] = Problem("programmes.length_required")
    if data.planned_sessions is not None and not 1 <= data.planned_sessions <= 52:
        errors["planned_sessions"] = Problem("programmes.planned_sessions_out_of_range", min=1, max=52)
    if data.end_date is not None and data.end_date <= now().date():
        errors["end_date"] = Problem("programmes.end_date_past")
    if not data.lead_ids:
        errors["lead_ids"] = Problem("programmes.lead_required")
    if data.backup_lead_id and data.backup_lead_id in data.lead_ids:
        errors["backup_lead_id"] = Problem("programmes.backup_lead_is_lead")
    if not 0 <= data.retention_days <= 3650:
        errors["retention_days"] = Problem("programmes.retention_out_of_range", min=0, max=3650)
    if not 1 <= data.consent_days <= 15:
        errors["consent_days"] = Problem("programmes.consent_days_out_of_range", min=1, max=15)
    if programme_id is not None:
        errors.update(lead_independence_errors(session, programme_id, data))
    if errors:
        raise FieldErrors(errors)


def lead_independence_errors(session: Session, programme_id: int, data: ProgrammeInput) -> dict[str, Problem]:
    """Leads stay independent of the pairs: nobody who is or was a participant (left included) may lead.

    A former participant could otherwise read the concerns raised about their own pair.
    """
    errors: dict[str, Problem] = {}
    candidates = {
        "lead_ids": list(data.lead_ids),
        "backup_lead_id": [data.backup_lead_id] if data.backup_lead_id else [],
    }
    wanted = [user for users in candidates.values() for user in users]
    if not wanted:
        return errors
    participants = set(
        session.scalars(
            select(Enrolment.user_id).where(Enrolment.programme_id == programme_id, Enrolment.user_id.in_(wanted))
        )
    )
    # Someone whose data was deleted left no profile, only a keyed hash: they were a participant too.
    participants |= {user for user in wanted if asked_for_deletion(session, programme_id, user)}
    for name, users in candidates.items():
        clash = sorted(set(users) & participants)
        if clash:
            people = ", ".join(f"<@{user}>" for user in clash)
            if len(clash) == 1:
                errors[name] = Problem("programmes.lead_is_participant", people=people)
            else:
                errors[name] = Problem("programmes.leads_are_participants", people=people)
    return errors


def _apply(programme: Programme, data: ProgrammeInput) -> None:
    programme.name = data.name.strip()
    programme.description = data.description.strip()
    programme.cross_organisation = data.cross_organisation
    programme.cadence_min_days = data.cadence_min_days
    programme.cadence_max_days = data.cadence_max_days
    programme.session_minutes = data.session_minutes
    programme.planned_sessions = data.planned_sessions
    programme.end_date = data.end_date
    programme.alerts_channel_id = data.alerts_channel_id
    programme.support_resources = data.support_resources.strip()
    programme.enrolment_open = data.enrolment_open
    programme.retention_days = data.retention_days
    programme.consent_days = data.consent_days
    programme.require_induction = data.require_induction
    leads = [ProgrammeLead(user_id=user, is_backup=False) for user in dict.fromkeys(data.lead_ids)]
    if data.backup_lead_id:
        leads.append(ProgrammeLead(user_id=data.backup_lead_id, is_backup=True))
    programme.leads = leads


def _send_guides_to_new_leads(session: Session, programme: Programme, before: set[str], by: str) -> None:
    """Each person newly appointed lead or backup lead gets the lead's guide, once (keyed per
    programme and person, so a re-save, a replay or a later edit sends nothing again)."""
    for lead in programme.leads:
        if lead.user_id in before:
            continue
        outbox.enqueue(
            session,
            kind=LEAD_GUIDE,
            key=f"{LEAD_GUIDE}:{programme.id}:{lead.user_id}",
            recipient_user_id=lead.user_id,
            programme_id=programme.id,
            payload={"by": by, "backup": lead.is_backup},
        )


def create_programme(db: Database, data: ProgrammeInput, *, created_by: str, by_admin: bool) -> Programme:
    if not by_admin:
        raise NotAllowed("programmes.admin_only")
    with db.session() as session:
        validate_programme(session, data)
        programme = Programme(created_by=created_by)
        _apply(programme, data)
        session.add(programme)
        session.flush()
        _send_guides_to_new_leads(session, programme, set(), created_by)
        return programme


def update_programme(db: Database, programme_id: int, data: ProgrammeInput, *, by: str, by_admin: bool) -> Programme:
    with db.session() as session:
        programme = session.get(Programme, programme_id)
        if programme is None:
            raise NotFound("programmes.not_found")
        if not (by_admin or is_lead(session, programme_id, by)):
            raise NotAllowed("programmes.change_lead_only")
        validate_programme(session, data, programme_id=programme_id)
        before = {lead.user_id for lead in programme.leads}
        newly_requires_induction = data.require_induction and not programme.require_induction
        session.flush()  # drop the old lead rows before adding the new ones
        programme.leads.clear()
        session.flush()
        _apply(programme, data)
        session.flush()
        _send_guides_to_new_leads(session, programme, before, by)
        if newly_requires_induction:  # those already waiting get the one reminder too
            session.flush()
            for enrolment in session.scalars(
                select(Enrolment).where(
                    Enrolment.programme_id == programme_id,
                    Enrolment.status == "waiting",
                    Enrolment.privacy_confirmed_at.isnot(None),
                )
            ):
                induction.enqueue_reminder(session, enrolment)
        return programme


def programme_input(programme: Programme) -> ProgrammeInput:
    """The form's current values, for editing."""
    return ProgrammeInput(
        name=programme.name,
        description=programme.description,
        cross_organisation=programme.cross_organisation,
        cadence_min_days=programme.cadence_min_days,
        cadence_max_days=programme.cadence_max_days,
        session_minutes=programme.session_minutes,
        planned_sessions=programme.planned_sessions,
        end_date=programme.end_date,
        lead_ids=[lead.user_id for lead in programme.leads if not lead.is_backup],
        backup_lead_id=next((lead.user_id for lead in programme.leads if lead.is_backup), None),
        alerts_channel_id=programme.alerts_channel_id,
        support_resources=programme.support_resources,
        enrolment_open=programme.enrolment_open,
        retention_days=programme.retention_days,
        consent_days=programme.consent_days,
        require_induction=programme.require_induction,
    )


def get_programme(db: Database, programme_id: int) -> Programme:
    with db.session() as session:
        programme = session.get(Programme, programme_id)
        if programme is None:
            raise NotFound("programmes.not_found")
        return programme


def find_programme(db: Database, name: str) -> Programme:
    with db.session() as session:
        programme = session.scalar(select(Programme).where(func.lower(Programme.name) == name.strip().lower()))
        if programme is None:
            raise NotFound("programmes.no_such_programme", name=name.strip())

        return programme


def open_programmes(db: Database) -> list[Programme]:
    with db.session() as session:
        return list(
            session.scalars(
                select(Programme)
                .where(Programme.status == "active", Programme.enrolment_open.is_(True))
                .order_by(Programme.name)
            )
        )


def programmes_visible_to(db: Database, user_id: str, *, admin: bool) -> list[Programme]:
    """Admins see every programme; others see those they lead, are in, or can join."""
    with db.session() as session:
        query = select(Programme).order_by(Programme.status, Programme.name)
        if not admin:
            mine = select(Enrolment.programme_id).where(Enrolment.user_id == user_id)
            query = query.where(
                Programme.id.in_(led_programme_ids(session, user_id))
                | Programme.id.in_(mine)
                | ((Programme.status == "active") & Programme.enrolment_open.is_(True))
            )
        return list(session.scalars(query))


def programmes_led_by(db: Database, user_id: str) -> list[Programme]:
    with db.session() as session:
        ids = led_programme_ids(session, user_id)
        return list(session.scalars(select(Programme).where(Programme.id.in_(ids)).order_by(Programme.name)))

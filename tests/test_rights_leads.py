"""Lead independence: nobody who is or was a participant of a programme may lead it, and a lead may not enrol."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.closeout.data_rights import leave_programme
from bot.content import load_content
from bot.db import Database
from bot.errors import FieldErrors
from bot.models import Enrolment, ProgrammeLead
from bot.programmes import service as programmes
from bot.programmes.enrolment import EnrolmentInput, Person, enrol

CONTENT = load_content()
TOPICS = [topic_id for topic_id, _ in CONTENT.topic_options()]


def join(db: Database, programme_id: int, user_id: str, role: str = "mentee") -> None:
    extra = {"inclusion_statement": "Patchy.", "understanding_gap": "Everyday barriers."} if role == "mentee" else {}
    data = EnrolmentInput(
        programme_id=programme_id,
        role=role,
        organisation="Acme",
        department="Strategy",
        privacy_confirmed=True,
        **extra,
    )
    enrol(db, Person(user_id, user_id.title(), "UTC"), data, TOPICS)


def new_programme(db: Database, leads: list[str]) -> int:
    data = programmes.ProgrammeInput(name="Pilot", lead_ids=leads)
    return programmes.create_programme(db, data, created_by="UADMIN", by_admin=True).id


def appoint(db: Database, programme_id: int, *, leads: list[str], backup: str | None = None) -> None:
    data = programmes.programme_input(programmes.get_programme(db, programme_id))
    data.lead_ids, data.backup_lead_id = leads, backup
    programmes.update_programme(db, programme_id, data, by="UADMIN", by_admin=True)


def lead_ids(db: Database, programme_id: int) -> set[str]:
    with db.session() as session:
        return set(session.scalars(select(ProgrammeLead.user_id).where(ProgrammeLead.programme_id == programme_id)))


def test_a_participant_who_left_cannot_be_appointed_lead_or_backup(db: Database) -> None:
    programme_id = new_programme(db, ["ULENA"])
    join(db, programme_id, "UDIANA")
    leave_programme(db, "UDIANA")
    with db.session() as session:
        assert session.scalar(select(Enrolment.status).where(Enrolment.user_id == "UDIANA")) == "left"

    with pytest.raises(FieldErrors) as refused:
        appoint(db, programme_id, leads=["ULENA", "UDIANA"])
    assert "lead_ids" in refused.value.errors
    assert "<@UDIANA> is or was a participant" in refused.value.errors["lead_ids"]

    with pytest.raises(FieldErrors) as refused:
        appoint(db, programme_id, leads=["ULENA"], backup="UDIANA")
    assert set(refused.value.errors) == {"backup_lead_id"}
    assert lead_ids(db, programme_id) == {"ULENA"}


def test_a_current_participant_cannot_lead_and_a_lead_cannot_enrol(db: Database) -> None:
    programme_id = new_programme(db, ["ULENA"])
    join(db, programme_id, "UAMARA", role="mentor")
    with pytest.raises(FieldErrors) as refused:
        appoint(db, programme_id, leads=["UAMARA"])
    assert "is or was a participant" in refused.value.errors["lead_ids"]
    with pytest.raises(FieldErrors) as refused:
        join(db, programme_id, "ULENA")
    assert "leads stay independent" in refused.value.errors["role"]
    # Someone unconnected can still be appointed, and other programmes' participants are not affected.
    appoint(db, programme_id, leads=["ULENA", "UOTHER"], backup="UBACKUP")
    assert lead_ids(db, programme_id) == {"ULENA", "UOTHER", "UBACKUP"}


def test_someone_whose_data_was_deleted_cannot_come_back_as_lead(db: Database) -> None:
    from bot.closeout.data_rights import delete_my_data

    programme_id = new_programme(db, ["ULENA"])
    join(db, programme_id, "UDIANA")
    delete_my_data(db, "UDIANA")
    with db.session() as session:
        assert session.scalar(select(Enrolment.id)) is None  # no profile left to recognise her by
    with pytest.raises(FieldErrors) as refused:
        appoint(db, programme_id, leads=["ULENA", "UDIANA"])
    assert "<@UDIANA> is or was a participant" in refused.value.errors["lead_ids"]

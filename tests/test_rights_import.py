"""Leaving sticks: re-importing the roster never puts back someone who left or had their data deleted."""

from __future__ import annotations

from sqlalchemy import select

from bot.closeout.data_rights import delete_my_data, leave_programme
from bot.content import load_content
from bot.db import Database
from bot.matching.proposals import compute_proposal
from bot.models import Enrolment, OutboxMessage
from bot.programmes import service as programmes
from bot.programmes.enrolment import EnrolmentInput, Person, enrol
from bot.programmes.imports import import_participants

CONTENT = load_content()
TOPICS = [topic_id for topic_id, _ in CONTENT.topic_options()]
PEOPLE = {user: Person(user, user.title(), "UTC") for user in ("UAMARA", "UDIANA", "UEVAN")}
ROSTER = (
    "slack,role,organisation,department\n"
    "UAMARA,mentor,Acme,Finance\n"
    "UDIANA,mentee,Acme,Strategy\n"
    "UEVAN,mentee,Acme,Legal\n"
)


def join(db: Database, programme_id: int, user_id: str, role: str) -> None:
    extra = {"inclusion_statement": "Patchy.", "understanding_gap": "Everyday barriers."} if role == "mentee" else {}
    data = EnrolmentInput(
        programme_id=programme_id, role=role, organisation="Acme", department="Ops", privacy_confirmed=True, **extra
    )
    enrol(db, PEOPLE[user_id], data, TOPICS)


def statuses(db: Database) -> dict[str, str]:
    with db.session() as session:
        return {e.user_id: e.status for e in session.scalars(select(Enrolment))}


def test_an_import_skips_who_left_or_deleted_their_data_and_says_why(db: Database) -> None:
    programme = programmes.create_programme(
        db, programmes.ProgrammeInput(name="Pilot", lead_ids=["ULENA"]), created_by="UADMIN", by_admin=True
    )
    join(db, programme.id, "UAMARA", "mentor")
    join(db, programme.id, "UDIANA", "mentee")
    join(db, programme.id, "UEVAN", "mentee")
    leave_programme(db, "UDIANA")
    delete_my_data(db, "UEVAN")

    report = import_participants(db, programme, ROSTER, PEOPLE.get, CONTENT)

    assert report.updated == ["UAMARA"] and report.added == [] and report.problems == []
    assert report.skipped == [
        "line 3: UDIANA skipped: left this programme, so only they can join again (an import never puts them back)",
        "line 4: UEVAN skipped: asked for their data to be deleted from this programme, so only they can join "
        "again (an import never puts them back)",
    ]
    assert statuses(db) == {"UAMARA": "waiting", "UDIANA": "left"}
    with db.session() as session:
        invited = set(
            session.scalars(select(OutboxMessage.recipient_user_id).where(OutboxMessage.kind == "import_invitation"))
        )
    assert invited == set()
    # The next match does not pair them again: Amara has nobody to be matched with.
    proposal = compute_proposal(db, programme.id, "ULENA")
    assert proposal.pairs == []

    # Choosing to join again is theirs to make; after that the roster updates them like anyone else.
    join(db, programme.id, "UDIANA", "mentee")
    join(db, programme.id, "UEVAN", "mentee")
    again = import_participants(db, programme, ROSTER, PEOPLE.get, CONTENT)
    assert again.skipped == [] and sorted(again.updated) == ["UAMARA", "UDIANA", "UEVAN"]
    assert statuses(db) == {"UAMARA": "waiting", "UDIANA": "waiting", "UEVAN": "waiting"}


def test_someone_imported_who_leaves_before_the_invitation_goes_is_not_invited(db: Database) -> None:
    from bot.outbox import Skip
    from bot.programmes.notifications import render_import_invitation

    programme = programmes.create_programme(
        db, programmes.ProgrammeInput(name="Pilot", lead_ids=["ULENA"]), created_by="UADMIN", by_admin=True
    )
    report = import_participants(db, programme, ROSTER, PEOPLE.get, CONTENT)
    assert sorted(report.added) == ["UAMARA", "UDIANA", "UEVAN"]
    leave_programme(db, "UDIANA")
    with db.session() as session:
        rows = {
            r.recipient_user_id: r
            for r in session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "import_invitation"))
        }
        assert isinstance(render_import_invitation(session, rows["UDIANA"], CONTENT), Skip)
        assert not isinstance(render_import_invitation(session, rows["UAMARA"], CONTENT), Skip)

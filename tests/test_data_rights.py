"""A person's data: a copy of everything held about them, and deletion that leaves no trace."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import Text, cast, inspect, select, text

from bot.db import Database
from bot.impact import surveys
from bot.local_slack import LocalSlack, Person
from bot.models import Base, DataDeletion, Enrolment, MentoringSession, Pair, Reflection, SurveyResponse
from tests.conftest import raw_sqlite_bytes
from tests.factory import CONTENT, accept_offers, create_programme, enrol, texts_seen

MARKERS = {
    "name": "Zanele Quixotic-Marker",
    "org": "MarkerCorp-Zq",
    "department": "Dept-Zq-Marker",
    "off_limits": "OFFLIMITS-Zq-Marker",
    "reflection": "REFLECTION-Zq-Marker",
    "comment": "COMMENT-Zq-Marker",
}


def world(slack: LocalSlack, db: Database) -> tuple[Person, Person, Person, int]:
    admin = slack.person("olu", real_name="Olu Admin", is_admin=True)
    lead = slack.person("lena", real_name="Lena Lead")
    zanele = slack.person("zanele", real_name=MARKERS["name"])
    diana = slack.person("diana", real_name="Diana Reyes")
    create_programme(admin, [lead], name="Pilot")
    enrol(
        zanele,
        "mentor",
        MARKERS["org"],
        MARKERS["department"],
        **{"Topics that are off limits for me": MARKERS["off_limits"]},
    )
    enrol(diana, "mentee", "Globex", "Strategy", **{"Topics that are off limits for me": "DIANA-PRIVATE"})
    lead.command("/mentoring", "match")
    assert lead.submit().ok
    assert accept_offers(slack, zanele) == 1
    with db.session() as session:
        pair = session.scalar(select(Pair))
        assert pair is not None
        at = datetime(2027, 1, 1, 10, tzinfo=UTC)
        held = MentoringSession(
            pair_id=pair.id,
            programme_id=pair.programme_id,
            number=1,
            starts_at=at,
            ends_at=at + timedelta(hours=1),
            status="held",
            ics_uid="dr-1",
            booked_by=zanele.user_id,
            mentor_answer="yes",
            mentee_answer="yes",
        )
        session.add(held)
        session.flush()
        for author, role, words in (
            (zanele.user_id, "mentor", MARKERS["reflection"]),
            (diana.user_id, "mentee", "DIANA-REFLECTION"),
        ):
            session.add(
                Reflection(
                    session_id=held.id,
                    pair_id=pair.id,
                    programme_id=pair.programme_id,
                    author_user_id=author,
                    role=role,
                    takeaways=words,
                    do_differently=words,
                )
            )
        programme_id = pair.programme_id
    answers: dict[str, int | None] = {q.id: 3 for q in CONTENT.survey("baseline", "mentor").questions}
    surveys.record_response(db, CONTENT, programme_id, zanele.user_id, "baseline", answers, MARKERS["comment"])
    return zanele, diana, lead, programme_id


def test_my_data_sends_everything_about_me_and_nothing_private_of_my_partner(slack: LocalSlack, db: Database) -> None:
    zanele, diana, _, _ = world(slack, db)
    answer = zanele.command("/mentoring", "my-data")
    assert "gathering everything" in answer.text
    slack.deliver()
    files = slack.emulator.files_in(slack.emulator.open_im(zanele.user_id))
    assert len(files) == 1 and files[0].name.endswith(".json")
    data = json.loads(files[0].content or b"{}")
    assert data["enrolments"][0]["off_limits"] == MARKERS["off_limits"]
    assert data["reflections"][0]["takeaways"] == MARKERS["reflection"]
    assert data["survey_responses"][0]["comment"] == MARKERS["comment"]
    assert data["sessions"][0]["my_did_you_meet_answer"] == "yes"
    dumped = json.dumps(data)
    assert "DIANA-REFLECTION" not in dumped and "DIANA-PRIVATE" not in dumped
    assert "mentee_answer" not in dumped
    assert "Here is a copy of all the data held about you" in texts_seen(zanele)
    assert not slack.emulator.files_in(slack.emulator.open_im(diana.user_id))


def database_text(db: Database) -> bytes:
    """Everything the database holds, as bytes: the SQLite files themselves, or a text dump of every table."""
    if db.engine.dialect.name == "sqlite":
        return raw_sqlite_bytes(db.engine.url.database or "")
    chunks: list[str] = []
    with db.engine.connect() as connection:
        for table in inspect(db.engine).get_table_names():
            rows = connection.execute(text(f'SELECT CAST(t.* AS TEXT) FROM "{table}" AS t')).scalars()
            chunks.extend(str(row) for row in rows)
    return "\n".join(chunks).encode()


def test_delete_my_data_leaves_no_trace_of_my_text(slack: LocalSlack, db: Database) -> None:
    zanele, diana, lead, programme_id = world(slack, db)
    with db.session() as session:
        ciphertexts = [
            session.scalar(
                select(cast(Base.metadata.tables["enrolments"].c.off_limits, Text)).where(
                    Base.metadata.tables["enrolments"].c.user_id == zanele.user_id
                )
            ),
            session.scalar(
                select(cast(Base.metadata.tables["reflections"].c.takeaways, Text)).where(
                    Base.metadata.tables["reflections"].c.author_user_id == zanele.user_id
                )
            ),
        ]
    before = database_text(db)
    assert MARKERS["name"].encode() in before and all(c and c.encode() in before for c in ciphertexts)

    prompt = zanele.command("/mentoring", "delete-my-data")
    assert "This cannot be undone" in prompt.text
    zanele.click("Keep my data")
    with db.session() as session:
        assert session.scalar(select(Enrolment).where(Enrolment.user_id == zanele.user_id)) is not None
    zanele.command("/mentoring", "delete-my-data")
    zanele.click("Delete my data")
    assert "has been deleted" in texts_seen(zanele)
    slack.deliver()

    after = database_text(db)
    for marker in MARKERS.values():
        assert marker.encode() not in after, marker
    for ciphertext in ciphertexts:
        assert ciphertext and ciphertext.encode() not in after
    assert zanele.user_id.encode() not in after
    # Only anonymous counts remain; the partner's own words are untouched.
    with db.session() as session:
        record = session.scalar(select(DataDeletion).where(DataDeletion.scope == "person"))
        assert record is not None and record.counts["sessions_held"] == 1 and record.role == "mentor"
        assert session.scalar(select(MentoringSession.status)) == "held"
        assert session.scalar(select(Reflection.takeaways)) == "DIANA-REFLECTION"
        assert session.scalars(select(SurveyResponse)).all() == []
        assert session.scalar(select(Pair.status)) == "ended"
    assert "A mentor has left *Pilot* and asked for their data to be deleted" in texts_seen(lead)
    assert "Your pairing in *Pilot* has come to an end" in texts_seen(diana)
    assert programme_id

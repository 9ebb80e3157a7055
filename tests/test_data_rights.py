"""A person's data: a copy of everything held about them, and deletion that leaves no trace."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Text, cast, inspect, select, text

from bot import crypto
from bot.db import Database
from bot.impact import surveys
from bot.local_slack import LocalSlack, Person
from bot.models import Base, DataDeletion, Enrolment, MentoringSession, Pair, Reflection, SurveyResponse
from tests.conftest import TEST_KEY, raw_sqlite_bytes
from tests.factory import CONTENT, accept_offers, create_programme, enrol, texts_seen, work_around_the_clock

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
    work_around_the_clock(slack.db)
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
    """Everything the database holds, as bytes: its files themselves.

    SQLite: the database file, its write-ahead log and journal, read by another process. PostgreSQL:
    after a CHECKPOINT (so every change is on disk), the raw files of every table, index and TOAST
    table of the test's schema under the server's data directory (readable when the tests run as root
    on the database machine, as in CI). Dead row versions and old ciphertext that a SQL dump would never
    show are in these bytes. If the files cannot be read, the test falls back to a dump of every table.
    """
    if db.engine.dialect.name == "sqlite":
        return raw_sqlite_bytes(db.engine.url.database or "")
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("CHECKPOINT"))
        data_directory = Path(str(connection.execute(text("SHOW data_directory")).scalar()))
        paths = connection.execute(
            text(
                "SELECT pg_relation_filepath(c.oid) FROM pg_class c "
                "WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'i', 't') "
                "OR c.oid IN (SELECT t.reltoastrelid FROM pg_class t "
                "WHERE t.relnamespace = current_schema()::regnamespace AND t.reltoastrelid <> 0) "
                "OR c.oid IN (SELECT i.indexrelid FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid "
                "WHERE t.relnamespace = 'pg_toast'::regnamespace AND t.oid IN (SELECT reltoastrelid FROM pg_class "
                "WHERE relnamespace = current_schema()::regnamespace))"
            )
        ).scalars()
        files = [data_directory / path for path in paths if path]
    if files and os.access(files[0], os.R_OK):
        chunks = []
        for file in files:
            for segment in sorted(file.parent.glob(file.name + "*")):  # segments, free space and visibility maps
                chunks.append(segment.read_bytes())
        return b"\n".join(chunks)
    dump: list[str] = []
    with db.engine.connect() as connection:
        for table in inspect(db.engine).get_table_names():
            rows = connection.execute(text(f'SELECT CAST(t.* AS TEXT) FROM "{table}" AS t')).scalars()
            dump.extend(str(row) for row in rows)
    return "\n".join(dump).encode()


def decryptable_texts(raw: bytes, slack: LocalSlack) -> list[str]:
    """Every Fernet token in the bytes that some key in use still opens, decrypted."""
    assert slack.runtime is not None
    keys = [crypto.encryptor(), *(crypto.Encryptor([key]) for key in {TEST_KEY, *slack.runtime.settings.keys})]
    opened = []
    for found in set(re.findall(rb"gAAAAA[A-Za-z0-9_=-]{50,}", raw)):
        # Neighbouring bytes may run on: try every length a Fernet token can have (whole AES blocks).
        lengths = [4 * -(-(57 + 16 * blocks) // 3) for blocks in range(1, len(found) // 16 + 2)]
        for token in (found[:length] for length in lengths if length <= len(found)):
            for key in keys:
                try:
                    opened.append(key.decrypt(token.decode("ascii")))
                except crypto.EncryptionNotConfigured:
                    continue
    return opened


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
    assert MARKERS["reflection"] in "\n".join(decryptable_texts(before, slack))  # the check can see what it looks for

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
    opened = "\n".join(decryptable_texts(after, slack))
    for marker in MARKERS.values():
        assert marker not in opened, marker
    assert "DIANA-REFLECTION" in opened or db.engine.dialect.name == "sqlite" or b"DIANA-REFLECTION" in after
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

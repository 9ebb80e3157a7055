"""A person's data: a copy of everything held about them, and deletion that leaves no trace."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Text, cast, func, inspect, select, text

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
        # A checkpoint on a busy server can take longer than the app's statement timeout: not ours.
        timeout = connection.execute(text("SHOW statement_timeout")).scalar()
        connection.execute(text("SET statement_timeout = 0"))
        connection.execute(text("CHECKPOINT"))
        connection.execute(text("SELECT set_config('statement_timeout', :value, false)"), {"value": timeout})
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


FERNET_TOKEN = rb"gAAAAA[A-Za-z0-9_=-]{50,}"
FERNET_KEY = re.compile(r"^[A-Za-z0-9_-]{43}=$")


def _open_tokens(raw: bytes, keys: list[crypto.Encryptor]) -> list[str]:
    opened = []
    for found in set(re.findall(FERNET_TOKEN, raw)):
        # Neighbouring bytes may run on: try every length a Fernet token can have (whole AES blocks).
        lengths = [4 * -(-(57 + 16 * blocks) // 3) for blocks in range(1, len(found) // 16 + 2)]
        for token in (found[:length] for length in lengths if length <= len(found)):
            for key in keys:
                try:
                    opened.append(key.decrypt(token.decode("ascii")))
                except crypto.EncryptionNotConfigured:
                    continue
    return opened


def decryptable_texts(raw: bytes, slack: LocalSlack, keys_from: bytes | None = None) -> list[str]:
    """Every Fernet token in ``raw`` that a key still opens, decrypted.

    The keys are every app key in use and every per-person data key that can still be unwrapped with
    them from the database files ``keys_from`` (``raw`` itself unless given): an attacker holding the
    app key and a copy of the files gets exactly this.
    """
    assert slack.runtime is not None
    app_keys = [crypto.encryptor(), *(crypto.Encryptor([key]) for key in {TEST_KEY, *slack.runtime.settings.keys})]
    unwrapped = _open_tokens(raw if keys_from is None else keys_from, app_keys)
    data_keys = [crypto.Encryptor([k]) for k in set(unwrapped) if FERNET_KEY.match(k)]
    return _open_tokens(raw, [*app_keys, *data_keys])


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


def stored_token(db: Database, table: str, column: str, who: str, user_id: str) -> str:
    columns = Base.metadata.tables[table].c
    with db.session() as session:
        token = session.scalar(select(cast(columns[column], Text)).where(columns[who] == user_id))
    assert token
    return str(token)


def test_each_person_has_their_own_data_key_and_deletion_destroys_it_for_every_old_copy(
    slack: LocalSlack, db: Database
) -> None:
    """Per-person data keys: a copy of the database files taken before the deletion (a backup, the
    write-ahead log, dead row versions) holds nothing of the person that can be decrypted afterwards
    with the app key and every data key still on disk, while the partner's text still opens."""
    zanele, diana, _, _ = world(slack, db)
    mine = [
        stored_token(db, "enrolments", "off_limits", "user_id", zanele.user_id),
        stored_token(db, "reflections", "takeaways", "author_user_id", zanele.user_id),
        stored_token(db, "survey_responses", "comment", "user_id", zanele.user_id),
    ]
    theirs = stored_token(db, "reflections", "takeaways", "author_user_id", diana.user_id)
    assert all(t.startswith(crypto.PERSONAL_PREFIX) for t in [*mine, theirs])
    key_ids = {t.split(".")[1] for t in mine}
    assert len(key_ids) == 1 and theirs.split(".")[1] not in key_ids  # hers alone, one for all her text
    for token in mine:  # the app key alone opens none of it
        inner = token.split(".", 2)[2]
        try:
            crypto.encryptor().decrypt(inner)
            raise AssertionError("a per-person token opened with the app key")
        except crypto.EncryptionNotConfigured:
            pass

    old_copy = database_text(db)
    readable = "\n".join(decryptable_texts(old_copy, slack))
    assert MARKERS["reflection"] in readable and MARKERS["off_limits"] in readable  # the check sees them
    assert MARKERS["comment"] in readable

    zanele.command("/mentoring", "delete-my-data")
    zanele.click("Delete my data")
    slack.deliver()

    now_on_disk = database_text(db)
    for raw in (old_copy, now_on_disk):
        opened = "\n".join(decryptable_texts(raw, slack, keys_from=now_on_disk))
        for marker in MARKERS.values():
            assert marker not in opened, marker
    assert "DIANA-REFLECTION" in "\n".join(decryptable_texts(old_copy, slack, keys_from=now_on_disk))
    with db.session() as session:
        assert session.scalar(select(Reflection.takeaways)) == "DIANA-REFLECTION"
        record = session.scalar(select(DataDeletion).where(DataDeletion.scope == "person"))
        assert record is not None and record.counts["data_keys"] >= 1


def test_retention_destroys_the_programmes_data_keys(slack: LocalSlack, db: Database) -> None:
    """Retention: once a closed programme's text is purged, its data keys are gone, so no old copy opens."""
    from bot.closeout import service as closeout
    from bot.models import DataKey, ProgrammeCloseout

    _, _, _, programme_id = world(slack, db)
    old_copy = database_text(db)
    with db.session() as session:
        closed = datetime(2027, 1, 2, tzinfo=UTC)
        session.add(ProgrammeCloseout(programme_id=programme_id, closed_by="ULENA", closed_at=closed))
        scope = f"programme:{programme_id}"
        assert session.scalar(select(func.count()).select_from(DataKey).where(DataKey.scope == scope)) == 2
    assert closeout.purge_expired_text(db, at=datetime(2027, 6, 1, tzinfo=UTC)) == [programme_id]
    now_on_disk = database_text(db)
    opened = "\n".join(decryptable_texts(old_copy, slack, keys_from=now_on_disk))
    for marker in (*MARKERS.values(), "DIANA-REFLECTION", "DIANA-PRIVATE"):
        assert marker not in opened, marker
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(DataKey)) == 0
        record = session.scalar(select(DataDeletion).where(DataDeletion.scope == "retention"))
        assert record is not None and record.counts["data_keys"] == 2  # one per person


def test_values_stored_before_per_person_keys_move_to_them(db: Database) -> None:
    """Migration 0016: rows written under the app key move to their owner's key (python -m bot reencrypt)."""
    from bot.reencrypt import personalise_all, reencrypt_all

    with db.session() as session:
        session.execute(
            text(
                "INSERT INTO programmes (id, name, description, cross_organisation, cadence_min_days, "
                "cadence_max_days, session_minutes, alerts_channel_id, support_resources, enrolment_open, "
                "retention_days, consent_days, status, created_by, created_at) VALUES (1, 'Old', '', false, 21, 28, "
                "60, NULL, '', true, 90, 3, 'active', 'UOLU', CURRENT_TIMESTAMP)"
            )
        )
        session.add(Enrolment(programme_id=1, user_id="UOLD", role="mentor", organisation="A", department="B"))
        session.flush()
        legacy = crypto.encryptor().encrypt("LEGACY-OFF-LIMITS")
        session.execute(text("UPDATE enrolments SET off_limits = :t"), {"t": legacy})
    assert personalise_all(db) == 1
    assert personalise_all(db) == 0  # once
    token = stored_token(db, "enrolments", "off_limits", "user_id", "UOLD")
    assert token.startswith(crypto.PERSONAL_PREFIX)
    assert reencrypt_all(db) == 1  # a rotation re-wraps the data key and leaves per-person tokens alone
    assert stored_token(db, "enrolments", "off_limits", "user_id", "UOLD") == token
    with db.session() as session:
        assert session.scalar(select(Enrolment.off_limits)) == "LEGACY-OFF-LIMITS"


def test_a_unit_of_work_unwraps_each_data_key_once(slack: LocalSlack, db: Database) -> None:
    world(slack, db)
    with db.session() as session:
        reflections = list(session.scalars(select(Reflection)))
        again = list(session.scalars(select(Enrolment)))
        ring = crypto.current_keyring()
        assert ring is not None and len(reflections) == 2 and len(again) == 2
        assert ring.loads == 2  # one key per person, however many of their values are read


def test_a_unit_of_work_reading_many_peoples_text_reads_their_keys_in_one_query(db: Database) -> None:
    """A lead's report or matching reads a whole programme: after a few keys one at a time, the rest of
    the programme's keys come in one query, and each is unwrapped only when a value needs it."""
    from bot.models import Programme

    with db.session() as session:
        programme = Programme(name="Many", created_by="UOLU")
        session.add(programme)
        session.flush()
        for index in range(30):
            session.add(
                Enrolment(
                    programme_id=programme.id,
                    user_id=f"UMANY{index}",
                    role="mentor",
                    organisation="A",
                    department="B",
                    off_limits=f"PRIVATE-{index}",
                )
            )
    with db.session() as session:
        texts = [e.off_limits for e in session.scalars(select(Enrolment).order_by(Enrolment.id))]
        ring = crypto.current_keyring()
        assert ring is not None and ring.loads == crypto.PREFETCH_AFTER + 1
    assert texts == [f"PRIVATE-{index}" for index in range(30)]

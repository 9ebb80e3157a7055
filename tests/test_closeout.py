"""A programme run to close-out in simulated time: the lead's App Home and report at each stage,
surveys with suppression, recognition with consent, journey summaries and retention."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from bot.closeout import service as closeout
from bot.db import Database
from bot.emulator import view_text
from bot.impact import surveys
from bot.local_slack import LocalSlack, Person
from bot.models import (
    Concern,
    DataDeletion,
    Enrolment,
    MentoringSession,
    Pair,
    Programme,
    Reflection,
)
from tests.factory import CONTENT, accept_offers, create_programme, enrol, texts_seen

START = datetime(2027, 1, 4, 9, 0)
MENTORS = ["amara", "ben", "chloe", "dev", "esi"]
MENTEES = ["diana", "evan", "farah", "gita", "hugo"]
REFLECTION_MARKER = "PRIVATE-REFLECTION-MARKER"
CONCERN_MARKER = "PRIVATE-CONCERN-MARKER"
COMMENT_MARKER = "SURVEY-COMMENT-MARKER"
OFF_LIMITS_MARKER = "OFF-LIMITS-MARKER"


def answer_survey(db: Database, programme_id: int, user_id: str, kind: str, role: str, value: int) -> None:
    questions = CONTENT.survey(kind, role).questions
    answers: dict[str, int | None] = {q.id: value for q in questions}
    surveys.record_response(db, CONTENT, programme_id, user_id, kind, answers, f"{COMMENT_MARKER} {user_id.lower()}")


def hold_sessions(db: Database, pair_ids: list[int], count: int, first: datetime) -> None:
    with db.session() as session:
        for pair_id in pair_ids:
            pair = session.get(Pair, pair_id)
            assert pair is not None
            for number in range(1, count + 1):
                at = first + timedelta(days=21 * (number - 1))
                row = MentoringSession(
                    pair_id=pair_id,
                    programme_id=pair.programme_id,
                    number=number,
                    starts_at=at,
                    ends_at=at + timedelta(hours=1),
                    status="held",
                    ics_uid=f"t-{pair_id}-{number}",
                    booked_by=pair.mentee_user_id,
                )
                session.add(row)
                session.flush()
                session.add(
                    Reflection(
                        session_id=row.id,
                        pair_id=pair_id,
                        programme_id=pair.programme_id,
                        author_user_id=pair.mentor_user_id,
                        role="mentor",
                        takeaways=f"{REFLECTION_MARKER} takeaway {number}",
                        do_differently=f"{REFLECTION_MARKER} differently",
                        safety=4,
                        usefulness=5,
                    )
                )


def lead_home(lead: Person) -> str:
    lead.open_home()
    return view_text(lead.home or {})


def dm_files(slack: LocalSlack, person: Person) -> list[tuple[str, bytes]]:
    channel = slack.emulator.open_im(person.user_id)
    return [(f.name, f.content or b"") for f in slack.emulator.files_in(channel)]


def test_a_programme_runs_to_close_out(
    slack: LocalSlack, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, _encryption_keys: str
) -> None:
    with freeze_time(START) as clock:
        admin = slack.person("olu", real_name="Olu Admin", is_admin=True)
        lead = slack.person("lena", real_name="Lena Lead")
        people = {name: slack.person(name, real_name=f"{name.title()} Person") for name in MENTORS + MENTEES}
        create_programme(admin, [lead], name="Inclusive Leadership")
        for name in MENTORS:
            enrol(people[name], "mentor", "Acme", "Finance", **{"Topics that are off limits for me": OFF_LIMITS_MARKER})
        for name in MENTEES:
            enrol(people[name], "mentee", "Globex", "Strategy")
        with db.session() as session:
            programme_id = session.scalar(select(Programme.id))
        assert programme_id is not None

        # Stage 1: enrolled, nobody matched. No survey yet: the baseline comes with the match.
        shown = lead_home(lead)
        assert "Inclusive Leadership: programme lead" in shown
        assert "5 mentors, 5 mentees" in shown
        assert surveys.schedule_due_surveys(db) == 0

        # Stage 2: matched. Baseline surveys go out as each mentor says yes, before any session.
        lead.command("/mentoring", "match")
        assert lead.submit().ok
        assert accept_offers(slack, *(people[name] for name in MENTORS)) == 5
        shown = lead_home(lead)
        assert "*Pairs*\n5 (5 active)" in shown
        assert "0 mentors, 0 mentees" in shown
        assert surveys.schedule_due_surveys(db) == 0  # all ten were asked on the mentors' yes
        clock.tick(timedelta(days=1))  # the next working morning
        slack.deliver()
        assert "Before you start" in texts_seen(people["amara"])
        assert "Before you start" in texts_seen(people["diana"])
        for name in MENTEES:
            answer_survey(db, programme_id, people[name].user_id, "baseline", "mentee", 2)
        for name in MENTORS[:4]:  # only four mentors answer: their group is never shown
            answer_survey(db, programme_id, people[name].user_id, "baseline", "mentor", 2)

        # Stage 3: two sessions each, a concern, the lead's report.
        clock.tick(timedelta(days=10))
        with db.session() as session:
            pair_ids = list(session.scalars(select(Pair.id).order_by(Pair.id)))
            session.add(
                Concern(
                    programme_id=programme_id,
                    pair_id=pair_ids[0],
                    reporter_user_id=people["diana"].user_id,
                    urgency="this-week",
                    details=CONCERN_MARKER,
                )
            )
        hold_sessions(db, pair_ids, 2, datetime(2027, 1, 12, 10, tzinfo=UTC))
        clock.tick(timedelta(days=40))
        shown = lead_home(lead)
        assert "*Sessions held*\n10 of 30 planned" in shown
        assert "*Reflection completion*\n50%" in shown
        assert "This week: 1, 1 not yet acknowledged" in shown
        assert CONCERN_MARKER not in shown and REFLECTION_MARKER not in shown
        answer = lead.command("/mentoring", "report")
        assert "preparing the report" in answer.text
        slack.deliver()
        report_text = texts_seen(lead)
        assert "Report: Inclusive Leadership" in report_text
        assert "Baseline 2.0 (n=5)" in report_text  # mentees: five answered
        # Four mentors: hidden. The lead reads the question's words, never its id.
        assert "I feel heard by senior leaders in this organisation. (mentors): Baseline hidden" in report_text
        assert "felt-heard" not in report_text
        assert COMMENT_MARKER in report_text  # mentee comments: a group of five
        assert f"{COMMENT_MARKER} {people['amara'].user_id.lower()}" not in report_text  # mentor comments: hidden
        pngs = [content for name, content in dm_files(slack, lead) if name.endswith(".png")]
        assert pngs and pngs[0].startswith(b"\x89PNG")
        # Someone outside the programme cannot ask for it.
        assert "Only" in people["amara"].command("/mentoring", "report Inclusive Leadership").text

        # Stage 4: the lead closes the programme and chooses a channel for thanks.
        channel = slack.emulator.add_channel("inclusion-news", members=[lead.user_id])
        lead.command("/mentoring", "close")
        assert lead.modal is not None and "Close programme" in str(lead.modal)
        lead.fill({"Thank mentors by name in this channel (optional)": channel})
        assert lead.submit().ok
        slack.deliver()
        assert "is now closed" in texts_seen(lead)
        amara, diana = people["amara"], people["diana"]
        assert "final private reflection" in texts_seen(diana)
        assert "final private reflection" not in texts_seen(amara)  # she already reflected on the last one
        assert "As the programme ends" in texts_seen(diana)  # the end survey
        with db.session() as session:
            assert set(session.scalars(select(Pair.status))) == {"ended"}
        for name in MENTEES:
            answer_survey(db, programme_id, people[name].user_id, "end", "mentee", 4)
        for name in MENTORS:
            answer_survey(db, programme_id, people[name].user_id, "end", "mentor", 4)

        # A day later: thanks (the mentor named to the mentee), journey summaries, consent requests.
        clock.tick(timedelta(days=1, minutes=1))
        slack.deliver()
        with db.session() as session:
            pair_of = {p.mentee_user_id: p.mentor_user_id for p in session.scalars(select(Pair))}
        mentor_of_diana = next(p for p in people.values() if p.user_id == pair_of[diana.user_id])
        diana_text = texts_seen(diana)
        mentor_name = slack.emulator.user(mentor_of_diana.user_id).real_name
        assert f"Your mentor, *{mentor_name}*" in diana_text
        assert "Your journey in Inclusive Leadership" in diana_text and "Sessions held*: 2" in diana_text
        assert "Thank you, " in texts_seen(amara)
        assert "May we thank you by name" in texts_seen(amara)
        # Nothing in the channel until a mentor says yes; only those who do are named.
        assert slack.emulator.messages_in(channel) == []
        amara.click("Yes, thank me by name")
        people["ben"].click("No, keep it private")
        slack.deliver()
        posts = [m.text for m in slack.emulator.messages_in(channel)]
        assert len(posts) == 1 and amara.user_id in str(slack.emulator.messages_in(channel)[0].blocks)
        assert people["ben"].user_id not in str(slack.emulator.messages_in(channel))

        # Stage 5: the lead's view and the CSV after close: baseline to end, nothing sensitive.
        shown = lead_home(lead)
        assert "Inclusive Leadership: programme lead (closed)" in shown
        assert "Close programme" not in str(lead.home)
        lead.command("/mentoring", "report csv")
        slack.deliver()
        csv_files = [content for name, content in dm_files(slack, lead) if name.endswith(".csv")]
        assert csv_files
        exported = csv_files[-1].decode()
        for marker in (REFLECTION_MARKER, CONCERN_MARKER, COMMENT_MARKER, OFF_LIMITS_MARKER):
            assert marker not in exported
        table = list(csv.reader(io.StringIO(exported)))
        change = [r for r in table if r[:4] == ["impact", "inclusion-confidence", "mentee", "end"]]
        assert change and change[0][5] == "4.00" and change[0][7] == "+2.00"
        mentor_rows = [r for r in table if r[:3] == ["impact", "felt-heard", "mentor"]]
        assert {r[3]: r[5] for r in mentor_rows} == {"baseline": "", "end": "4.00"}  # 4 at baseline: hidden
        assert len([r for r in table if r and r[0] == "pair" and r[1] != "pair_id"]) == 5

        # The command line does the same.
        from bot.cli import main

        monkeypatch.setenv("DATABASE_URL", db.url)
        monkeypatch.setenv("ENCRYPTION_KEYS", _encryption_keys)
        out_csv = tmp_path / "report.csv"
        assert main(["report", "--programme", "Inclusive Leadership", "--csv", str(out_csv)]) == 0
        cli_text = out_csv.read_text()
        assert "inclusion-confidence" in cli_text and REFLECTION_MARKER not in cli_text

        # Stage 6: retention. Nothing is purged early; after the retention period the text goes.
        assert closeout.purge_expired_text(db) == []
        clock.tick(timedelta(days=91))
        assert closeout.purge_expired_text(db) == [programme_id]
        with db.session() as session:
            assert all(r.takeaways == "" for r in session.scalars(select(Reflection)))
            assert session.scalars(select(Concern)).all() == []
            assert all(e.off_limits is None for e in session.scalars(select(Enrolment)))
            record = session.scalar(select(DataDeletion).where(DataDeletion.scope == "retention"))
            assert record is not None and record.counts["reflections.takeaways"] == 10
            assert record.counts["concerns"] == 1
            assert REFLECTION_MARKER not in str(record.counts)
        assert closeout.purge_expired_text(db) == []  # once


def test_a_programme_closes_itself_on_its_end_date(slack: LocalSlack, db: Database) -> None:
    with freeze_time(START) as clock:
        admin = slack.person("olu", real_name="Olu Admin", is_admin=True)
        lead = slack.person("lena", real_name="Lena Lead")
        create_programme(admin, [lead], name="Short", **{"End date": "2027-02-01"})
        amara = slack.person("amara", real_name="Amara Okafor")
        enrol(amara, "mentor", "Acme", "Finance")
        assert closeout.close_ended_programmes(db) == []
        clock.move_to(datetime(2027, 2, 2, 9))
        results = closeout.close_ended_programmes(db)
        assert [r.programme_name for r in results] == ["Short"]
        slack.deliver()
        assert "reached its end date" in texts_seen(lead)
        assert "has now closed, so you won't be matched" in texts_seen(amara)
        assert closeout.close_ended_programmes(db) == []


def test_only_leads_can_close_a_programme(slack: LocalSlack, db: Database) -> None:
    admin = slack.person("olu", real_name="Olu Admin", is_admin=True)
    lead = slack.person("lena", real_name="Lena Lead")
    amara = slack.person("amara", real_name="Amara Okafor")
    create_programme(admin, [lead], name="Pilot")
    assert "Only" in amara.command("/mentoring", "close Pilot").text
    from bot.errors import NotAllowed

    with db.session() as session:
        programme_id = session.scalar(select(Programme.id))
    assert programme_id is not None
    with pytest.raises(NotAllowed) as refused:
        closeout.close_programme(db, programme_id, amara.user_id)
    assert refused.value.code == "programmes.lead_only"


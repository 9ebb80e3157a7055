"""Issue 14, "Safe to say no", as people live it: the mentor (the junior person) is asked first.

Lena (the independent lead) approves a match of Amara (mentor) with Diana (mentee). Amara sees it
privately and decides; Diana hears nothing until Amara says yes, and never learns it was Amara if
she says no or lets it lapse. People invited or imported can say "No thanks", once and for good.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from bot.content import load_content
from bot.db import Database
from bot.emulator import view_text
from bot.local_slack import LocalSlack, Person
from bot.matching import consent
from bot.models import Enrolment, InvitationRefusal, MatchOffer, MatchRule, OutboxMessage, Pair, Programme
from bot.programmes import imports
from bot.programmes.enrolment import Person as SlackPerson
from tests.factory import ACCEPT_LABEL, CONTENT, MONDAY, create_programme, enrol, texts_seen

WORKING_MORNING = MONDAY.replace(hour=10)  # Monday 10:00 in London
DECLINE_LABEL = "No, not this match"


@pytest.fixture
def people(slack: LocalSlack) -> dict[str, Person]:
    return {
        "admin": slack.person("olu", real_name="Olu Admin", is_admin=True),
        "lead": slack.person("lena", real_name="Lena Lead"),
        "amara": slack.person("amara", real_name="Amara Okafor", title="Data Analyst", tz="Europe/London"),
        "ben": slack.person("ben", real_name="Ben Hughes", title="Graduate Engineer", tz="Europe/London"),
        "diana": slack.person("diana", real_name="Diana Reyes", title="Chief Financial Officer", tz="Europe/London"),
    }


def approve(people: dict[str, Person], *, mentors: tuple[str, ...] = ("amara",), **programme: object) -> None:
    """A programme; the mentors and Diana enrol; Lena runs the match and approves it."""
    create_programme(people["admin"], [people["lead"]], **programme)
    for name in mentors:
        enrol(people[name], "mentor", "Acme", "Finance", **{"What I can bring": "Life on the front line."})
    enrol(people["diana"], "mentee", "Globex", "Strategy")
    lead = people["lead"]
    lead.command("/mentoring", "match")
    assert lead.submit().ok


def offer_to(person: Person):  # type: ignore[no-untyped-def]
    return next((s for s in reversed(person.dms()) if s.has_button(ACCEPT_LABEL)), None)


def seen_by(slack: LocalSlack, user_id: str) -> Iterator[str]:
    """Every payload the emulator recorded that reached ``user_id``: messages, views, files, ephemerals."""
    emulator = slack.emulator
    for call in emulator.calls:
        blob = json.dumps(call.args, ensure_ascii=False)
        audience: set[str] = set()
        if call.method in {"chat.postMessage", "chat.update", "chat.scheduleMessage", "files.completeUploadExternal"}:
            conv = emulator.conversation(str(call.args.get("channel") or call.args.get("channel_id")))
            audience = set(conv.members) if conv else set()
        elif call.method == "chat.postEphemeral":
            audience = {str(call.args.get("user"))}
        elif call.method in {"views.open", "views.push"}:
            trigger = emulator._triggers.get(str(call.args.get("trigger_id")))
            audience = {trigger.user_id} if trigger else set()
        elif call.method == "views.update":
            view = emulator._views.get(str(call.args.get("view_id")))
            audience = {view.user_id} if view else set()
        elif call.method == "views.publish":
            audience = {str(call.args.get("user_id"))}
        elif call.method == "conversations.open":
            audience = set(str(call.args.get("users") or "").split(","))
        if user_id in audience:
            yield blob
    for message in emulator._ephemerals:
        if message.ephemeral_to == user_id:
            yield json.dumps([message.text, message.blocks], ensure_ascii=False)
    for stored in emulator._views.values():
        if stored.user_id == user_id:
            yield json.dumps(stored.data, ensure_ascii=False)
    for seen in emulator.seen_by(user_id):
        yield seen.text + json.dumps(seen.blocks, ensure_ascii=False)
        for file_id in seen.files:
            stored_file = emulator.file(file_id)
            if stored_file is not None:
                yield stored_file.bytes.decode("utf-8", "replace") + stored_file.title


def assert_never_reaches(slack: LocalSlack, mentee: Person, mentor: Person) -> None:
    """Neither the mentor's user id nor any part of their real name is in anything the mentee got."""
    real_name = slack.emulator.user(mentor.user_id).real_name
    payloads = list(seen_by(slack, mentee.user_id))
    assert payloads, "the scan found nothing at all: it would prove nothing"
    for blob in payloads:
        for secret in (mentor.user_id, real_name, *real_name.split()):
            assert secret not in blob, f"{secret!r} reached the mentee in {blob[:300]}"


def pairs(db: Database) -> list[tuple[str, str, str]]:
    with db.session() as session:
        return [(p.mentor_user_id, p.mentee_user_id, p.status) for p in session.scalars(select(Pair))]


# ---------------------------------------------------------------------------------------------
# The mentor decides first


def test_the_mentor_sees_the_offer_privately_and_the_mentee_nothing_until_yes(
    slack: LocalSlack, db: Database, people: dict[str, Person]
) -> None:
    amara, diana, lead = people["amara"], people["diana"], people["lead"]
    with freeze_time(WORKING_MORNING) as clock:
        approve(people)
        slack.deliver()
        offer = offer_to(amara)
        assert offer is not None and offer.kind == "im"
        for expected in ("Diana Reyes", "Globex", "Why this match", "They don't know about this yet"):
            assert expected in offer.text, expected
        assert "Please answer by" in offer.text and "Thursday 4 March" in offer.text  # three working days
        assert offer.has_button(DECLINE_LABEL)
        assert "each mentor is asked privately first" in texts_seen(lead)
        # Diana hears nothing at all: no notice, no introduction, no pair, not even on her working morning.
        clock.move_to(WORKING_MORNING + timedelta(hours=1))
        slack.deliver()
        assert pairs(db) == []
        assert "matched" not in texts_seen(diana).lower()
        assert slack.emulator.group_dm(amara.user_id, diana.user_id) is None
        assert_never_reaches(slack, diana, amara)
        # Amara says yes: only now is the pair made, and Diana told and introduced.
        assert amara.click(ACCEPT_LABEL, in_message=offer).ok
        assert "Thank you for saying yes" in texts_seen(amara)
        slack.deliver()
    assert pairs(db) == [(amara.user_id, diana.user_id, "active")]
    assert "Your mentor is *Amara Okafor*" in texts_seen(diana)
    assert slack.emulator.group_dm(amara.user_id, diana.user_id) is not None
    # A second click (a replay) makes nothing more.
    amara.click(ACCEPT_LABEL, in_message=offer)
    assert len(pairs(db)) == 1


def test_a_decline_never_reaches_the_mentee_and_the_next_proposal_pairs_someone_else(
    slack: LocalSlack, db: Database, people: dict[str, Person]
) -> None:
    amara, ben, diana, lead = people["amara"], people["ben"], people["diana"], people["lead"]
    with freeze_time(WORKING_MORNING) as clock:
        approve(people, mentors=("amara", "ben"))
        slack.deliver()
        diana_got = texts_seen(diana)
        offered = amara if offer_to(amara) is not None else ben
        other = ben if offered is amara else amara
        offer = offer_to(offered)
        assert offer is not None and offer_to(other) is None
        offered.click(DECLINE_LABEL, in_message=offer)
        assert f"won't go ahead. {load_content().promise('offer-declined-reply')}" in texts_seen(offered)
        slack.deliver()
        clock.move_to(WORKING_MORNING + timedelta(days=7))  # long after any deadline or morning
        slack.deliver()
    # The lead is alerted, neutrally, with the next step one click away.
    alert = next(s for s in lead.dms() if "did not go ahead" in s.text)
    assert "Run the match again to get the next proposal for both people" in alert.text
    assert "declined" not in alert.text
    with db.session() as session:
        rule = session.scalars(select(MatchRule)).one()
        assert (rule.mentor_user_id, rule.mentee_user_id, rule.kind) == (offered.user_id, diana.user_id, "forbid")
        assert rule.created_by == consent.RULE_AUTHOR
        assert session.scalars(select(MatchOffer.status)).one() == "declined"
    assert pairs(db) == []
    # Diana got no message at all about it, and nothing anywhere names who it was.
    assert texts_seen(diana) == diana_got
    assert_never_reaches(slack, diana, offered)
    # The next proposal, from the alert's button, pairs Diana with the other mentor, never the same pair.
    lead.click("Open the next proposal", in_message=alert)
    shown = view_text(lead.modal or {})
    assert "1 pair proposed" in shown
    names = {"amara": "Amara Okafor", "ben": "Ben Hughes"}
    other_name = names["ben" if offered is amara else "amara"]
    offered_name = names["amara" if offered is amara else "ben"]
    assert f"*{other_name}* (mentor) with *Diana Reyes*" in shown
    assert f"*{offered_name}* (mentor) with *Diana Reyes*" not in shown


def test_a_lapsed_offer_gets_one_reminder_then_closes_silently_for_the_mentee(
    slack: LocalSlack, db: Database, people: dict[str, Person]
) -> None:
    amara, diana, lead = people["amara"], people["diana"], people["lead"]
    reminder = "A gentle reminder: a proposed match"
    with freeze_time(WORKING_MORNING) as clock:
        approve(people)
        slack.deliver()
        diana_got = texts_seen(diana)
        assert offer_to(amara) is not None
        clock.move_to(WORKING_MORNING + timedelta(days=1))  # Tuesday
        slack.deliver()
        assert reminder not in texts_seen(amara)
        clock.move_to(WORKING_MORNING + timedelta(days=2))  # Wednesday 10:00: a working day before
        slack.deliver()
        clock.move_to(WORKING_MORNING + timedelta(days=2, hours=5))
        slack.deliver()
        assert texts_seen(amara).count(reminder) == 1
        assert "did not go ahead" not in texts_seen(lead)
        clock.move_to(WORKING_MORNING + timedelta(days=3))  # Thursday 10:00: the deadline
        slack.deliver()
        clock.move_to(WORKING_MORNING + timedelta(days=10))
        slack.deliver()
        # Too late to answer now: the old buttons change nothing.
        old = offer_to(amara)
        assert old is not None
        amara.click(ACCEPT_LABEL, in_message=old)
        assert "no longer open" in texts_seen(amara)
    assert texts_seen(amara).count(reminder) == 1, "exactly one reminder"
    with db.session() as session:
        assert session.scalars(select(MatchOffer.status)).one() == "lapsed"
        assert session.scalars(select(MatchRule.kind)).one() == "forbid"
        kinds = {row.kind: row.status for row in session.scalars(select(OutboxMessage))}
        assert kinds[consent.OFFER_DEADLINE] == "skipped"
    assert pairs(db) == []
    assert [s for s in lead.dms() if "did not go ahead" in s.text]
    assert texts_seen(diana) == diana_got, "no message at all"
    assert_never_reaches(slack, diana, amara)
    # Rematching never proposes the same pair again.
    lead.command("/mentoring", "match")
    assert "0 pairs proposed, 2 people waiting" in view_text(lead.modal or {})


def test_the_programme_sets_the_deadline_in_the_mentors_working_days(
    slack: LocalSlack, db: Database, people: dict[str, Person]
) -> None:
    with freeze_time(MONDAY.replace(hour=16)):  # Monday 16:00 in London, late in the working day
        approve(people, **{"Working days a mentor has to accept a match": "1"})
        slack.deliver()
    with db.session() as session:
        assert session.scalars(select(Programme.consent_days)).one() == 1
        offer = session.scalars(select(MatchOffer)).one()
        assert offer.deadline_at.replace(tzinfo=None) == MONDAY.replace(day=2, hour=16, tzinfo=None)


# ---------------------------------------------------------------------------------------------
# "No thanks" to an invitation or an import


def test_no_thanks_to_an_invitation_is_recorded_and_never_undone(
    slack: LocalSlack, db: Database, people: dict[str, Person]
) -> None:
    create_programme(people["admin"], [people["lead"]], name="Pilot")
    lead, amara = people["lead"], people["amara"]
    lead.command("/mentoring", f"invite <@{amara.user_id}|amara>")
    invitation = next(s for s in amara.dms() if "invited you to join" in s.text)
    assert invitation.has_button("Join") and invitation.has_button("No thanks")
    amara.click("No thanks", in_message=invitation)
    assert "You won't be asked about *Pilot* again" in texts_seen(amara)
    with db.session() as session:
        refusal = session.scalars(select(InvitationRefusal)).one()
        assert refusal.user_id == amara.user_id and refusal.refused_at is not None
    # A later invitation skips her and says so.
    before = len(amara.dms())
    lead.command("/mentoring", f"invite <@{amara.user_id}|amara>")
    assert len(amara.dms()) == before
    assert "said no thanks to this programme before" in texts_seen(lead)
    # And so does a CSV import.
    with db.session() as session:
        programme = session.scalars(select(Programme)).one()
    report = imports.import_participants(
        db,
        programme,
        f"slack,role,organisation,department\n{amara.user_id},mentor,Acme,Finance\n",
        lambda ref: SlackPerson(amara.user_id, "Amara Okafor", "Europe/London") if ref == amara.user_id else None,
        CONTENT,
    )
    assert report.added == [] and report.problems == [
        "line 2: this person said no thanks to this programme, so was not added again"
    ]


def test_an_imported_person_can_say_no_thanks_and_is_not_chased_or_reimported(
    slack: LocalSlack, db: Database, people: dict[str, Person]
) -> None:
    create_programme(people["admin"], [people["lead"]], name="Pilot")
    diana = people["diana"]
    with db.session() as session:
        programme = session.scalars(select(Programme)).one()
    csv_text = f"slack,role,organisation,department\n{diana.user_id},mentee,Globex,Strategy\n"

    def resolve(ref: str) -> SlackPerson | None:
        return SlackPerson(diana.user_id, "Diana Reyes", "Europe/London") if ref == diana.user_id else None

    with freeze_time(WORKING_MORNING) as clock:
        assert imports.import_participants(db, programme, csv_text, resolve, CONTENT).added == [diana.user_id]
        slack.deliver()
        invitation = next(s for s in diana.dms() if "has added you to *Pilot*" in s.text)
        diana.click("No thanks", in_message=invitation)
        assert "You won't be asked about *Pilot* again" in texts_seen(diana)
        count = len(diana.dms())
        clock.move_to(WORKING_MORNING + timedelta(days=30))
        slack.deliver()
        assert len(diana.dms()) == count, "never chased"
        report = imports.import_participants(db, programme, csv_text, resolve, CONTENT)
        slack.deliver()
    assert report.added == report.updated == []
    assert report.problems == ["line 2: this person said no thanks to this programme, so was not added again"]
    with db.session() as session:
        assert session.scalars(select(InvitationRefusal.user_id)).all() == [diana.user_id]
        assert session.scalars(select(Enrolment)).all() == [], "the unconfirmed import is gone"
    assert len(diana.dms()) == count

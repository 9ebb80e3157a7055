"""Issue 3 as people live it: a programme, six enrolments, power-aware matching, approval, decline."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from bot.db import Database
from bot.errors import error_text
from bot.local_slack import LocalSlack, Person
from bot.models import Enrolment, Pair, Programme
from tests.factory import (
    accept_offers,
    create_programme,
    enrol,
    replay_submission,
    replay_view_action,
    texts_seen,
)

MONDAY_MORNING = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)  # London 10:00, New York 05:00, Kolkata 15:30
WEDNESDAY = datetime(2027, 3, 3, 0, 0, tzinfo=UTC)  # everyone has had a working morning since


@pytest.fixture
def cast(slack: LocalSlack) -> dict[str, Person]:
    people = {
        "admin": slack.person("olu", real_name="Olu Admin", is_admin=True),
        "lead": slack.person("lena", real_name="Lena Lead"),
        "amara": slack.person("amara", real_name="Amara Okafor", tz="Europe/London", title="Analyst"),
        "ben": slack.person("ben", real_name="Ben Hughes", tz="America/New_York"),
        "chloe": slack.person("chloe", real_name="Chloe Park", tz="Asia/Kolkata"),
        "diana": slack.person("diana", real_name="Diana Reyes", tz="Europe/London", title="CFO"),
        "evan": slack.person("evan", real_name="Evan Stone", tz="America/New_York", title="VP Engineering"),
        "farah": slack.person("farah", real_name="Farah Khan", tz="Asia/Kolkata", title="Head of Sales"),
    }
    return people


def enrol_six(cast: dict[str, Person]) -> None:
    """A cross-organisation programme: each mentor shares an organisation with one mentee,
    and Chloe (mentor) reports to Farah (mentee)."""
    enrol(cast["amara"], "mentor", "Acme", "Finance", topics=["Gender", "Disability"])
    enrol(cast["ben"], "mentor", "Globex", "Operations", topics=["Race and ethnicity"])
    enrol(cast["chloe"], "mentor", "Initech", "Sales", manager=cast["farah"], topics=["Gender"])
    enrol(cast["diana"], "mentee", "Acme", "Strategy", topics=["Gender"])
    enrol(cast["evan"], "mentee", "Globex", "Engineering", topics=["Race and ethnicity"])
    enrol(cast["farah"], "mentee", "Initech", "Sales", topics=["Disability"])


def pairs_in(db: Database) -> set[tuple[str, str]]:
    with db.session() as session:
        return {(p.mentor_user_id, p.mentee_user_id) for p in session.scalars(select(Pair))}


def test_a_whole_programme_from_creation_to_approved_pairs(
    slack: LocalSlack, db: Database, cast: dict[str, Person]
) -> None:
    admin, lead = cast["admin"], cast["lead"]
    create_programme(admin, [lead], name="Inclusive Leadership")
    slack.deliver()  # the new lead's welcome and guide go through the outbox
    assert "made you a programme lead of *Inclusive Leadership*" in texts_seen(lead)

    enrol_six(cast)
    assert "You're enrolled in Inclusive Leadership" in texts_seen(cast["amara"])

    lead.command("/mentoring", "match")
    proposal = lead.modal
    assert proposal is not None
    from bot.emulator import view_text

    shown = view_text(proposal)
    assert "3 pairs proposed, 0 people waiting" in shown
    with freeze_time(MONDAY_MORNING) as clock:
        result = lead.submit()  # "Approve all"
        assert result.ok and not result.errors
        assert pairs_in(db) == set(), "no pair exists until its mentor says yes"
        # Each mentor is asked first, privately; then says yes.
        assert accept_offers(slack, cast["amara"], cast["ben"], cast["chloe"]) == 3
        clock.move_to(WEDNESDAY)  # each mentee hears on their own working morning
        slack.deliver()

    ids = {name: person.user_id for name, person in cast.items()}
    made = pairs_in(db)
    assert len(made) == 3
    forbidden = {
        (ids["amara"], ids["diana"]),  # same organisation in a cross-organisation programme
        (ids["ben"], ids["evan"]),
        (ids["chloe"], ids["farah"]),  # her own manager
    }
    assert not made & forbidden
    # Each person hears who their partner is, privately.
    for mentor_id, mentee_id in made:
        mentor = next(p for p in cast.values() if p.user_id == mentor_id)
        mentee = next(p for p in cast.values() if p.user_id == mentee_id)
        assert "Your mentee is" in texts_seen(mentor)
        assert "Your mentor is" in texts_seen(mentee)
        assert all(s.kind == "im" for s in mentor.seen() if "You've been matched in" in s.text)
    assert "Approved 3 matches" in texts_seen(lead)


def test_the_enrolment_form_checks_each_field(slack: LocalSlack, db: Database, cast: dict[str, Person]) -> None:
    create_programme(cast["admin"], [cast["lead"]])
    diana = cast["diana"]
    diana.command("/mentoring", "join")
    diana.fill(
        {
            "I am joining as": "Mentee",
            "Organisation": "Acme",
            "Department or function": "Strategy",
            "Line manager": diana.user_id,
            "Privacy notice": True,
        }
    )
    result = diana.submit()
    errors = diana.errors_by_label()
    assert result.sent and result.errors, "the app should refuse the form"
    assert errors["Line manager"] == error_text("enrolment.line_manager_is_self")
    inclusion = errors["Mentees: the state of inclusion in my part of the business today"]
    assert inclusion == error_text("enrolment.inclusion_statement_required")
    gap = errors["Mentees: the gap in understanding I hope to close"]
    assert gap == error_text("enrolment.understanding_gap_required")
    assert diana.modal is not None  # still open, nothing lost
    # Slack itself will not send the form without the privacy box; the app checks it too.
    diana.fill({"Privacy notice": False})
    refused = diana.submit(force=True)
    assert refused.errors["privacy_confirmed"] == error_text("enrolment.privacy_not_confirmed")
    with db.session() as session:
        assert session.scalars(select(Enrolment)).all() == []


def test_a_lead_cannot_also_be_a_participant(slack: LocalSlack, cast: dict[str, Person]) -> None:
    create_programme(cast["admin"], [cast["lead"]])
    lead = cast["lead"]
    lead.command("/mentoring", "join")
    lead.fill(
        {"I am joining as": "Mentor", "Organisation": "Acme", "Department or function": "HR", "Privacy notice": True}
    )
    lead.submit()
    assert lead.errors_by_label()["I am joining as"] == error_text("enrolment.lead_cannot_join")


def test_programme_form_reports_bad_fields(slack: LocalSlack, db: Database, cast: dict[str, Person]) -> None:
    admin = cast["admin"]
    admin.command("/mentoring", "programme new")
    admin.fill(
        {
            "Programme name": "Pilot",
            "Programme leads": [cast["lead"].user_id],
            "Shortest gap between sessions (days)": 30,
            "Longest gap between sessions (days)": 20,
            "Backup lead": cast["lead"].user_id,
        }
    )
    admin.submit()
    errors = admin.errors_by_label()
    assert errors["Longest gap between sessions (days)"] == error_text("programmes.cadence_max_out_of_range", max=120)
    assert errors["Backup lead"] == error_text("programmes.backup_lead_is_lead")
    with db.session() as session:
        assert session.scalars(select(Programme)).all() == []


def test_non_admins_and_non_leads_are_refused_every_lead_action(
    slack: LocalSlack, db: Database, cast: dict[str, Person]
) -> None:
    amara = cast["amara"]
    assert "Only workspace admins" in amara.command("/mentoring", "programme new").text  # the handler's words

    create_programme(cast["admin"], [cast["lead"]], name="Pilot")
    enrol_six(cast)
    assert "Only" in amara.command("/mentoring", "programme edit Pilot").text
    assert "Only" in amara.command("/mentoring", "match").text
    assert "Only" in amara.command("/mentoring", "match Pilot").text
    assert "Only" in amara.command("/mentoring", f"invite Pilot <@{cast['ben'].user_id}>").text
    assert amara.modal is None

    # The lead opens the proposal; Amara replays its buttons and its submission with her own identity.
    lead = cast["lead"]
    lead.command("/mentoring", "match")
    proposal = lead.modal
    assert proposal is not None
    for action_id in ("rerun_matching", "swap_partners", "pin_or_forbid"):
        replay_view_action(amara, proposal, action_id)
    overflow = next(b for b in proposal["blocks"] if b.get("block_id", "").startswith("pair-"))
    replay_view_action(
        amara, proposal, "proposal_pair", selected_option={"value": "remove:" + overflow["block_id"][5:]}
    )
    replay_submission(amara, proposal)
    assert pairs_in(db) == set()
    assert texts_seen(amara).count(error_text("programmes.lead_only")) >= 4
    assert amara.modal is None
    # The proposal is untouched.
    assert "3 pairs proposed" in __import__("bot.emulator", fromlist=["view_text"]).view_text(lead.modal or {})






def test_a_matched_person_can_decline_privately(slack: LocalSlack, db: Database, cast: dict[str, Person]) -> None:
    create_programme(cast["admin"], [cast["lead"]])
    enrol_six(cast)
    lead = cast["lead"]
    lead.command("/mentoring", "match")
    with freeze_time(MONDAY_MORNING) as clock:
        lead.submit()
        accept_offers(slack, cast["amara"], cast["ben"], cast["chloe"])
        clock.move_to(WEDNESDAY)
        slack.deliver()
    evan = cast["evan"]
    [(mentor_id, _)] = [pair for pair in pairs_in(db) if pair[1] == evan.user_id]
    partner = next(p for p in cast.values() if p.user_id == mentor_id)

    notice = next(seen for seen in evan.seen() if "You've been matched in" in seen.text)
    evan.click("Decline or ask for a rematch", in_message=notice)
    assert "You have declined this match" in texts_seen(evan)
    assert not any("Decline or ask" in seen.text for seen in evan.seen()), "the button is replaced"
    partner_text = texts_seen(partner)
    # Told neutrally: not who decided, nor why.
    assert "Your pairing in *Inclusive Leadership* has come to an end" in partner_text
    assert "Evan" not in partner_text.split("has come to an end")[-1]
    assert "Evan Stone has stepped back from their pairing" in texts_seen(lead)
    with db.session() as session:
        statuses = {e.user_id: e.status for e in session.scalars(select(Enrolment))}
        assert statuses[evan.user_id] == statuses[mentor_id] == "waiting"
    # A second click (a replay of the old message) changes nothing more.
    evan.click("Decline or ask for a rematch", in_message=notice)
    assert error_text("matching.match_ended") in texts_seen(evan)

    # They are never proposed together again: the two of them now wait, with the reason for the lead.
    lead.command("/mentoring", "match")
    from bot.emulator import view_text

    shown = view_text(lead.modal or {})
    assert "0 pairs proposed, 2 people waiting" in shown
    assert "was paired with" in shown and "before" in shown


def test_unmatched_people_are_told_they_are_waiting(slack: LocalSlack, db: Database, cast: dict[str, Person]) -> None:
    create_programme(cast["admin"], [cast["lead"]])
    enrol(cast["amara"], "mentor", "Acme", "Finance")
    enrol(cast["ben"], "mentor", "Globex", "Operations")
    enrol(cast["diana"], "mentee", "Acme", "Strategy")
    lead = cast["lead"]
    lead.command("/mentoring", "match")
    from bot.emulator import view_text

    shown = view_text(lead.modal or {})
    assert "1 pair proposed, 1 person waiting" in shown
    assert "Amara Okafor" in shown.split("Waiting for a match")[1]
    lead.submit()
    assert "waiting list" in texts_seen(cast["amara"])
    accept_offers(slack, cast["ben"])
    assert (cast["ben"].user_id, cast["diana"].user_id) in pairs_in(db)


def test_lead_invites_people_with_a_join_button(slack: LocalSlack, db: Database, cast: dict[str, Person]) -> None:
    create_programme(cast["admin"], [cast["lead"]], name="Pilot")
    lead, amara = cast["lead"], cast["amara"]
    answer = lead.command("/mentoring", f"invite <@{amara.user_id}|amara>")
    assert answer.status == 200
    assert "Invited 1 person to Pilot" in texts_seen(lead)
    assert "invited you to join *Pilot*" in texts_seen(amara)
    amara.click("Read the mentor guide")
    assert "experience is the expertise" in texts_seen(amara).lower() or "guide" in texts_seen(amara).lower()
    amara.click("Join")
    assert amara.modal is not None
    amara.fill(
        {
            "I am joining as": "Mentor",
            "Organisation": "Acme",
            "Department or function": "Finance",
            "Privacy notice": True,
        }
    )
    assert amara.submit().ok
    with db.session() as session:
        assert session.scalar(select(Enrolment.user_id)) == amara.user_id


def test_a_busy_slack_never_makes_enrolment_miss_its_deadline(
    slack: LocalSlack, db: Database, cast: dict[str, Person]
) -> None:
    """At a launch, many enrol at once and Slack answers users.info with a 429 (Retry-After up to a
    minute). The form still opens before its trigger expires (without the title prefilled), and a
    send that cannot look the person up answers at once, "not saved yet", with every answer kept;
    sent again after the minute, it saves one enrolment. (The simulated person fails the test if
    any answer takes longer than Slack's 3 seconds.)"""
    with freeze_time(MONDAY_MORNING):
        create_programme(cast["admin"], [cast["lead"]])
        diana = cast["diana"]
        while slack.emulator.rate_limiter.check("users.info") is None:  # others used the minute's calls
            pass
        diana.command("/mentoring", "join")
        assert diana.modal is not None, "the form opened although Slack was busy"
        assert "CFO" not in json.dumps(diana.modal)  # her title is hers to type this time
        diana.fill(
            {
                "I am joining as": "Mentee",
                "Organisation": "Acme",
                "Department or function": "Strategy",
                "Privacy notice": True,
                "Mentees: the state of inclusion in my part of the business today": "Early days.",
                "Mentees: the gap in understanding I hope to close": "How policies land.",
            }
        )
        refused = diana.submit()
        assert refused.errors and error_text("enrolment.slack_busy") in refused.errors.values()
        assert diana.modal is not None and "Early days." in json.dumps(diana.modal)
        with db.session() as session:
            assert session.scalars(select(Enrolment)).all() == []
        slack.pass_time(61)  # the minute passes
        assert diana.submit().ok
        with db.session() as session:
            [enrolment] = session.scalars(select(Enrolment)).all()
            assert enrolment.user_id == diana.user_id and enrolment.real_name == "Diana Reyes"

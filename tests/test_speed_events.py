"""Speed mentoring events: the form's checks, who may act as a lead, the lead's adjustments, CSV
loading, feedback totals and the stored plan. (The whole event in time is in the e2e test.)"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import pytest
from freezegun import freeze_time
from sqlalchemy import Text, cast, select

from bot.clock import as_utc
from bot.db import Database
from bot.emulator import view_text
from bot.errors import FieldErrors, NotAllowed, error_text
from bot.local_slack import LocalSlack
from bot.models import OutboxMessage, SpeedEvent, SpeedEventParticipant
from bot.speed_events import feedback, plans, records, service
from bot.speed_events.rotation import Attendee, RotationPlan, adjust_swap, plan_rotation
from tests.factory import (
    SPEED_START,
    SpeedWorld,
    create_event,
    create_programme,
    replay_submission,
    replay_view_action,
    say_yes,
    texts_seen,
)


@pytest.fixture
def clock() -> Iterator[Any]:
    with freeze_time(SPEED_START) as frozen:
        yield frozen


# --------------------------------------------------------------------------------------------
# The form


def test_the_event_form_checks_each_field(slack: LocalSlack, db: Database, clock: Any) -> None:
    admin = slack.person("olu", is_admin=True, tz="America/New_York")
    mentor = slack.person("amara")
    admin.command("/mentoring", "event new")
    assert admin.modal is not None
    assert "America/New_York" in str(admin.modal), "the time zone starts as the creator's own"
    admin.fill(
        {
            "Event name": "Pilot event",
            "Date": "2027-02-27",  # before 1 March 2027
            "Start time": "14:00",
            "Time zone": "Mars/Olympus_Mons",
            "Round length (minutes)": 5,
            "Number of rounds": 9,
            "Where": "Room 4",
            "Mentors (junior colleagues)": [mentor.user_id],
            "Mentees (senior leaders)": [mentor.user_id],
        }
    )
    result = admin.submit()
    assert result.sent and result.errors
    errors = admin.errors_by_label()
    assert errors["Time zone"] == error_text("speed_events.unknown_time_zone")
    assert errors["Number of rounds"] == error_text("speed_events.rounds_out_of_range", min=1, max=6)
    assert errors["Round length (minutes)"] == error_text("speed_events.round_minutes_out_of_range", min=10, max=90)
    both = error_text("speed_events.both_roles", people=f"<@{mentor.user_id}>")
    assert errors["Mentees (senior leaders)"] == both
    admin.fill({"Time zone": "Europe/London", "Number of rounds": 2, "Round length (minutes)": 30})
    admin.submit()
    errors = admin.errors_by_label()
    assert errors["Date"] == error_text("speed_events.day_past")
    assert "Time zone" not in errors and "Number of rounds" not in errors
    admin.fill({"Date": "2027-03-01", "Start time": "08:30", "Mentees (senior leaders)": []})
    admin.submit()
    assert admin.errors_by_label()["Start time"] == error_text("speed_events.start_time_past")
    with db.session() as session:
        assert session.scalars(select(SpeedEvent)).all() == []
    admin.fill({"Start time": "10:00"})
    result = admin.submit()
    assert not result.errors
    with db.session() as session:
        event = session.scalar(select(SpeedEvent))
        assert event is not None
        assert event.round_minutes == 30 and event.rounds == 2 and event.briefing_minutes == 15
        assert as_utc(event.starts_at) == datetime(2027, 3, 1, 10, 0, tzinfo=UTC)
        assert [lead.user_id for lead in event.leads] == [admin.user_id], "the creator leads it by default"


def test_only_admins_and_leads_can_set_up_an_event(slack: LocalSlack, db: Database) -> None:
    amara = slack.person("amara")
    answer = amara.command("/mentoring", "event new")
    assert error_text("speed_events.create_only") in answer.text
    assert amara.modal is None
    # A programme lead may.
    admin, lead = slack.person("olu", is_admin=True), slack.person("lena")
    create_programme(admin, [lead], name="Pilot")
    lead.command("/mentoring", "event new")
    assert lead.modal is not None
    assert "I didn't understand that" in amara.command("/mentoring", "event dance").text


# --------------------------------------------------------------------------------------------
# Leads only, including replayed buttons


def test_non_leads_are_refused_every_lead_action(slack: LocalSlack, db: Database, clock: Any) -> None:
    world = SpeedWorld(slack)
    create_event(world)
    slack.deliver()
    for handle in world.people:
        say_yes(world, handle)
    amara = world.people["amara"]
    lead_only = error_text("speed_events.lead_only")
    assert lead_only in amara.command("/mentoring", "event plan Spring Speed Mentoring").text
    assert lead_only in amara.command("/mentoring", "event summary Spring Speed Mentoring").text
    assert error_text("speed_events.name_the_event") in amara.command("/mentoring", "event plan").text
    assert amara.modal is None

    lead = world.lead
    lead.command("/mentoring", "event plan")
    plan_view = lead.modal
    assert plan_view is not None
    before = _event(db).plan
    for action_id in ("speed_plan_rerun", "speed_swap_open", "speed_absent_open"):
        replay_view_action(amara, plan_view, action_id)
    replay_submission(amara, plan_view)  # "Publish"
    # The lead's swap and absence forms, submitted under Amara's name.
    swap_view = {
        **plan_view,
        "callback_id": "speed_swap",
        "blocks": [],
        "state": {
            "values": {
                "first": {"value": {"type": "users_select", "selected_user": world.people["ben"].user_id}},
                "second": {"value": {"type": "users_select", "selected_user": world.people["chloe"].user_id}},
            }
        },
    }
    replay_submission(amara, swap_view)
    absent_view = {
        **plan_view,
        "callback_id": "speed_absent",
        "blocks": [],
        "state": {
            "values": {
                "person": {"value": {"type": "users_select", "selected_user": world.people["ben"].user_id}},
            }
        },
    }
    replay_submission(amara, absent_view)
    assert texts_seen(amara).count(error_text("speed_events.lead_only")) >= 6
    assert amara.modal is None
    event = _event(db)
    assert event.status == "draft" and event.plan == before
    with db.session() as session:
        ben = session.scalar(
            select(SpeedEventParticipant).where(SpeedEventParticipant.user_id == world.people["ben"].user_id)
        )
        assert ben is not None and ben.rsvp == "yes"
    with pytest.raises(NotAllowed) as refused:
        feedback.create_programme_from_interested(db, event.id, by=amara.user_id, admin=False)
    assert refused.value.code == "speed_events.lead_only"


# --------------------------------------------------------------------------------------------
# The lead adjusts the plan


def test_the_lead_swaps_two_people_and_marks_someone_absent(slack: LocalSlack, db: Database, clock: Any) -> None:
    world = SpeedWorld(slack)
    create_event(world)
    slack.deliver()
    for handle in world.people:
        say_yes(world, handle)
    lead = world.lead
    lead.command("/mentoring", "event plan")
    lead.click("Swap two people")
    assert lead.modal is not None and lead.modal["callback_id"] == "speed_swap"
    # A mentor and a mentee cannot swap.
    lead.fill({"First person": world.people["amara"].user_id, "Second person": world.people["diana"].user_id})
    lead.submit()
    assert "only two mentors or two mentees can swap" in lead.errors_by_label()["Second person"]
    assert "Amara Okafor" in lead.errors_by_label()["Second person"], "people are named, not ids"
    # Find two mentors whose swap keeps every rule, and swap them.
    plan = _plan(db)
    mentors = world.ids("mentor")
    valid = next(
        (a, b)
        for i, a in enumerate(mentors)
        for b in mentors[i + 1 :]
        if not isinstance(adjust_swap(plan, a, b), list)
    )
    lead.fill({"First person": valid[0], "Second person": valid[1]})
    result = lead.submit()
    assert not result.errors
    swapped = _plan(db)
    assert swapped.meetings_for(valid[0])[0].mentee_ids == plan.meetings_for(valid[1])[0].mentee_ids
    assert lead.modal is not None and "Swapped" in view_text(lead.modal)

    # Dev can't come after all: marked absent before publishing, he is simply left out of the plan.
    lead.click("Mark someone absent")
    lead.fill({"Who can't come": world.people["dev"].user_id})
    assert not lead.submit().errors
    assert lead.modal is not None and "Dev Patel is marked absent" in view_text(lead.modal)
    assert world.people["dev"].user_id not in {a.person_id for a in _plan(db).attendees}
    lead.click("Mark someone absent")
    lead.fill({"Who can't come": world.people["dev"].user_id})
    lead.submit()
    assert lead.errors_by_label()["Who can't come"] == error_text("speed_events.person_already_absent")
    lead.close_modal()
    assert lead.submit().ok  # publish
    slack.deliver()
    assert not any(s.text.startswith("Your rounds") for s in world.people["dev"].dms())
    # Three mentors for four mentees: the mentee without a partner is placed in a trio or told why.
    final = _plan(db)
    for handle in ("diana", "evan", "farah", "gus"):
        person = world.people[handle]
        [schedule] = [s for s in person.dms() if s.text.startswith("Your rounds at")]
        missing = final.unplaced_for(person.user_id)
        if missing:
            assert missing.reason in schedule.text
    # Publishing twice is refused, with the reason shown in the plan.
    lead.command("/mentoring", "event plan")
    assert lead.modal is not None and lead.modal.get("submit") is None, "a published plan has no Publish button"
    # After publishing, marking someone absent re-plans the rounds ahead and tells who is affected.
    amara = world.people["amara"]
    lead.click("Mark someone absent")
    lead.fill({"Who can't come": amara.user_id})
    assert not lead.submit().errors
    assert lead.modal is not None and "Amara Okafor is marked absent. Rounds 1 onwards are re-planned" in view_text(
        lead.modal
    )
    assert amara.user_id not in {p for m in _plan(db).meetings() for p in m.people}
    with db.session() as session:
        pending = session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.recipient_user_id == amara.user_id, OutboxMessage.status == "pending"
            )
        ).all()
    assert pending == [], "nothing more is sent to someone marked absent"
    slack.deliver()
    assert "Amara Okafor is marked absent from *Spring Speed Mentoring*" in texts_seen(lead)
    changed = [h for h, p in world.people.items() if any(s.text.startswith("Change of plan") for s in p.dms())]
    assert changed and "amara" not in changed


def test_publishing_with_nobody_to_place_is_refused(slack: LocalSlack, db: Database, clock: Any) -> None:
    world = SpeedWorld(slack)
    create_event(world)
    world.lead.command("/mentoring", "event plan")
    assert world.lead.modal is not None and "There is no plan yet" in view_text(world.lead.modal)
    world.lead.submit()
    assert "The plan is not published: " + error_text("speed_events.nobody_to_place") in texts_seen(world.lead)
    assert _event(db).status == "draft"


def test_a_published_plan_is_re_planned_when_someone_says_yes_late(slack: LocalSlack, db: Database, clock: Any) -> None:
    world = SpeedWorld(slack)
    create_event(world)
    slack.deliver()
    for handle in world.people:
        if handle != "dev":
            say_yes(world, handle)
    world.lead.command("/mentoring", "event plan")
    world.lead.submit()
    slack.deliver()
    assert world.people["dev"].user_id not in {a.person_id for a in _plan(db).attendees}
    say_yes(world, "dev")  # a late yes: placed straight away, and the lead is told
    slack.deliver()
    assert world.people["dev"].user_id in {a.person_id for a in _plan(db).attendees}
    assert any(s.text.startswith("Your rounds at") for s in world.people["dev"].dms())
    assert "Dev Patel said yes to *Spring Speed Mentoring* after the plan was published" in texts_seen(world.lead)
    with db.session() as session:
        dev_rows = session.scalars(
            select(OutboxMessage.kind).where(
                OutboxMessage.recipient_user_id == world.people["dev"].user_id, OutboxMessage.status == "pending"
            )
        ).all()
    assert sorted(dev_rows).count(records.ROUND_START_KIND) == 2


# --------------------------------------------------------------------------------------------
# Privacy


def test_a_mentees_answers_are_encrypted_at_rest(slack: LocalSlack, db: Database, clock: Any) -> None:
    world = SpeedWorld(slack)
    create_event(world)
    slack.deliver()
    say_yes(world, "diana")
    with db.session() as session:
        raw = session.execute(select(cast(SpeedEventParticipant.__table__.c.inclusion_statement, Text))).scalars()
        stored = [value for value in raw if value]
        assert stored and all("SECRET" not in value for value in stored)
        payloads = session.scalars(select(cast(OutboxMessage.__table__.c.payload, Text))).all()
        assert all("SECRET" not in payload for payload in payloads)


def test_feedback_totals_are_hidden_below_five_responses() -> None:
    rows = [feedback.FeedbackRow(4, "yes", "maybe")] * 4
    hidden = feedback.aggregate_feedback(rows)
    assert not hidden.shown and hidden.responses == 4 and hidden.usefulness == {}
    shown = feedback.aggregate_feedback([*rows, feedback.FeedbackRow(2, "no", "no")])
    assert shown.shown
    assert shown.usefulness == {1: 0, 2: 1, 3: 0, 4: 4, 5: 0}
    assert shown.recommend == {"yes": 4, "maybe": 0, "no": 1}
    assert feedback.aggregate_feedback(rows[:2], min_group=1).shown is False, "never below three"


def test_feedback_form_checks_its_fields() -> None:
    with pytest.raises(FieldErrors) as caught:
        feedback.validate_feedback(
            feedback.FeedbackInput(usefulness=None, recommend="", start_programme="x", learned=" ")
        )
    assert caught.value.codes == {
        "usefulness": "speed_events.usefulness_required",
        "recommend": "speed_events.answer_required",
        "start_programme": "speed_events.answer_required",
        "learned": "speed_events.learned_required",
    }


# --------------------------------------------------------------------------------------------
# The stored plan


def test_a_plan_survives_the_database_as_ids(db: Database) -> None:
    attendees = [Attendee(f"U{i}", "mentor" if i % 2 else "mentee", f"Org {i % 3}") for i in range(11)]
    plan = plan_rotation(attendees, 3, seed=4)
    raw = plans.plan_to_json(plan)
    with db.session() as session:
        event = SpeedEvent(name="x", starts_at=SPEED_START, created_by="U0", plan=raw)
        session.add(event)
    with db.session() as session:
        stored = session.scalar(select(SpeedEvent))
        assert stored is not None and stored.plan is not None
        again = plans.plan_from_json(stored.plan)
    assert again == plan
    assert again.summary() == plan.summary()


def test_the_timeline_has_a_changeover_between_rounds() -> None:
    times = records.Timeline(datetime(2027, 3, 10, 14, 0, tzinfo=UTC), 15, 30, 3)
    assert times.round_start(1) == datetime(2027, 3, 10, 14, 15, tzinfo=UTC)
    assert times.round_start(2) == datetime(2027, 3, 10, 14, 50, tzinfo=UTC)
    assert times.wrap_up(3) == datetime(2027, 3, 10, 15, 50, tzinfo=UTC)
    assert times.ends_at == datetime(2027, 3, 10, 15, 55, tzinfo=UTC)
    assert times.next_round(datetime(2027, 3, 10, 14, 15, tzinfo=UTC)) == 2
    assert times.next_round(times.ends_at) is None


def test_validation_in_the_events_own_time_zone(db: Database) -> None:
    # 23:30 on 28 February in New York is already 1 March in UTC: the date is still "today" there.
    with freeze_time(datetime(2027, 3, 1, 4, 30, tzinfo=UTC)), db.session() as session:
        data = records.EventInput(
            name="Late", day=date(2027, 2, 28), start_time=time(23, 45), tz="America/New_York", location="Zoom"
        )
        starts = service.validate_event(session, data)
        assert starts == datetime(2027, 3, 1, 4, 45, tzinfo=UTC)


# --------------------------------------------------------------------------------------------
# CSV


def test_import_event_participants_from_a_csv(slack: LocalSlack, db: Database, tmp_path: Path) -> None:
    world = SpeedWorld(slack)
    with freeze_time(SPEED_START):
        create_event(world, **{"Mentors (junior colleagues)": [], "Mentees (senior leaders)": []})
    zara = slack.person("zara", real_name="Zara Ali", email="zara@example.com", tz="Asia/Dubai")
    yusuf = slack.person("yusuf", real_name="Yusuf Diallo")
    csv_text = (
        "slack,role,organisation\n"
        "zara@example.com,mentor,Acme\n"
        f"{yusuf.user_id},mentee,Globex\n"
        "nobody@example.com,mentor,Acme\n"
        f"{world.people['ben'].user_id},boss,\n"
        f"{world.lead.user_id},mentor,Initech\n"
        "zara@example.com,mentee,Acme\n"
    )
    path = tmp_path / "participants.csv"
    path.write_text(csv_text)
    result = _run_cli(slack, db, "import-event", str(path), "--event", "spring speed mentoring")
    assert result.returncode == 1, result.stderr
    assert "Spring Speed Mentoring: 2 added, 0 updated, 4 problem(s)." in result.stdout
    assert "line 4: Slack does not know nobody@example.com" in result.stdout
    assert "line 5: role must be mentor or mentee; organisation is empty" in result.stdout
    assert "line 6: this person leads the event, so cannot also take part" in result.stdout
    assert "line 7: this person is already on an earlier line" in result.stdout
    with db.session() as session:
        rows = {p.user_id: p for p in session.scalars(select(SpeedEventParticipant))}
    assert set(rows) == {zara.user_id, yusuf.user_id}
    assert rows[zara.user_id].organisation == "Acme" and rows[zara.user_id].tz == "Asia/Dubai"
    assert rows[zara.user_id].source == "csv" and rows[zara.user_id].rsvp == "invited"
    with freeze_time(SPEED_START):
        slack.deliver()
    assert "You're invited to *Spring Speed Mentoring*" in texts_seen(zara)
    # The organisation from the CSV is already filled in on the pre-event form.
    zara.click("Yes, I'll be there")
    assert zara.modal is not None and "Acme" in str(zara.modal)
    # A second import of the same file adds nobody twice.
    again = _run_cli(slack, db, "import-event", str(path), "--event", "Spring Speed Mentoring")
    assert "0 added, 2 updated" in again.stdout
    missing = _run_cli(slack, db, "import-event", str(path), "--event", "Nope")
    assert missing.returncode == 2 and error_text("speed_events.no_such_event", name="Nope") in missing.stderr



def _run_cli(slack: LocalSlack, db: Database, *args: str) -> subprocess.CompletedProcess[str]:
    from tests.conftest import TEST_KEY

    assert slack.runtime is not None
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": slack.emulator.bot_token,
        "SLACK_API_URL": slack.emulator.api_url,
        "DATABASE_URL": db.url,
        "ENCRYPTION_KEYS": ",".join(slack.runtime.settings.keys) or TEST_KEY,
    }
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, env=env, timeout=120)


# --------------------------------------------------------------------------------------------


def _event(db: Database) -> SpeedEvent:
    with db.session() as session:
        event = session.scalar(select(SpeedEvent))
        assert event is not None
        return event


def _plan(db: Database) -> RotationPlan:
    plan = plans.current_plan(_event(db))
    assert plan is not None
    return plan

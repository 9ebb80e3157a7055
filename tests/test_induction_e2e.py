"""Issue 15 item 4, induction before stepping in, as people live it through the emulator.

Each person takes the short induction for their role one step at a time in their DM (the message
updates in place), each step is recorded once however often it is clicked, the lead sees who has
completed it, a programme can require it before matching, and a speed event's participants confirm
its briefing the same way while the organiser sees who has. Nobody else sees any of it.
"""

from __future__ import annotations

import json
from datetime import timedelta

from freezegun import freeze_time
from sqlalchemy import func, select

from bot.closeout import data_rights
from bot.db import Database
from bot.emulator import view_text
from bot.induction import service
from bot.induction.blocks import INDUCTION_DONE, INDUCTION_OVERVIEW, INDUCTION_START
from bot.local_slack import LocalSlack, Person
from bot.matching import service as matching_engine
from bot.matching.proposals import INDUCTION_REASON
from bot.models import InductionCompletion, InductionStepDone, OutboxMessage, Programme, SpeedEvent
from tests.canary import CANARY, assert_nothing_leaked
from tests.factory import (
    CONTENT,
    MONDAY,
    SPEED_START,
    SpeedWorld,
    create_event,
    create_programme,
    enrol,
    make_cast,
    replay_button,
    say_yes,
    texts_seen,
)

# numpy and scipy load with the engine: loaded here, not inside `/mentoring match`, whose trigger id
# expires three seconds of real time after the command on a busy machine.
assert matching_engine.propose_matches is not None
MORNING = MONDAY.replace(hour=10)  # Monday 1 March 2027, 10:00 in London
MENTOR_STEPS = CONTENT.induction.for_role("mentor").steps
MENTOR_TITLE = CONTENT.induction.for_role("mentor").title
DONE = CONTENT.induction.done_label
FINISH = CONTENT.induction.finish_label
START = CONTENT.induction.start_label


def induction_messages(person: Person, title: str) -> list:  # type: ignore[type-arg]
    return [seen for seen in person.dms() if title in json.dumps(seen.blocks or [])]


def step_rows(db: Database, user_id: str | None = None) -> int:
    with db.session() as session:
        query = select(func.count(InductionStepDone.id))
        if user_id:
            query = query.where(InductionStepDone.user_id == user_id)
        return int(session.scalar(query) or 0)


def completions(db: Database) -> list[tuple[str, str]]:
    with db.session() as session:
        return [(c.user_id, c.role) for c in session.scalars(select(InductionCompletion))]


def programme_id(db: Database) -> int:
    with db.session() as session:
        return int(session.scalars(select(Programme.id)).one())


def take_induction(person: Person, title: str, *, stop_after: int | None = None) -> None:
    """Click "Done" on each step in the one induction message, as it updates in place."""
    [message] = induction_messages(person, title)
    clicks = 0
    while True:
        [message] = [seen for seen in person.dms() if seen.ts == message.ts]
        label = FINISH if message.has_button(FINISH) else DONE if message.has_button(DONE) else None
        if label is None or (stop_after is not None and clicks >= stop_after):
            return
        assert person.click(label, in_message=message).ok
        clicks += 1


def test_a_mentor_takes_the_induction_step_by_step_and_a_double_click_or_replay_records_one_step(
    slack: LocalSlack, db: Database
) -> None:
    cast = make_cast(slack)
    with freeze_time(MORNING):
        create_programme(cast.admin, [cast.lead], name=f"Leaders {CANARY}")
        enrol(cast.mentor, "mentor", "Acme", "Finance")
        # The enrolment confirmation offers the induction; one click brings step 1 into the DM.
        confirmation = next(seen for seen in cast.mentor.dms() if seen.has_button(START))
        assert cast.mentor.click(START, in_message=confirmation).ok
        [message] = induction_messages(cast.mentor, MENTOR_TITLE)
        assert f"Step 1 of {len(MENTOR_STEPS)}" in json.dumps(message.blocks)
        assert MENTOR_STEPS[0].heading in json.dumps(message.blocks)

        # A double click on step 1 (the same, stale message clicked twice) records one step.
        assert cast.mentor.click(DONE, in_message=message).ok
        assert cast.mentor.click(DONE, in_message=message).ok
        assert step_rows(db) == 1
        [message] = [seen for seen in cast.mentor.dms() if seen.ts == message.ts]
        assert f"Step 2 of {len(MENTOR_STEPS)}" in json.dumps(message.blocks), "updated in place"
        # A replayed click (Slack retrying, or someone resending it) records nothing more.
        value = f"{service.Scope.programme(programme_id(db)).key}|{MENTOR_STEPS[0].id}"
        replay_button(cast.mentor, INDUCTION_DONE, value)
        replay_button(cast.mentor, INDUCTION_DONE, value)
        assert step_rows(db) == 1

        take_induction(cast.mentor, MENTOR_TITLE)
        assert step_rows(db, cast.mentor.user_id) == len(MENTOR_STEPS)
        assert completions(db) == [(cast.mentor.user_id, "mentor")]
        [message] = induction_messages(cast.mentor, MENTOR_TITLE)
        assert "You have completed your induction" in json.dumps(message.blocks), "one message, updated in place"
        # Clicking the last step again after finishing changes nothing.
        replay_button(cast.mentor, INDUCTION_DONE, value.replace(MENTOR_STEPS[0].id, MENTOR_STEPS[-1].id))
        assert step_rows(db) == len(MENTOR_STEPS) and len(completions(db)) == 1

        cast.mentor.open_home()
        assert "Induction*: completed" in view_text(cast.mentor.home or {})

        # The lead sees who has completed it: a count in App Home, and per person in a view.
        enrol(cast.mentee, "mentee", "Globex", "Strategy")
        cast.lead.open_home()
        assert "Induction completed*\n1 of 2" in view_text(cast.lead.home or {})
        assert cast.lead.click("Who has done the induction").ok
        shown = view_text(cast.lead.modal or {})
        assert "Amara Okafor* (mentor): completed" in shown
        assert f"Diana Reyes* (mentee): 0 of {len(CONTENT.induction.for_role('mentee').steps)} steps" in shown

    # Nothing of it reaches anyone else: not the mentee, not the outsider, not a shared conversation.
    for other in (cast.mentee, cast.outsider, cast.admin):
        assert MENTOR_TITLE not in texts_seen(other)
        assert MENTOR_STEPS[1].heading not in texts_seen(other)
    assert not [c for c in slack.emulator.calls_to("chat.postMessage")
                if MENTOR_TITLE in json.dumps(c.args) and str(c.args.get("channel", "")).startswith(("C", "G"))]
    assert_nothing_leaked(slack.emulator)


def test_nobody_else_can_record_steps_or_see_who_has_done_them(slack: LocalSlack, db: Database) -> None:
    cast = make_cast(slack)
    with freeze_time(MORNING):
        create_programme(cast.admin, [cast.lead])
        enrol(cast.mentor, "mentor", "Acme", "Finance")
        scope = service.Scope.programme(programme_id(db)).key
        # Someone not in the programme forges a step, a start and the lead's view: all refused.
        replay_button(cast.outsider, INDUCTION_DONE, f"{scope}|{MENTOR_STEPS[0].id}")
        replay_button(cast.outsider, INDUCTION_START, scope)
        replay_button(cast.outsider, INDUCTION_OVERVIEW, str(programme_id(db)))
        # The mentor forges a step that is not in the induction, and garbage.
        replay_button(cast.mentor, INDUCTION_DONE, f"{scope}|not-a-step")
        replay_button(cast.mentor, INDUCTION_DONE, "programme:999999|what-it-is")
        replay_button(cast.mentor, INDUCTION_DONE, "<!channel>|" + "x" * 3000)
        replay_button(cast.mentor, INDUCTION_OVERVIEW, str(programme_id(db)))
    assert step_rows(db) == 0 and completions(db) == []
    outsider_saw = texts_seen(cast.outsider)
    assert CONTENT.error_text("induction.not_yours") in outsider_saw
    assert MENTOR_TITLE not in outsider_saw and cast.outsider.modal is None
    assert "Amara" not in outsider_saw
    assert cast.mentor.modal is None, "a participant never sees the lead's view"
    mentor_saw = texts_seen(cast.mentor)
    assert CONTENT.error_text("induction.not_found") in mentor_saw
    assert "Step 1 of" in mentor_saw, "a step that is not in the induction shows where they are instead"


def test_a_programme_that_requires_the_induction_leaves_people_out_of_matching_and_says_why(
    slack: LocalSlack, db: Database
) -> None:
    cast = make_cast(slack)
    with freeze_time(MORNING):
        create_programme(cast.admin, [cast.lead], **{"Induction": True})
        with db.session() as session:
            assert session.scalars(select(Programme.require_induction)).one() is True
        enrol(cast.mentor, "mentor", "Acme", "Finance")
        enrol(cast.mentee, "mentee", "Globex", "Strategy")
        assert CONTENT.induction.required_note in texts_seen(cast.mentee)
        cast.mentor.command("/mentoring", "induction")
        take_induction(cast.mentor, MENTOR_TITLE)

        cast.lead.command("/mentoring", "match")
        shown = view_text(cast.lead.modal or {})
        assert "Diana Reyes" in shown and INDUCTION_REASON in shown, "who was left out, and why"
        cast.lead.close_modal()

        # Halfway is not enough; the whole induction is.
        mentee_title = CONTENT.induction.for_role("mentee").title
        cast.mentee.command("/mentoring", "induction")
        take_induction(cast.mentee, mentee_title, stop_after=3)
        cast.lead.command("/mentoring", "match")
        assert INDUCTION_REASON in view_text(cast.lead.modal or {})
        cast.lead.close_modal()
        take_induction(cast.mentee, mentee_title)
        cast.lead.command("/mentoring", "match")
        shown = view_text(cast.lead.modal or {})
        assert INDUCTION_REASON not in shown
        assert "Amara Okafor" in shown and "Diana Reyes" in shown


def test_one_gentle_reminder_two_working_days_later_only_if_not_completed(slack: LocalSlack, db: Database) -> None:
    """Where the programme requires the induction before matching; elsewhere nobody is chased."""
    cast = make_cast(slack)
    friday = MONDAY + timedelta(days=4, hours=15)  # Friday 5 March, 15:00 in London
    with freeze_time(friday) as clock:
        create_programme(cast.admin, [cast.lead], **{"Induction": True})
        create_programme(cast.admin, [cast.lead], name="Optional induction")
        enrol(cast.outsider, "mentor", "Initech", "Sales", programme="Optional induction")
        enrol(cast.mentor, "mentor", "Acme", "Finance", programme="Inclusive Leadership")
        enrol(cast.mentee, "mentee", "Globex", "Strategy", programme="Inclusive Leadership")
        cast.mentee.command("/mentoring", "induction")
        take_induction(cast.mentee, CONTENT.induction.for_role("mentee").title)
        # Two working days after Friday afternoon: Tuesday at the start of the working day, not the weekend.
        clock.move_to(MONDAY + timedelta(days=8, hours=8, minutes=59))
        slack.deliver()
        assert len(induction_messages(cast.mentor, MENTOR_TITLE)) == 0
        clock.move_to(MONDAY + timedelta(days=8, hours=9))
        slack.deliver()
        [reminder] = induction_messages(cast.mentor, MENTOR_TITLE)
        assert reminder.has_button(DONE) and "Step 1 of" in json.dumps(reminder.blocks)
        assert cast.mentor.click(DONE, in_message=reminder).ok
        assert step_rows(db, cast.mentor.user_id) == 1
    with db.session() as session:
        rows = {row.recipient_user_id: row.status for row in session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == service.REMINDER_KIND))}
    assert rows == {cast.mentor.user_id: "sent", cast.mentee.user_id: "skipped"}, "the mentee had completed it"
    assert sum(MENTOR_TITLE in seen.text for seen in cast.mentor.dms()) == 1
    assert MENTOR_TITLE not in texts_seen(cast.outsider), "no reminder where the induction is optional"


def test_speed_event_participants_confirm_the_briefing_and_the_organiser_sees_who(
    slack: LocalSlack, db: Database
) -> None:
    world = SpeedWorld(slack)
    with freeze_time(SPEED_START):
        create_event(world)
        slack.deliver()
        say_yes(world, "amara")
        say_yes(world, "diana")
        amara, diana = world.people["amara"], world.people["diana"]
        label = CONTENT.induction.event_start_label
        confirmation = next(seen for seen in amara.dms() if seen.has_button(label))
        assert amara.click(label, in_message=confirmation).ok
        title = CONTENT.induction.for_role("event-mentor").title
        take_induction(amara, title)
        [message] = induction_messages(amara, title)
        assert "you have read the briefing" in json.dumps(message.blocks)
        with db.session() as session:
            event_id = session.scalars(select(SpeedEvent.id)).one()
        assert completions(db) == [(amara.user_id, "event-mentor")]

        # A double click and a replay of a briefing step record nothing more.
        value = f"event:{event_id}|{CONTENT.induction.for_role('event-mentor').steps[0].id}"
        replay_button(amara, INDUCTION_DONE, value)
        replay_button(amara, INDUCTION_DONE, value)
        assert step_rows(db) == len(CONTENT.induction.for_role("event-mentor").steps)

        # Someone not invited cannot confirm it.
        replay_button(world.admin, INDUCTION_DONE, value)
        assert step_rows(db, world.admin.user_id) == 0

        world.lead.command("/mentoring", "event plan")
        shown = view_text(world.lead.modal or {})
        assert "Briefing read:* 1 of 8" in shown
        not_yet = shown.split("Not yet:")[1].split("\n")[0]
        assert "Diana Reyes" in not_yet and "Amara Okafor" not in not_yet
    # The briefing and its progress went only to Amara.
    assert title not in texts_seen(diana) and title not in texts_seen(world.admin)


def test_a_persons_induction_is_in_their_export_and_goes_with_their_data(slack: LocalSlack, db: Database) -> None:
    cast = make_cast(slack)
    with freeze_time(MORNING):
        create_programme(cast.admin, [cast.lead])
        enrol(cast.mentor, "mentor", "Acme", "Finance")
        enrol(cast.mentee, "mentee", "Globex", "Strategy")
        for person, role in ((cast.mentor, "mentor"), (cast.mentee, "mentee")):
            person.command("/mentoring", "induction")
            take_induction(person, CONTENT.induction.for_role(role).title)
        exported = data_rights.export_my_data(db, cast.mentor.user_id)
        assert {row["step"] for row in exported["induction_steps"]} == {step.id for step in MENTOR_STEPS}
        assert [row["role"] for row in exported["induction_completions"]] == ["mentor"]
        assert all(row["user_id"] == cast.mentor.user_id for row in exported["induction_steps"])
        data_rights.delete_my_data(db, cast.mentor.user_id)
    assert step_rows(db, cast.mentor.user_id) == 0
    assert completions(db) == [(cast.mentee.user_id, "mentee")], "only the mentor's rows went"


def test_when_the_lead_starts_requiring_it_those_already_waiting_get_the_reminder(
    slack: LocalSlack, db: Database
) -> None:
    cast = make_cast(slack)
    with freeze_time(MORNING) as clock:
        create_programme(cast.admin, [cast.lead])
        enrol(cast.mentor, "mentor", "Acme", "Finance")
        clock.move_to(MORNING + timedelta(days=7))
        slack.deliver()
        assert not induction_messages(cast.mentor, MENTOR_TITLE), "optional: nobody is chased"
        cast.lead.command("/mentoring", "programme edit Inclusive Leadership")
        assert cast.lead.modal is not None
        cast.lead.fill({"Induction": True})
        assert cast.lead.submit().ok
        cast.lead.command("/mentoring", "programme edit Inclusive Leadership")  # saved again: still one
        cast.lead.fill({"Induction": True})
        assert cast.lead.submit().ok
        clock.move_to(MORNING + timedelta(days=9, hours=-1))  # Wednesday 10 March, 09:00 in London
        slack.deliver()
        [reminder] = induction_messages(cast.mentor, MENTOR_TITLE)
        assert CONTENT.induction.required_note in json.dumps(reminder.blocks)
        assert reminder.has_button(DONE)
    with db.session() as session:
        assert session.scalar(
            select(func.count(OutboxMessage.id)).where(OutboxMessage.kind == service.REMINDER_KIND)
        ) == 1


def test_when_slack_fails_the_step_is_still_recorded_and_the_next_one_arrives_by_dm(
    slack: LocalSlack, db: Database
) -> None:
    cast = make_cast(slack)
    with freeze_time(MORNING):
        create_programme(cast.admin, [cast.lead])
        enrol(cast.mentor, "mentor", "Acme", "Finance")
        cast.mentor.command("/mentoring", "induction")
        [message] = induction_messages(cast.mentor, MENTOR_TITLE)
        slack.emulator.fail_next("chat.update", error="internal_error", count=1)
        assert cast.mentor.click(DONE, in_message=message).ok
        assert step_rows(db, cast.mentor.user_id) == 1
        messages = induction_messages(cast.mentor, MENTOR_TITLE)
        assert len(messages) == 2 and "Step 2 of" in json.dumps(messages[-1].blocks), "the next step, as a new DM"
        # Slack failing both ways: the step is kept, nothing breaks, and the next click carries on.
        slack.emulator.fail_next("chat.update", error="internal_error", count=1)
        slack.emulator.fail_next("chat.postMessage", error="internal_error", count=1)
        assert cast.mentor.click(DONE, in_message=messages[-1]).ok
        assert step_rows(db, cast.mentor.user_id) == 2
        # The message still shows step 2 (Slack never took the update): clicking it again records
        # nothing new and brings step 3 into it; step 3's click then carries on.
        assert cast.mentor.click(DONE, in_message=messages[-1]).ok
        assert step_rows(db, cast.mentor.user_id) == 2
        [latest] = [seen for seen in cast.mentor.dms() if seen.ts == messages[-1].ts]
        assert "Step 3 of" in json.dumps(latest.blocks)
        assert cast.mentor.click(DONE, in_message=latest).ok
        assert step_rows(db, cast.mentor.user_id) == 3
        [latest] = [seen for seen in cast.mentor.dms() if seen.ts == messages[-1].ts]
        assert "Step 4 of" in json.dumps(latest.blocks)
        assert len(induction_messages(cast.mentor, MENTOR_TITLE)) == 2

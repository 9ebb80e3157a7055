"""Issue 8 as people live it: a reverse speed mentoring event, from the lead's form to the summary.

Mentors are the junior colleagues, mentees the senior leaders. Time is frozen and moved to each
instant of the event; every person must get each timed message at its instant, exactly once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from bot.db import Database
from bot.emulator import view_text
from bot.errors import NotAllowed, error_text
from bot.local_slack import LocalSlack, Person
from bot.models import OutboxMessage, Programme, SpeedEvent, SpeedEventParticipant
from bot.speed_events import feedback, plans, records
from bot.speed_events.rotation import RotationPlan
from tests.factory import SPEED_NAMES, SPEED_START, SpeedWorld, create_event, say_yes, texts_seen


@pytest.fixture
def clock() -> Iterator[Any]:
    with freeze_time(SPEED_START) as frozen:
        yield frozen






def posts_by_person(world: SpeedWorld) -> dict[str, list[str]]:
    """Every message the app posted into each person's DM, in order."""
    channel_to_handle = {}
    for handle, person in world.people.items():
        channel = world.slack.emulator.im_channel(person.user_id)
        if channel:
            channel_to_handle[channel] = handle
    out: dict[str, list[str]] = {handle: [] for handle in world.people}
    for call in world.slack.emulator.calls_to("chat.postMessage"):
        handle = channel_to_handle.get(str(call.args.get("channel")))
        if handle and call.ok:
            out[handle].append(str(call.args.get("text") or ""))
    return out


def kind_of(text: str) -> str:
    if text.startswith("Reminder: "):
        return "briefing"
    if text.startswith("Round ") and " has started" in text:
        return "start:" + text.split()[1]
    if text.startswith("Round ") and "5 minutes left" in text:
        return "wrap:" + text.split()[1].rstrip(":")
    if text.startswith("Time to swap") or (text.startswith("Round ") and " is over." in text):
        return "swap"
    if text.startswith("Thank you for taking part"):
        return "feedback"
    if text.startswith("Your rounds at"):
        return "schedule"
    if text.startswith("Change of plan"):
        return "change"
    return "other"


def counts(world: SpeedWorld) -> dict[str, Counter[str]]:
    return {handle: Counter(kind_of(text) for text in texts) for handle, texts in posts_by_person(world).items()}


def test_a_whole_speed_event_with_a_drop_out_before_round_two(slack: LocalSlack, db: Database, clock: Any) -> None:
    world = SpeedWorld(slack)
    create_event(world)
    assert "Spring Speed Mentoring* is set up" in texts_seen(world.admin)
    assert "made you a lead of *Spring Speed Mentoring*" in texts_seen(world.lead)
    slack.deliver()  # the invitations
    ben = world.people["ben"]
    invitation = next(s for s in ben.dms() if s.has_button("Yes, I'll be there"))
    assert "as a *mentor*" in invitation.text
    assert "Wednesday 10 March 2027 at 09:00 (America/New_York)" in invitation.text, "in Ben's own time zone"
    assert "The Atrium" in invitation.text

    for handle in world.people:
        say_yes(world, handle)
    gus = world.people["gus"]
    assert "For mentees" in texts_seen(gus) and "Listen first" in texts_seen(gus), "the mentee guide"
    assert "For mentors" in texts_seen(ben), "the mentor guide"
    assert "You said yes to Spring Speed Mentoring" in texts_seen(ben), "the invitation's buttons are replaced"

    # The lead reviews the plan, then publishes it.
    lead = world.lead
    lead.command("/mentoring", "event plan")
    assert lead.modal is not None
    shown = view_text(lead.modal)
    assert "Speed mentoring rotation: two rounds, four mentors, four mentees" in shown
    assert "Amara Okafor (Acme)" in shown
    assert "SECRET" not in shown, "the lead never sees a mentee's private answers"
    result = lead.submit()
    assert result.ok and not result.errors
    assert "is published" in texts_seen(lead)
    slack.deliver()  # everyone's rounds
    plan = _plan(db)
    for handle, person in world.people.items():
        [schedule] = [s for s in person.dms() if s.text.startswith("Your rounds at")]
        first = plans.meeting_in_round(plan, person.user_id, 1)
        assert first is not None, f"{handle} has a partner in round 1"
        partner = world.by_id(next(p for p in first.people if p != person.user_id))
        assert SPEED_NAMES[partner] in schedule.text
    # No own-organisation meeting, nobody met twice.
    met = [(m.mentor_ids[0], m.mentee_ids[0]) for m in plan.meetings()]
    assert len(met) == len(set(met)) == 8
    assert all(world.orgs[world.by_id(a)] != world.orgs[world.by_id(b)] for a, b in met)

    event_start = datetime(2027, 3, 10, 14, 0, tzinfo=UTC)
    instants = [
        (event_start - timedelta(hours=1), "briefing"),
        (event_start + timedelta(minutes=15), "start:1"),
        (event_start + timedelta(minutes=40), "wrap:1"),
        (event_start + timedelta(minutes=45), "swap"),
        (event_start + timedelta(minutes=50), "start:2"),
        (event_start + timedelta(minutes=75), "wrap:2"),
        (event_start + timedelta(minutes=80), "feedback"),
    ]
    everyone = set(world.people)
    dropped_partner = None
    for instant, kind in instants:
        before = counts(world)
        clock.move_to(instant - timedelta(seconds=1))
        slack.deliver()
        assert counts(world) == before, f"nothing is sent before the {kind} instant"
        clock.move_to(instant)
        slack.deliver()
        after = counts(world)
        expected = everyone if kind in ("briefing", "start:1") else everyone - {"gus"}  # Gus leaves in round 1
        for handle in world.people:
            got = after[handle][kind] - before[handle][kind]
            assert got == (1 if handle in expected else 0), f"{handle} got {got} {kind} message(s) at {instant}"
        if kind == "start:1":
            # Gus can no longer stay: he says so before round 2; rounds 2 onwards are re-planned.
            clock.move_to(event_start + timedelta(minutes=30))
            round_two = plans.meeting_in_round(_plan(db), gus.user_id, 2)
            assert round_two is not None
            dropped_partner = world.by_id(next(p for p in round_two.people if p != gus.user_id))
            confirmation = next(s for s in gus.dms() if s.has_button("I can no longer come"))
            gus.click("I can no longer come", in_message=confirmation)
            assert "You won't get any more messages" in texts_seen(gus)
            slack.deliver()
            assert dropped_partner is not None
            notified = {h for h, c in counts(world).items() if c["change"]}
            assert dropped_partner in notified, "Gus's round-2 partner is told about the new plan"
            assert "gus" not in notified
            assert "Gus Moreau can no longer come" in texts_seen(world.lead)
            assert "re-planned round 2 onwards" in texts_seen(world.lead)

    # The new plan is sound: Gus is out of round 2, round 1 is unchanged, the rules hold.
    final = _plan(db)
    assert plans.meeting_in_round(final, gus.user_id, 2) is None
    assert all(gus.user_id not in m.people for m in final.meetings_in_round(2))
    assert [m for m in final.meetings_in_round(1)] == [m for m in plan.meetings_in_round(1)]
    assert dropped_partner is not None
    partner = world.people[dropped_partner]
    round_two_message = next(s for s in partner.dms() if s.text.startswith("Round 2 has started"))
    new_meeting = plans.meeting_in_round(final, partner.user_id, 2)
    if new_meeting is None:
        assert "You sit out this round" in round_two_message.text, "told why, never left out silently"
    else:
        other = world.by_id(next(p for p in new_meeting.people if p != partner.user_id))
        assert world.people[other].user_id and other != "gus"
        assert "Gus Moreau" not in round_two_message.text
    # Gus gets nothing after he left (the confirmation replaced his button in place).
    # (Before: the invitation, the thank-you with his guide, his rounds, the briefing and round 1.)
    assert counts(world)["gus"] == Counter({"other": 2, "schedule": 1, "briefing": 1, "start:1": 1})
    # Round-start messages say who, where and one icebreaker, in the reader's time.
    amara = world.people["amara"]
    start_one = next(s for s in amara.dms() if s.text.startswith("Round 1 has started"))
    assert "You have 30 minutes" in start_one.text and "The Atrium" in start_one.text
    assert "An icebreaker to start with" in start_one.text
    assert "The round ends at 14:45 your time" in start_one.text
    chloe_start = next(s for s in world.people["chloe"].dms() if s.text.startswith("Round 1 has started"))
    assert "The round ends at 20:15 your time" in chloe_start.text, "Kolkata is UTC+05:30"

    # Private feedback; the lead sees totals only for five or more responses.
    givers = ["amara", "ben", "chloe", "diana"]
    for handle in givers:
        give_feedback(world.people[handle], interested=handle in ("ben", "diana"))
    summary = lead.command("/mentoring", "event summary")
    assert "not enough responses to show (fewer than 5)" in summary.text
    assert "Attendance:* 8 invited, 7 said yes, 1 said no" in summary.text
    assert "Rounds held:* 2 of 2" in summary.text
    give_feedback(world.people["evan"], interested=False)
    summary = lead.command("/mentoring", "event summary")
    assert "Feedback* (5 responses)" in summary.text
    assert "Would recommend it: Yes: 5, Maybe: 0, No: 0" in summary.text
    assert "SECRET" not in summary.text and "I learned" not in summary.text
    # Gus left, so he may not give feedback.
    with pytest.raises(NotAllowed) as refused:
        feedback.submit_feedback(db, _event(db).id, gus.user_id, _feedback())
    assert refused.value.code == "speed_events.feedback_participants_only"

    # Two hours after the end the lead gets the summary, with one click to a long programme.
    clock.move_to(event_start + timedelta(minutes=80) + records.SUMMARY_AFTER)
    slack.deliver()
    summary_message = next(s for s in lead.dms() if s.text.startswith("Summary of Spring Speed Mentoring"))
    assert "2 attendees asked to be invited to a longer programme:* Ben Hughes, Diana Reyes" in summary_message.text
    lead.click("Create a programme and invite 2", in_message=summary_message)
    assert "Created *Spring Speed Mentoring programme*" in texts_seen(lead)
    slack.deliver()
    for handle in ("ben", "diana"):
        assert "has invited you to join *Spring Speed Mentoring programme*" in texts_seen(world.people[handle])
    assert "has invited you to join" not in texts_seen(world.people["amara"])
    with db.session() as session:
        programme = session.scalar(select(Programme))
        assert programme is not None and programme.cross_organisation
        assert [lead.user_id for lead in programme.leads] == [world.lead.user_id]
    # A second click creates nothing more.
    lead.click("Create a programme and invite 2", in_message=summary_message)
    assert error_text("speed_events.programme_exists") in texts_seen(lead)
    # Every outbox row about the event was sent, skipped or cancelled: nothing is left hanging.
    with db.session() as session:
        statuses = Counter(session.scalars(select(OutboxMessage.status)))
    assert statuses["failed"] == 0 and statuses["pending"] == 0


def give_feedback(person: Person, *, interested: bool) -> None:
    message = next(s for s in person.dms() if s.has_button("Give feedback"))
    person.click("Give feedback", in_message=message)
    assert person.modal is not None
    person.fill(
        {
            "How useful was the event for you?": "4: Very useful",
            "One thing I learned": "I learned how hybrid meetings exclude people.",
            "Would you recommend this event to a colleague?": "Yes",
            "Would you start a reverse mentoring programme in your organisation?": "Maybe",
            "A longer programme": interested,
        }
    )
    result = person.submit()
    assert result.ok and not result.errors, result.errors
    assert "Thank you for your feedback" in texts_seen(person)


def _feedback() -> feedback.FeedbackInput:
    return feedback.FeedbackInput(usefulness=3, recommend="yes", start_programme="no", learned="Something.")


def _event(db: Database) -> SpeedEvent:
    with db.session() as session:
        event = session.scalar(select(SpeedEvent))
        assert event is not None
        return event


def _plan(db: Database) -> RotationPlan:
    plan = plans.current_plan(_event(db))
    assert plan is not None
    return plan


def _participants(db: Database) -> dict[str, SpeedEventParticipant]:
    with db.session() as session:
        return {p.user_id: p for p in session.scalars(select(SpeedEventParticipant))}

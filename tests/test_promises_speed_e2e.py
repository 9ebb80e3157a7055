"""Issue 15, item 1, for speed mentoring events: their labels keep their promises.

A whole event is played through the real app and the local Slack (invitations, each person's
before-event answers with a marker, the lead's plan, the rounds, everyone's feedback with a marker,
the lead's summary), and every payload the emulator recorded is searched as in
tests/test_promises_e2e.py: a mentee's answers and what anyone learned reach nobody but them (the
app never shows them back), the lead sees a mentee's organisation, and feedback reaches the lead
only as totals, once at least the ``min_group_size`` setting's number of people answered.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time

from bot.db import Database
from bot.local_slack import LocalSlack
from tests.factory import SPEED_START, SpeedWorld, create_event
from tests.promises_helpers import (
    CONTENT_AT_MIN_GROUP,
    MIN_GROUP,
    SHOWN_TO_LEAD,
    SPEED_EVENT_PROMISES,
    deliveries,
    needle_of,
    receivers,
    slack_at_min_group,
)

RUN = uuid.uuid4().hex[:8]
# Not the default (and below the eight people who give feedback): the numbers come from the setting.
CONTENT = CONTENT_AT_MIN_GROUP
PROMISES = {promise.id: promise for promise in CONTENT.promises.promises}
EVENT_START = datetime(2027, 3, 10, 14, 0, tzinfo=UTC)


def marker(name: str) -> str:
    return f"SP{RUN}-{name}"


@dataclass
class Played:
    slack: LocalSlack
    world: SpeedWorld
    summaries: list[str]  # the lead's `/mentoring event summary`, after each feedback


def rsvp(world: SpeedWorld, handle: str) -> None:
    person = world.people[handle]
    invitation = next(s for s in person.dms() if s.has_button("Yes, I'll be there"))
    person.click("Yes, I'll be there", in_message=invitation)
    fields = {"My organisation": world.orgs[handle]}
    if world.roles[handle] == "mentee":
        fields["My organisation"] = marker(f"ORG-{handle}")
        fields["The state of inclusion in my business"] = marker(f"INCLUSION-{handle}")
        fields["The gap I want to understand"] = marker(f"GAP-{handle}")
    person.fill(fields)
    assert person.submit().ok


def give_feedback(played: Played, handle: str) -> None:
    person = played.world.people[handle]
    message = next(s for s in person.dms() if s.has_button("Give feedback"))
    person.click("Give feedback", in_message=message)
    person.fill(
        {
            "How useful was the event for you?": "4: Very useful",
            "One thing I learned": marker(f"LEARNED-{handle}"),
            "Would you recommend this event to a colleague?": "Yes",
            "Would you start a reverse mentoring programme in your organisation?": "Maybe",
        }
    )
    assert person.submit().ok
    played.summaries.append(played.world.lead.command("/mentoring", "event summary").text)


@pytest.fixture
def slack(db: Database) -> Iterator[LocalSlack]:
    yield from slack_at_min_group(db)


@pytest.fixture
def played(slack: LocalSlack) -> Iterator[Played]:
    with freeze_time(SPEED_START) as clock:
        world = SpeedWorld(slack)
        create_event(world)
        slack.deliver()  # the invitations
        for handle in world.people:
            rsvp(world, handle)
        world.lead.command("/mentoring", "event plan")
        assert world.lead.submit().ok
        slack.deliver()
        clock.move_to(EVENT_START + timedelta(minutes=80))  # the rounds are over: feedback is asked for
        slack.deliver()
        run = Played(slack, world, [])
        for handle in world.people:
            give_feedback(run, handle)
        world.lead.command("/mentoring", "help")
        yield run


def mentees(played: Played) -> list[str]:
    return [handle for handle, role in played.world.roles.items() if role == "mentee"]


# For each promise: (author's handle, a marker in the data it is about).
def about(played: Played, promise_id: str) -> list[tuple[str, str]]:
    answers = [(h, marker(f"{part}-{h}")) for h in mentees(played) for part in ("INCLUSION", "GAP")]
    learned = [(h, marker(f"LEARNED-{h}")) for h in played.world.people]
    return {
        "speed-answer": answers,
        "speed-answers": answers,
        "speed-learned": learned,
        "speed-feedback": learned,
        "speed-feedback-totals": learned,
        "speed-lead-totals": learned,
    }[promise_id]


def test_every_speed_promise_is_checked_here() -> None:
    assert {p for p in PROMISES if p.startswith("speed-")} == set(SPEED_EVENT_PROMISES)


def test_what_people_give_before_and_after_an_event_reaches_nobody_else(played: Played) -> None:
    broken = []
    for promise_id in SPEED_EVENT_PROMISES:
        promise = PROMISES[promise_id]
        assert promise.visibility == ("author",), "every speed promise is the author's alone"
        for handle, needle in about(played, promise_id):
            author = played.world.people[handle].user_id
            got = receivers(played.slack, needle) - {author}  # never shown back, so the check is on others
            if got:
                broken.append(f"{promise_id!r}: {needle} reached {sorted(got)}")
    assert not broken, "labels that break their promise:\n" + "\n".join(broken)


def test_each_speed_promise_is_shown_to_the_people_it_speaks_to(played: Played) -> None:
    for promise_id in SPEED_EVENT_PROMISES:
        words = needle_of(CONTENT.promise(promise_id))
        shown_to = receivers(played.slack, words)
        if promise_id in SHOWN_TO_LEAD:
            assert played.world.lead.user_id in shown_to, f"{promise_id!r} is never shown to the lead"
            continue
        for handle, _needle in about(played, promise_id):
            assert played.world.people[handle].user_id in shown_to, f"{promise_id!r} is never shown to {handle}"


def test_the_lead_sees_only_the_organisation_of_a_mentee(played: Played) -> None:
    lead = played.world.lead.user_id
    for handle in mentees(played):
        assert lead in receivers(played.slack, marker(f"ORG-{handle}")), "the lead's plan names the organisation"


def test_feedback_reaches_the_lead_only_as_totals_of_a_big_enough_group(played: Played) -> None:
    promise = PROMISES["speed-feedback"]
    assert promise.totals_for == "lead" and promise.min_group_setting == "min_group_size"
    assert f"at least {MIN_GROUP} people" in CONTENT.promise("speed-feedback", min_group=MIN_GROUP)
    hidden = f"fewer than {MIN_GROUP}"
    for count, summary in enumerate(played.summaries, start=1):
        if count < MIN_GROUP:
            assert hidden in summary and "Would recommend it" not in summary, f"{count} responses: no totals"
        else:
            assert f"Feedback* ({count} responses)" in summary and f"Yes: {count}" in summary
    lead_payloads = [blob for audience, blob in deliveries(played.slack) if played.world.lead.user_id in audience]
    assert not any(marker("LEARNED") in blob for blob in lead_payloads), "never what anyone wrote"

"""Issue 15, item 1, for the induction: who sees the steps a person has completed.

Amara (mentor) does two steps of her induction and Diana (mentee) all of hers; then they are matched
and introduced, and Lena (the lead) opens who has done the induction. At a speed event Amara reads
the briefing and the organiser opens the event's plan. Every payload the local Slack recorded is
then searched as in tests/test_promises_e2e.py: each person's progress reaches them and the lead,
never their partner (nor anyone else at the event).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from freezegun import freeze_time

from bot.content import load_content
from bot.db import Database
from bot.local_slack import LocalSlack, Person
from tests.factory import (
    MONDAY,
    SPEED_START,
    Cast,
    SpeedWorld,
    accept_offer,
    create_event,
    create_programme,
    enrol,
    make_cast,
    say_yes,
)
from tests.promises_helpers import INDUCTION_PROMISES, receivers

CONTENT = load_content()
PROMISES = {promise.id: promise for promise in CONTENT.promises.promises}
MORNING = MONDAY.replace(hour=10)
STEPS = {role: CONTENT.induction.for_role(role).steps for role in ("mentor", "mentee", "event-mentor")}


def take_induction(slack: LocalSlack, person: Person, title: str, *, stop_after: int | None = None) -> None:
    """Click "Done" on each step of the one induction message (a second apart), as it updates in place."""
    done, finish = CONTENT.induction.done_label, CONTENT.induction.finish_label
    [message] = [seen for seen in person.dms() if title in json.dumps(seen.blocks or [])]
    clicks = 0
    while stop_after is None or clicks < stop_after:
        [message] = [seen for seen in person.dms() if seen.ts == message.ts]
        label = finish if message.has_button(finish) else done if message.has_button(done) else None
        if label is None:
            return
        slack.pass_time(1)
        assert person.click(label, in_message=message).ok
        clicks += 1


def start(slack: LocalSlack, person: Person, label: str, title: str, stop_after: int | None = None) -> None:
    confirmation = next(seen for seen in person.dms() if seen.has_button(label))
    assert person.click(label, in_message=confirmation).ok
    take_induction(slack, person, title, stop_after=stop_after)


@pytest.fixture
def inducted(slack: LocalSlack, db: Database) -> Iterator[Cast]:
    cast = make_cast(slack)
    with freeze_time(MORNING) as clock:
        create_programme(cast.admin, [cast.lead])
        enrol(cast.mentor, "mentor", "Acme", "Finance")
        enrol(cast.mentee, "mentee", "Globex", "Strategy")
        label = CONTENT.induction.start_label
        start(slack, cast.mentor, label, CONTENT.induction.for_role("mentor").title, stop_after=2)
        start(slack, cast.mentee, label, CONTENT.induction.for_role("mentee").title)
        cast.lead.command("/mentoring", "match")
        assert cast.lead.submit().ok
        accept_offer(cast)
        clock.tick(timedelta(days=1))  # the introduction and the briefings
        slack.deliver()
        for person in (cast.mentor, cast.mentee, cast.lead):
            person.open_home()
        assert cast.lead.click("Who has done the induction").ok
        slack.deliver()
        yield cast


def test_induction_promises_are_all_checked_here() -> None:
    assert {"induction-steps", "briefing-read"} == set(INDUCTION_PROMISES)
    for promise_id in INDUCTION_PROMISES:
        assert PROMISES[promise_id].visibility == ("author", "lead")


def test_the_steps_a_person_completed_reach_them_and_the_lead_never_their_partner(inducted: Cast) -> None:
    amara, diana, lena = inducted.mentor.user_id, inducted.mentee.user_id, inducted.lead.user_id
    # Her own checklist, with the steps she did ticked (and the next one not): to her alone.
    title = CONTENT.induction.for_role("mentor").title
    for step in STEPS["mentor"][:2]:
        assert receivers(inducted.slack, f"{title} & :white_check_mark: {step.heading}") == {amara}
    assert receivers(inducted.slack, f"{title} & :white_circle: {STEPS['mentor'][2].heading}") == {amara}
    # Each person's progress in the lead's view: to the lead alone.
    steps = len(STEPS["mentor"])
    assert receivers(inducted.slack, f"*Amara Okafor* (mentor): 2 of {steps} steps") == {lena}
    assert receivers(inducted.slack, "*Diana Reyes* (mentee): completed") == {lena}
    # The partner's induction never reaches the other, before or after they are matched.
    for author, title in ((amara, "mentor"), (diana, "mentee")):
        assert receivers(inducted.slack, CONTENT.induction.for_role(title).title) == {author}


def test_the_induction_promise_is_shown_to_each_person_and_the_lead(inducted: Cast) -> None:
    words = CONTENT.promise("induction-steps")
    amara, diana, lena = inducted.mentor.user_id, inducted.mentee.user_id, inducted.lead.user_id
    steps = len(STEPS["mentor"])
    title = CONTENT.induction.for_role("mentor").title
    assert receivers(inducted.slack, f"{title} & Step 3 of {steps} & {words}") == {amara}, "beside her next step"
    assert diana in receivers(inducted.slack, f"You have completed your induction & {words}")
    assert receivers(inducted.slack, f"Induction completed & {words}") == {lena}


@pytest.fixture
def briefed(slack: LocalSlack, db: Database) -> Iterator[SpeedWorld]:
    world = SpeedWorld(slack)
    with freeze_time(SPEED_START):
        create_event(world)
        slack.deliver()
        for handle in ("amara", "diana"):
            say_yes(world, handle)
            slack.pass_time(1)
        amara = world.people["amara"]
        start(slack, amara, CONTENT.induction.event_start_label, CONTENT.induction.for_role("event-mentor").title)
        world.lead.command("/mentoring", "event plan")
        slack.deliver()
        yield world


def test_reading_an_events_briefing_reaches_the_reader_and_the_organiser(briefed: SpeedWorld) -> None:
    amara, lena = briefed.people["amara"].user_id, briefed.lead.user_id
    words = CONTENT.promise("briefing-read")
    assert receivers(briefed.slack, f"you have read the briefing & {words}") == {amara}
    # The organiser's plan counts who has read it; nobody else at the event sees who has.
    assert receivers(briefed.slack, "Briefing read:* 1 of") == {lena}
    title = CONTENT.induction.for_role("event-mentor").title
    assert receivers(briefed.slack, f":white_check_mark: {STEPS['event-mentor'][0].heading}") == {amara}
    assert receivers(briefed.slack, title) == {amara}

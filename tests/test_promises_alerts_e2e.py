"""Issue 15, item 1, for alerts about a pair: a lead's check-in keeps its promises.

Two sessions in a row did not happen, so the leads are alerted; the lead checks in privately with
each partner in turn (a marker in each message), then marks the alert handled. And a concern's alert
is refused by a leads' channel someone else has joined. Every payload the local Slack recorded is then
searched as in tests/test_promises_e2e.py: a check-in reaches the person it is addressed to and
the programme's leads, never the partner, and each delivered check-in is for one person alone.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from freezegun import freeze_time

from bot.content import load_content
from bot.db import Database
from bot.local_slack import LocalSlack, Person
from tests.factory import MONDAY, ConcernWorld, build_world, missed_twice
from tests.promises_helpers import ALERT_PROMISES, deliveries, needle_of, receivers

RUN = uuid.uuid4().hex[:8]
CONTENT = load_content()
PROMISES = {promise.id: promise for promise in CONTENT.promises.promises}


def marker(name: str) -> str:
    return f"AL{RUN}-{name}"


@dataclass
class Played:
    slack: LocalSlack
    world: ConcernWorld

    def partner_of(self, person: Person) -> Person:
        return self.world.mentee if person is self.world.mentor else self.world.mentor

    @property
    def leads(self) -> set[str]:
        return {self.world.lead.user_id, self.world.backup.user_id}


@pytest.fixture
def played(slack: LocalSlack, db: Database) -> Iterator[Played]:
    with freeze_time(MONDAY.replace(hour=10)):
        world = build_world(slack, db, channel=False)
        missed_twice(db, world)
        slack.deliver()
        for person, name in ((world.mentee, "Diana Reyes"), (world.mentor, "Amara Okafor")):
            alert = next(s for s in reversed(world.lead.seen()) if s.has_button(f"Check in with {name}"))
            world.lead.click(f"Check in with {name}", in_message=alert)
            world.lead.fill({"Your message": marker(f"CHECKIN-{person.user_id}")})
            assert world.lead.submit().ok
            slack.deliver()
            slack.pass_time(1)
        # Then Lena marks the alert handled: Bola's copy says so.
        alert = next(s for s in reversed(world.lead.seen()) if s.has_button("Mark handled"))
        assert world.lead.click("Mark handled", in_message=alert).ok
        slack.deliver()
        yield Played(slack, world)


def test_alert_promises_are_all_checked_here() -> None:
    assert {p for p in PROMISES if p.startswith(("check-in", "alert-"))} | {"concern-channel"} == set(ALERT_PROMISES)


def test_a_check_in_reaches_its_addressee_and_the_leads_never_the_partner(played: Played) -> None:
    for promise_id in ("check-in-alert", "check-in-form", "check-in-sent"):
        assert PROMISES[promise_id].visibility == ("author", "lead")
    for person in (played.world.mentor, played.world.mentee):
        got = receivers(played.slack, marker(f"CHECKIN-{person.user_id}"))
        assert person.user_id in got, f"{person.user_id} received the check-in"
        assert got <= {person.user_id} | played.leads, f"only {person.user_id} and the leads: {sorted(got)}"
        assert played.partner_of(person).user_id not in got


def test_each_check_in_promise_is_shown(played: Played) -> None:
    lead = played.world.lead.user_id
    assert lead in receivers(played.slack, needle_of(PROMISES["check-in-alert"].text)), "in the leads' alert"
    for person in (played.world.mentor, played.world.mentee):
        partner = f"<@{played.partner_of(person).user_id}>"
        words = CONTENT.promise("check-in-form", partner=partner)
        assert lead in receivers(played.slack, words), f"the form names {partner}, who won't see it"
        delivered = f"{PROMISES['check-in'].text} & {marker(f'CHECKIN-{person.user_id}')}"
        assert receivers(played.slack, delivered) == {person.user_id}


def test_every_delivered_check_in_is_for_one_person_alone(played: Played) -> None:
    words = needle_of(PROMISES["check-in"].text)
    audiences = [audience for audience, blob in deliveries(played.slack) if words in blob]
    assert audiences, "a check-in was delivered"
    assert all(len(audience) == 1 for audience in audiences), audiences


def test_the_lead_is_told_their_check_in_stays_from_the_partner(played: Played) -> None:
    """"Their partner won't see it.", in the note once sent (the check-in's reach is proved above)."""
    sent = CONTENT.promise("check-in-sent")
    for person in (played.world.mentor, played.world.mentee):
        note = f"on its way to <@{person.user_id}> & {sent}"
        assert receivers(played.slack, note) == {played.world.lead.user_id}


def test_marking_an_alert_handled_is_seen_by_every_lead_and_nobody_else(played: Played) -> None:
    """"The other leads can see that you did.": every copy of the alert says who marked it handled,
    and those copies reach the leads alone, never the pair."""
    assert PROMISES["alert-handled"].visibility == ("author", "lead")
    lead = played.world.lead.user_id
    assert lead in receivers(played.slack, f"Marked handled. & {CONTENT.promise('alert-handled')}")
    done = f"<@{lead}> marked this handled"
    assert receivers(played.slack, done) == played.leads, "both leads' copies say so"


@pytest.fixture
def refused(slack: LocalSlack, db: Database) -> Iterator[tuple[Played, Person]]:
    """Someone who is not a lead joins the leads' channel; then Amara raises a concern (a marker)."""
    with freeze_time(MONDAY.replace(hour=10)):
        world = build_world(slack, db)
        outsider = slack.person("nosy", real_name="Nosy Neighbour")
        slack.emulator.set_channel(world.channel or "", members=[world.lead.user_id, outsider.user_id])
        world.mentor.command("/mentoring", "concern")
        world.mentor.fill(
            {
                "What would you like the programme lead to know?": marker("CONCERN"),
                "How soon do you need a response?": "This week",
            }
        )
        assert world.mentor.submit().ok
        slack.deliver()
        alert = next(s for s in reversed(world.lead.dms()) if s.has_button("Open"))
        world.lead.click("Open", in_message=alert)  # the concern's words, in the lead's view
        world.lead.close_modal()
        yield Played(slack, world), outsider


def test_a_concern_is_never_posted_in_a_channel_that_is_not_private_to_the_leads(
    refused: tuple[Played, Person],
) -> None:
    played, outsider = refused
    assert PROMISES["concern-channel"].visibility == ("author", "lead")
    got = receivers(played.slack, marker("CONCERN"))
    assert played.world.lead.user_id in got and got <= {played.world.mentor.user_id} | played.leads, sorted(got)
    alerted = receivers(played.slack, "A concern has been raised in")
    assert alerted and alerted <= played.leads, sorted(alerted)
    assert not {outsider.user_id, played.world.mentee.user_id} & (alerted | got)
    assert played.slack.emulator.messages_in(played.world.channel or "") == []
    words = CONTENT.promise("concern-channel")
    assert receivers(played.slack, f"didn't post the alert & {words}") == {played.world.lead.user_id}

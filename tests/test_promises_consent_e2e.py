"""Issue 15, item 1, for mentor-first consent: a proposed match the mentor declined keeps its promises.

Lena (with Bola as backup lead) approves a match of Amara (mentor) with Diana (mentee); Amara says
no. The leads are alerted, and Lena checks in privately with each of them (a marker in each
message). Every payload the local Slack recorded is then searched as in tests/test_promises_e2e.py:
the declined match (who was proposed, and that it did not go ahead) reaches Amara, who was asked,
and the programme's leads; nothing of it ever reaches Diana, who still gets Lena's check-in.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from freezegun import freeze_time

from bot.content import load_content
from bot.db import Database
from bot.local_slack import LocalSlack, Person
from tests.factory import ACCEPT_LABEL, MONDAY, create_programme, enrol
from tests.promises_helpers import CONSENT_PROMISES, deliveries, receivers

RUN = uuid.uuid4().hex[:8]
CONTENT = load_content()
PROMISES = {promise.id: promise for promise in CONTENT.promises.promises}
WORKING_MORNING = MONDAY.replace(hour=10)
DECLINE_LABEL = "No, not this match"


def marker(name: str) -> str:
    return f"CO{RUN}-{name}"


@dataclass
class Declined:
    slack: LocalSlack
    admin: Person
    lead: Person
    backup: Person
    mentor: Person  # Amara, who said no
    mentee: Person  # Diana, never told

    @property
    def leads(self) -> set[str]:
        return {self.lead.user_id, self.backup.user_id}

    def mentor_named(self) -> tuple[str, ...]:
        """Whatever would tell Diana who was proposed: Amara's id, her name or any part of it."""
        real_name = self.slack.emulator.user(self.mentor.user_id).real_name
        return (self.mentor.user_id, real_name, *real_name.split())


def latest(person: Person, words: str):  # type: ignore[no-untyped-def]
    return next(s for s in reversed(person.seen()) if words in s.text)


@pytest.fixture
def declined(slack: LocalSlack, db: Database) -> Iterator[Declined]:
    story = Declined(
        slack,
        admin=slack.person("olu", real_name="Olu Admin", is_admin=True),
        lead=slack.person("lena", real_name="Lena Lead"),
        backup=slack.person("bola", real_name="Bola Backup"),
        mentor=slack.person("amara", real_name="Amara Okafor", title="Data Analyst"),
        mentee=slack.person("diana", real_name="Diana Reyes", title="Chief Financial Officer"),
    )
    with freeze_time(WORKING_MORNING) as clock:
        create_programme(story.admin, [story.lead], **{"Backup lead": story.backup.user_id})
        enrol(story.mentor, "mentor", "Acme", "Finance")
        enrol(story.mentee, "mentee", "Globex", "Strategy")
        story.lead.command("/mentoring", "match")
        assert story.lead.submit().ok
        slack.deliver()
        offer = next(s for s in reversed(story.mentor.dms()) if s.has_button(DECLINE_LABEL))
        assert offer.has_button(ACCEPT_LABEL)
        assert story.mentor.click(DECLINE_LABEL, in_message=offer).ok
        slack.deliver()
        clock.move_to(WORKING_MORNING + timedelta(days=7))  # long after any deadline or morning
        slack.deliver()
        for person, name in ((story.mentee, "Diana Reyes"), (story.mentor, "Amara Okafor")):
            slack.pass_time(1)
            story.lead.click(f"Check in with {name}", in_message=latest(story.lead, "did not go ahead"))
            story.lead.fill({"Your message": marker(f"CHECKIN-{person.user_id}")})
            assert story.lead.submit().ok
            slack.deliver()
        yield story


def test_consent_promises_are_all_checked_here() -> None:
    assert {p for p in PROMISES if p.startswith("offer-")} == set(CONSENT_PROMISES)
    for promise_id in CONSENT_PROMISES:
        assert PROMISES[promise_id].visibility == ("author", "lead")
        assert PROMISES[promise_id].scope == "data"


def test_nothing_about_the_declined_match_reaches_the_mentee(declined: Declined) -> None:
    """Not who was proposed (Amara's id or name), not that a match did not go ahead, not the words
    the leads read about it; yet Diana did receive things, her check-in among them."""
    diana = declined.mentee.user_id
    hers = [blob for audience, blob in deliveries(declined.slack) if diana in audience]
    assert any(marker(f"CHECKIN-{diana}") in blob for blob in hers), "the scan would prove nothing"
    secrets = (*declined.mentor_named(), "did not go ahead", *(CONTENT.promise(p) for p in CONSENT_PROMISES))
    for blob in hers:
        for secret in secrets:
            assert secret not in blob, f"{secret!r} reached the mentee in {blob[:300]}"


def test_the_declined_match_reaches_only_the_mentor_and_the_leads(declined: Declined) -> None:
    amara = declined.mentor.user_id
    everyone = {amara, declined.mentee.user_id, declined.admin.user_id} | declined.leads
    # Who was proposed: Amara's identity goes to her and the leads alone (the admin set the programme up).
    for secret in declined.mentor_named():
        got = receivers(declined.slack, secret) & everyone
        assert got <= {amara} | declined.leads, f"{secret!r} reached {sorted(got)}"
    # The proposal, to her alone; that it did not go ahead, to both leads and nobody else.
    assert receivers(declined.slack, f"{ACCEPT_LABEL} & Diana Reyes") == {amara}
    assert receivers(declined.slack, "did not go ahead & Amara Okafor & Diana Reyes") == declined.leads
    assert receivers(declined.slack, "did not go ahead") == declined.leads


def test_each_offer_promise_is_shown_to_the_leads_beside_the_match(declined: Declined) -> None:
    not_told = CONTENT.promise("offer-not-told")
    assert receivers(declined.slack, f"did not go ahead & {not_told}") == declined.leads, "in both copies"
    reply = CONTENT.promise("offer-declined-reply")  # to Amara, who said no, beside the match it is about
    assert receivers(declined.slack, f"won't go ahead & {reply}") == {declined.mentor.user_id}
    form = CONTENT.promise("offer-check-in-form")
    assert receivers(declined.slack, f"<@{declined.mentee.user_id}> & {form}") == {declined.lead.user_id}
    sent = CONTENT.promise("offer-check-in-sent")
    for person in (declined.mentee, declined.mentor):
        assert declined.lead.user_id in receivers(declined.slack, f"on its way to <@{person.user_id}> & {sent}")


def test_a_check_in_about_the_declined_match_reaches_its_addressee_and_nobody_else(declined: Declined) -> None:
    """"Nobody else will see it.": each check-in goes to its addressee and the leads (their copy of the
    alert records it), never to the other person of the declined match."""
    for person, other in ((declined.mentee, declined.mentor), (declined.mentor, declined.mentee)):
        got = receivers(declined.slack, marker(f"CHECKIN-{person.user_id}"))
        assert person.user_id in got
        assert got <= {person.user_id} | declined.leads, sorted(got)
        assert other.user_id not in got

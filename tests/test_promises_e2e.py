"""Issue 15, item 1: words that keep their promises.

Every label that tells a person who will see something lives in ``content/promises.yml`` with the
audience it names (``visibility``). This test reads each promise and proves it through the real app
and the local Slack: a unique marker goes into the data the promise is about, a whole pairing is
played (enrol, profile cards, the edit form, matching, the mentor's consent, introduction,
briefings, App Home for everyone, the lead's match review and report), and then every payload the
emulator recorded is searched for the marker. Exactly the promised audience must have received it:
nobody outside it, and (where the promise says the partner sees it) the partner too, so a label
like "private to you and your partner" on something shown to nobody fails as well.

A promise without a check here fails :func:`test_every_promise_in_content_is_checked`, and a
promise the app never shows fails :func:`test_each_promise_is_shown_to_its_author`. A message
promise (``scope: message``, e.g. "Only you can see this message.") is checked on every payload
holding its words: :func:`test_each_message_promise_reaches_exactly_the_audience_it_names`. The
app runs with ``MIN_GROUP_SIZE`` above its default, and a promise's number must be that one.
Promises about a speed event, an alert about a pair, a declined offer, a break or the induction are
proved by their own modules (``PROVED_ELSEWHERE``).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from freezegun import freeze_time
from freezegun.api import FrozenDateTimeFactory
from sqlalchemy import select

from bot.clock import now
from bot.db import Database
from bot.journey import service as journey
from bot.local_slack import LocalSlack, Person
from bot.models import Pair
from bot.sessions import service as sessions
from tests.factory import MONDAY, accept_offers, create_programme, enrol
from tests.promises_helpers import (
    CONTENT_AT_MIN_GROUP,
    MIN_GROUP,
    PROVED_ELSEWHERE,
    SHOWN_TO_LEAD,
    deliveries,
    needle_of,
    receivers,
    slack_at_min_group,
)

RUN = uuid.uuid4().hex[:8]
CONTENT = CONTENT_AT_MIN_GROUP
PROMISES = {promise.id: promise for promise in CONTENT.promises.promises}


def marker(name: str) -> str:
    return f"PR{RUN}-{name}"


@dataclass
class Cast:
    slack: LocalSlack
    admin: Person
    lead: Person
    mentor: Person  # Amara
    mentee: Person  # Diana
    avoided: Person  # Victor: on Amara's "please don't pair me with" list, never enrolled
    avoided_too: Person  # Vera: on Diana's list, never enrolled
    manager: Person  # Mona: Diana's line manager, never enrolled

    @property
    def known(self) -> set[str]:
        """Everyone in the story (a delivery to "unknown" or "everyone" is to nobody in particular)."""
        people = (self.admin, self.lead, self.mentor, self.mentee, self.avoided, self.avoided_too, self.manager)
        return {person.user_id for person in people}

    def audience(self, author: Person, names: tuple[str, ...]) -> set[str]:
        partner = self.mentee if author is self.mentor else self.mentor
        people = {author.user_id}
        if "partner" in names:
            people.add(partner.user_id)
        if "lead" in names:
            people.add(self.lead.user_id)
        return people


def play(slack: LocalSlack, db: Database) -> Cast:
    cast = Cast(
        slack,
        admin=slack.person("olu", real_name="Olu Admin", is_admin=True),
        lead=slack.person("lena", real_name="Lena Lead"),
        mentor=slack.person("amara", real_name="Amara Okafor", title="Analyst"),
        mentee=slack.person("diana", real_name="Diana Reyes", title="CFO"),
        avoided=slack.person("victor", real_name="Victor Avoided"),
        avoided_too=slack.person("vera", real_name="Vera Avoided"),
        manager=slack.person("mona", real_name="Mona Manager"),
    )
    create_programme(cast.admin, [cast.lead], name="Promises Programme")
    enrol(
        cast.mentor,
        "mentor",
        "Acme",
        "Finance",
        **{
            "Topics that are off limits for me": marker("OFFLIMITS-AMARA"),
            "Please don't pair me with": [cast.avoided.user_id],
        },
    )
    enrol(
        cast.mentee,
        "mentee",
        "Globex",
        "Strategy",
        manager=cast.manager,
        **{
            "Topics that are off limits for me": marker("OFFLIMITS-DIANA"),
            "Mentees: the state of inclusion in my part of the business today": marker("INCLUSION"),
            "Mentees: the gap in understanding I hope to close": marker("GAP"),
            "Please don't pair me with": [cast.avoided_too.user_id],
        },
    )
    for person in (cast.mentor, cast.mentee):
        person.command("/mentoring", "profile")  # the card, only to them
        person.click("Edit my profile")  # their own form, filled in
        person.close_modal()
    cast.lead.command("/mentoring", "match Promises Programme")
    assert cast.lead.submit().ok
    assert accept_offers(slack, cast.mentor) == 1
    slack.deliver()
    return cast


@pytest.fixture
def slack(db: Database) -> Iterator[LocalSlack]:
    yield from slack_at_min_group(db)


@pytest.fixture
def cast(slack: LocalSlack, db: Database) -> Iterator[Cast]:
    with freeze_time(MONDAY.replace(hour=10)) as clock:
        played = play(slack, db)
        clock.tick(timedelta(days=1))  # the introduction and the briefings arrive the next working morning
        slack.deliver()
        for person in (played.mentor, played.mentee, played.lead, played.admin):
            person.open_home()
            person.command("/mentoring", "status")
        played.lead.command("/mentoring", "report Promises Programme")
        played.lead.command("/mentoring", "help")
        take_the_lead_induction_to_confidentiality(played)
        for person in (played.mentor, played.mentee):
            person.command("/mentoring", "profile")  # after matching too
            person.command("/mentoring", "help")
        answer_the_survey_and_raise_a_concern(played)
        hold_a_session_and_reflect(played, db, clock)
        for person in (played.mentor, played.mentee):
            person.command("/mentoring", "my-data")  # everything held about them, as a file in their DM
        slack.deliver()
        close_the_programme(played, clock)
        yield played


def answer_the_survey_and_raise_a_concern(cast: Cast) -> None:
    """Diana answers her baseline survey (a comment among the scores) and raises an anonymous concern."""
    assert cast.slack.runtime is not None
    content = cast.slack.runtime.content
    invitation = next(s for s in cast.mentee.dms() if s.has_button("Take the survey"))
    cast.mentee.click("Take the survey", in_message=invitation)
    survey = content.survey("baseline", "mentee")
    answers: dict[str, object] = {q.text: f"4: {q.scale.label(4)}" for q in survey.questions}
    cast.mentee.fill({**answers, survey.comment.label: marker("SURVEY")})
    assert cast.mentee.submit().ok
    cast.lead.command("/mentoring", "report Promises Programme")  # one answer: far below the minimum group
    cast.mentee.command("/mentoring", "concern")
    cast.mentee.fill(
        {
            "What would you like the programme lead to know?": marker("CONCERN"),
            "How soon do you need a response?": "This week",
            "How would you like to raise it?": "anonymous",
        }
    )
    assert cast.mentee.submit().ok
    cast.slack.deliver()
    cast.lead.click("Open")  # the concern, in the lead's alert
    cast.lead.close_modal()


def hold_a_session_and_reflect(cast: Cast, db: Database, clock: FrozenDateTimeFactory) -> None:
    """Session 1 takes place; Diana says so; Amara reflects and shares only her key takeaways."""
    with db.session() as session:
        pair = session.scalars(select(Pair)).one()
    starts = now() + timedelta(days=1)  # far enough ahead for Diana to be asked for an agenda
    sessions.book_session(db, pair.id, cast.mentor.user_id, starts, allow_outside_hours=True)
    cast.slack.deliver()
    # Diana sets the agenda (she was asked to), Amara adds to it.
    assert any(s.has_button("Set the agenda") for s in cast.mentee.dms()), "the agenda request arrived"
    cast.mentee.command("/mentoring", "agenda")
    cast.mentee.fill({"What would you like to talk about?": marker("AGENDA-MENTEE")})
    assert cast.mentee.submit().ok
    cast.slack.deliver()
    cast.mentor.click("Add to the agenda")
    cast.mentor.fill({"Anything you would like to add?": marker("AGENDA-MENTOR")})
    assert cast.mentor.submit().ok
    cast.slack.deliver()
    clock.tick(timedelta(days=1, hours=2) + sessions.DID_YOU_MEET_AFTER)  # after the session: did you meet?
    cast.slack.deliver()
    question = next(s for s in cast.mentee.dms() if s.has_button("Yes, we met"))
    cast.mentee.click("Yes, we met", in_message=question)
    cast.slack.deliver()
    cast.mentor.click("Write my reflection")
    cast.mentor.fill(
        {
            "Key takeaways": marker("REFLECT-SHARED"),
            "What I will do differently": marker("REFLECT-PRIVATE"),
            "What I want to explore next time": marker("REFLECT-EXPLORE"),
            "Share with my partner": True,
        }
    )
    assert cast.mentor.submit().ok
    cast.slack.deliver()
    cast.mentor.command("/mentoring", "reflections")
    cast.mentee.command("/mentoring", "reflections")
    # Their contract: Amara drafts it, both agree (it is pinned in their DM), both open it.
    assert cast.slack.runtime is not None
    content = cast.slack.runtime.content
    answers = {prompt.id: f"{marker('CONTRACT')} {prompt.title}" for prompt in content.contracting.prompts}
    saved = journey.save_contract(db, content, pair.id, cast.mentor.user_id, answers, opened_version=0)
    for person in (cast.mentor, cast.mentee):
        journey.agree_to_contract(db, pair.id, person.user_id, saved.state.version)
    cast.slack.deliver()
    for person in (cast.mentor, cast.mentee):
        person.command("/mentoring", "contract")
        person.close_modal()


def take_the_lead_induction_to_confidentiality(cast: Cast) -> None:
    """Lena's induction, as far as its step on confidentiality (which names the smallest group)."""
    steps = [step.topic for step in CONTENT.induction.for_role("lead").steps]
    cast.lead.command("/mentoring", "induction")
    for _ in range(steps.index("confidentiality")):
        message = next(s for s in reversed(cast.lead.dms()) if s.has_button(CONTENT.induction.done_label))
        cast.slack.pass_time(1)
        assert cast.lead.click(CONTENT.induction.done_label, in_message=message).ok


def close_the_programme(cast: Cast, clock: FrozenDateTimeFactory) -> None:
    """Lena closes the programme; a day later each person is thanked (Amara for mentoring)."""
    cast.lead.command("/mentoring", "close")
    assert cast.lead.submit().ok
    cast.slack.deliver()
    clock.tick(timedelta(days=1, minutes=1))
    cast.slack.deliver()


# For each promise: the data it is about, as (author, needle) pairs: a marker they typed, or the id
# of a person they chose.
def about(cast: Cast, promise_id: str) -> list[tuple[Person, str]]:
    shared = [
        (cast.mentor, marker("OFFLIMITS-AMARA")),
        (cast.mentee, marker("OFFLIMITS-DIANA")),
        (cast.mentee, marker("INCLUSION")),
        (cast.mentee, marker("GAP")),
    ]
    reflection_own = [(cast.mentor, marker("REFLECT-PRIVATE")), (cast.mentor, marker("REFLECT-EXPLORE"))]
    in_file = CONTENT.promise("data-export")
    export = [
        (cast.mentor, f"{in_file} & {marker('REFLECT-PRIVATE')}"),
        (cast.mentee, f"{in_file} & {marker('OFFLIMITS-DIANA')}"),
        (cast.mentee, f"{in_file} & {marker('SURVEY')}"),
    ]
    own = [
        (cast.mentor, cast.avoided.user_id),
        (cast.mentee, cast.avoided_too.user_id),
        (cast.mentee, cast.manager.user_id),
    ]
    return {
        "off-limits": shared[:2],
        "inclusion-statement": [(cast.mentee, marker("INCLUSION"))],
        "understanding-gap": [(cast.mentee, marker("GAP"))],
        "do-not-pair": own[:2],
        "line-manager": [(cast.mentee, cast.manager.user_id)],
        # The card itself: the one payload holding both the promise and the author's own words.
        "profile-card": [
            (cast.mentor, f"{CONTENT.promise('profile-card')} & {marker('OFFLIMITS-AMARA')}"),
            (cast.mentee, f"{CONTENT.promise('profile-card')} & {marker('OFFLIMITS-DIANA')}"),
        ],
        "profile-shared-part": shared,
        "profile-own-part": own,
        "reflection-takeaways": [(cast.mentor, marker("REFLECT-SHARED"))],
        "contract": [(cast.mentor, marker("CONTRACT"))],
        # What one partner shared, in the other's briefing: the author is the one who wrote it.
        "briefing-notes": shared,
        "contract-pinned": [(cast.mentor, marker("CONTRACT"))],
        "reflections-list": reflection_own,
        "private-writing": reflection_own,
        "help-private": reflection_own,
        "concern-text": [(cast.mentee, marker("CONCERN"))],
        "concern-private": [(cast.mentee, marker("CONCERN"))],
        # Her id (as the reporter's mention) in the same payload as her concern's words. Not her name:
        # a concern about the pair names both partners, which the form's note on anonymity explains.
        "concern-anonymous": [(cast.mentee, f"{marker('CONCERN')} & {cast.mentee.user_id}")],
        "survey-answers": [(cast.mentee, marker("SURVEY"))],
        "lead-survey-totals": [(cast.mentee, marker("SURVEY"))],
        "agenda-request": [(cast.mentee, marker("AGENDA-MENTEE"))],
        "agenda-mentee-hint": [(cast.mentee, marker("AGENDA-MENTEE"))],
        "agenda-mentor-hint": [(cast.mentor, marker("AGENDA-MENTOR"))],
        "reflection-own": reflection_own,
        "reflection-ratings": reflection_own,
        "reflection-saved": reflection_own,
        "thanks-private": reflection_own,
        "takeaways-shared": [(cast.mentor, marker("REFLECT-SHARED"))],
        "takeaways-status": [(cast.mentor, marker("REFLECT-SHARED"))],
        # The file itself: the one payload with its promise and the person's own words.
        "data-export": export,
        "data-export-coming": export,
    }[promise_id]


def also_promised(cast: Cast, promise_id: str) -> list[tuple[Person, str, set[str]]]:
    """What a promise says besides its main audience, e.g. "Everything else stays private to you"."""
    only_hers = [
        (cast.mentor, marker("REFLECT-PRIVATE"), {cast.mentor.user_id}),
        (cast.mentor, marker("REFLECT-EXPLORE"), {cast.mentor.user_id}),
    ]
    return {"reflection-takeaways": only_hers, "takeaways-shared": only_hers, "takeaways-status": only_hers}.get(
        promise_id, []
    )


CHECKED = (
    "briefing-notes",
    "contract-pinned",
    "reflections-list",
    "private-writing",
    "help-private",
    "concern-text",
    "concern-private",
    "concern-anonymous",
    "survey-answers",
    "lead-survey-totals",
    "agenda-request",
    "agenda-mentee-hint",
    "agenda-mentor-hint",
    "reflection-own",
    "reflection-ratings",
    "reflection-saved",
    "thanks-private",
    "takeaways-shared",
    "takeaways-status",
    "data-export",
    "data-export-coming",
    "off-limits",
    "inclusion-statement",
    "understanding-gap",
    "do-not-pair",
    "line-manager",
    "profile-card",
    "profile-shared-part",
    "profile-own-part",
    "reflection-takeaways",
    "contract",
)


# Promises shown apart from the data: beside an empty form's field before any answer exists (a new
# reflection, a concern, a survey, an agenda), in the request for it, once it is saved, or in a
# footer that speaks of all of it (App Home, help).
SHOWN_APART = {
    "lead-survey-totals",
    "data-export-coming",
    "agenda-request",
    "agenda-mentee-hint",
    "agenda-mentor-hint",
    "reflection-own",
    "reflection-ratings",
    "reflection-saved",
    "thanks-private",  # in the thanks as the programme closes
    "takeaways-shared",
    "reflection-takeaways",
    "concern-text",
    "concern-private",  # in the help
    "concern-anonymous",  # in the receipt
    "survey-answers",
    "private-writing",
    "help-private",
}
# What the app never shows back to its author (a concern's details, a survey comment): nobody but the
# rest of the promised audience may receive it.
NEVER_SHOWN_BACK = {"concern-text", "concern-private", "concern-anonymous", "survey-answers", "lead-survey-totals"}
# Promises read by the partner beside what the author wrote (the briefing).
SHOWN_TO_PARTNER = {"briefing-notes"}
MESSAGE_PROMISES = tuple(
    p for p, promise in PROMISES.items() if promise.scope == "message" and p not in PROVED_ELSEWHERE
)


def test_every_promise_in_content_is_checked() -> None:
    data = {promise_id for promise_id, promise in PROMISES.items() if promise.scope == "data"}
    assert data - set(PROVED_ELSEWHERE) == set(CHECKED), "a data promise in content/promises.yml needs a check"


def test_each_message_promise_reaches_exactly_the_audience_it_names(cast: Cast) -> None:
    """Every payload holding a message promise's words went to one person ([author]), or to the
    pair and nobody else ([author, partner]); each one is shown at least once in the story."""
    pair = {cast.mentor.user_id, cast.mentee.user_id}
    broken = []
    for promise_id in MESSAGE_PROMISES:
        promise = PROMISES[promise_id]
        parts = needle_of(promise.text).split(" & ")
        audiences = [audience for audience, blob in deliveries(cast.slack) if all(p in blob for p in parts)]
        if not audiences:
            broken.append(f"{promise_id!r} is never shown in the story")
        for audience in audiences:
            if promise.visibility == ("author",):
                ok = len(audience) == 1 and audience <= cast.known
            else:
                ok = audience == pair
            if not ok:
                broken.append(f"{promise_id!r} promises {list(promise.visibility)}: reached {sorted(audience)}")
    assert not broken, "messages that break their promise:\n" + "\n".join(broken)


def test_survey_answers_reach_the_lead_only_as_totals_of_a_big_enough_group(cast: Cast) -> None:
    """The survey promise names its number from the setting, and one answer (below that group) is
    hidden in the lead's report: no figure of it, only the word that it is hidden."""
    promise = PROMISES["survey-answers"]
    assert promise.totals_for == "lead" and promise.min_group_setting == "min_group_size"
    min_group = MIN_GROUP
    assert cast.slack.runtime is not None and cast.slack.runtime.settings.min_group_size == min_group
    words = CONTENT.promise("survey-answers")
    assert f"at least {min_group} people" in words
    shown = [blob for audience, blob in deliveries(cast.slack) if cast.mentee.user_id in audience and words in blob]
    assert any("Take the survey" in blob for blob in shown), "in the invitation and App Home, with the setting"
    assert any("impact_survey" in blob for blob in shown), "in the survey form, with the setting"
    reports = [blob for audience, blob in deliveries(cast.slack) if cast.lead.user_id in audience and "Impact" in blob]
    assert reports, "the lead's report was shown"
    assert all(f"group under {min_group}" in blob or "hidden" in blob for blob in reports)


def test_every_number_a_promise_shows_is_the_setting_it_names(cast: Cast) -> None:
    """With MIN_GROUP_SIZE set to a number that is not its default, no label shows another one."""
    seen = set()
    for promise_id, promise in PROMISES.items():
        if promise.min_group_setting is None or "{min_group}" not in promise.text:
            continue
        before = promise.text.partition("{min_group}")[0].strip()
        for _audience, blob in deliveries(cast.slack):
            start = blob.find(before)
            while start != -1:
                number = re.match(r"\d+", blob[start + len(before) :].lstrip())
                shown = number.group() if number else blob[start + len(before) :][:12]
                assert shown == str(MIN_GROUP), f"{promise_id!r} shows {shown!r}, not the setting's {MIN_GROUP}"
                seen.add(promise_id)
                start = blob.find(before, start + 1)
    assert {"survey-answers", "reflection-ratings", "lead-survey-totals"} <= seen, "each is shown in the story"
    # The privacy notice everyone confirms at enrolment says the same number.
    notice = f"totals for groups of at least {MIN_GROUP} people, so nobody can be singled out"
    assert cast.mentor.user_id in receivers(cast.slack, notice)


def test_each_promise_reaches_exactly_the_audience_it_names(cast: Cast) -> None:
    broken = []
    for promise_id in CHECKED:
        promise = PROMISES[promise_id]
        for author, needle in about(cast, promise_id):
            got = receivers(cast.slack, needle)
            expected = cast.audience(author, promise.visibility)
            if promise_id in NEVER_SHOWN_BACK:  # the author wrote it: the check is on everyone else
                got, expected = got - {author.user_id}, expected - {author.user_id}
            if got != expected:
                broken.append(
                    f"{promise_id!r} promises {list(promise.visibility)}: {needle} reached {sorted(got)}, "
                    f"expected {sorted(expected)}"
                )
        for _author, needle, expected in also_promised(cast, promise_id):
            got = receivers(cast.slack, needle)
            if got != expected:
                broken.append(f"{promise_id!r}: {needle} reached {sorted(got)}, expected {sorted(expected)}")
    assert not broken, "labels that break their promise:\n" + "\n".join(broken)


def test_each_promise_is_shown_to_its_author(cast: Cast) -> None:
    for promise_id in CHECKED:
        promise = PROMISES[promise_id]
        for author, needle in about(cast, promise_id):
            # ... beside the data it is about, in the same form or message.
            words = needle_of(promise.text)
            beside = needle if words in needle else f"{words} & {needle}"
            if promise_id in SHOWN_APART:
                beside = words
            reader = author.user_id
            if promise_id in SHOWN_TO_PARTNER:
                reader = (cast.mentee if author is cast.mentor else cast.mentor).user_id
            if promise_id in SHOWN_TO_LEAD:
                reader = cast.lead.user_id
            assert reader in receivers(cast.slack, beside), f"{promise_id!r} is never shown with {needle}"


def test_the_support_resources_say_the_partner_is_never_told(cast: Cast) -> None:
    """concern-private, in the support resources (App Home, the concern's receipt) as in the help."""
    resource = next(r for r in CONTENT.support if r.promise == "concern-private")
    words = CONTENT.resource_description(resource)
    assert words.endswith(CONTENT.promise("concern-private"))
    assert cast.mentee.user_id in receivers(cast.slack, words), "in her App Home and her concern's receipt"


def test_the_mentor_is_thanked_with_the_promise_that_what_she_wrote_stays_hers(cast: Cast) -> None:
    words = CONTENT.promise("thanks-private")
    assert receivers(cast.slack, f"Thank you, Amara & {words}") == {cast.mentor.user_id}
    assert receivers(cast.slack, marker("REFLECT-PRIVATE")) == {cast.mentor.user_id}, "even after the close"


def test_the_leads_guide_and_induction_name_the_smallest_group_from_the_setting(cast: Cast) -> None:
    """MIN_GROUP_SIZE above its default: the lead's guide and induction say that number, not 5."""
    lena = cast.lead.user_id
    assert lena in receivers(cast.slack, f"aggregated ratings and surveys (groups of at least {MIN_GROUP})")
    assert lena in receivers(cast.slack, f"survey answers only as totals for groups of at least {MIN_GROUP}.")
    for words in ("groups of at least 5", "groups of at least five"):
        assert not receivers(cast.slack, words), f"{words!r} was shown"

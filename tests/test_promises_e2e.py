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
promise the app never shows fails :func:`test_each_promise_is_shown_to_its_author`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from bot.clock import now
from bot.content import load_content
from bot.db import Database
from bot.journey import service as journey
from bot.local_slack import LocalSlack, Person
from bot.models import MentoringSession, Pair
from bot.sessions import service as sessions
from tests.factory import MONDAY, accept_offers, create_programme, enrol

RUN = uuid.uuid4().hex[:8]
CONTENT = load_content()
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

    def audience(self, author: Person, names: tuple[str, ...]) -> set[str]:
        partner = self.mentee if author is self.mentor else self.mentor
        people = {author.user_id}
        if "partner" in names:
            people.add(partner.user_id)
        if "lead" in names:
            people.add(self.lead.user_id)
        return people


def deliveries(slack: LocalSlack) -> Iterator[tuple[set[str], str]]:
    """(who received it, the payload as text) for every message, ephemeral and view the app made."""
    emulator = slack.emulator
    bot = emulator.bot_user_id
    for call in emulator.calls:
        blob = json.dumps(call.args, ensure_ascii=False)
        if call.method in {"chat.postMessage", "chat.update", "chat.scheduleMessage", "files.completeUploadExternal"}:
            channel = str(call.args.get("channel") or call.args.get("channel_id") or "")
            conv = emulator.conversation(channel)
            yield (set(conv.members) - {bot} if conv else {f"unknown:{channel}"}), blob
        elif call.method == "chat.postEphemeral":
            yield {str(call.args.get("user"))}, blob
        elif call.method in {"views.open", "views.push"}:
            trigger = emulator._triggers.get(str(call.args.get("trigger_id")))
            yield {trigger.user_id if trigger else "unknown"}, blob
        elif call.method == "views.update":
            view = emulator._views.get(str(call.args.get("view_id")))
            yield {view.user_id if view else "unknown"}, blob
        elif call.method == "views.publish":
            yield {str(call.args.get("user_id"))}, blob
        elif call.method == "response_url" and call.args.get("response_type") == "in_channel":
            yield {"everyone"}, blob
    for message in emulator._ephemerals:
        yield {str(message.ephemeral_to)}, json.dumps([message.text, message.blocks], ensure_ascii=False)
    for view in emulator._views.values():
        yield {view.user_id}, json.dumps(view.data, ensure_ascii=False)
    for conv in emulator._convs.values():
        for message in conv.messages:
            yield set(conv.members) - {bot}, json.dumps([message.text, message.blocks], ensure_ascii=False)


def receivers(slack: LocalSlack, needle: str) -> set[str]:
    """Everyone who received a payload holding ``needle`` (or, for ``"a & b"``, both a and b)."""
    parts = needle.split(" & ")
    return {person for audience, blob in deliveries(slack) if all(p in blob for p in parts) for person in audience}


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
def cast(slack: LocalSlack, db: Database) -> Iterator[Cast]:
    with freeze_time(MONDAY.replace(hour=10)) as clock:
        played = play(slack, db)
        clock.tick(timedelta(days=1))  # the introduction and the briefings arrive the next working morning
        slack.deliver()
        for person in (played.mentor, played.mentee, played.lead, played.admin):
            person.open_home()
            person.command("/mentoring", "status")
        played.lead.command("/mentoring", "report Promises Programme")
        for person in (played.mentor, played.mentee):
            person.command("/mentoring", "profile")  # after matching too
        hold_a_session_and_reflect(played, db)
        yield played


def hold_a_session_and_reflect(cast: Cast, db: Database) -> None:
    """Session 1 took place; Amara reflects and shares only her key takeaways with Diana."""
    with db.session() as session:
        pair = session.scalars(select(Pair)).one()
        row = MentoringSession(
            pair_id=pair.id,
            programme_id=pair.programme_id,
            number=1,
            starts_at=now() - timedelta(hours=2),
            ends_at=now() - timedelta(hours=1),
            status="booked",
            ics_uid=f"{uuid.uuid4()}@promises",
            booked_by=cast.mentor.user_id,
        )
        session.add(row)
        session.flush()
        session_id = row.id
    sessions.record_answer(db, session_id, cast.mentee.user_id, "yes")
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


# For each promise: the data it is about, as (author, needle) pairs: a marker they typed, or the id
# of a person they chose.
def about(cast: Cast, promise_id: str) -> list[tuple[Person, str]]:
    shared = [
        (cast.mentor, marker("OFFLIMITS-AMARA")),
        (cast.mentee, marker("OFFLIMITS-DIANA")),
        (cast.mentee, marker("INCLUSION")),
        (cast.mentee, marker("GAP")),
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
    }[promise_id]


def also_promised(cast: Cast, promise_id: str) -> list[tuple[Person, str, set[str]]]:
    """What a promise says besides its main audience, e.g. "Everything else stays private to you"."""
    return {
        "reflection-takeaways": [
            (cast.mentor, marker("REFLECT-PRIVATE"), {cast.mentor.user_id}),
            (cast.mentor, marker("REFLECT-EXPLORE"), {cast.mentor.user_id}),
        ],
    }.get(promise_id, [])


CHECKED = (
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


# A new reflection's form is empty: its promise sits beside the field, before any answer exists.
SHOWN_ON_EMPTY_FORMS = {"reflection-takeaways"}


def test_every_promise_in_content_is_checked() -> None:
    assert set(PROMISES) == set(CHECKED), "a promise in content/promises.yml needs a check in this test"


def test_each_promise_reaches_exactly_the_audience_it_names(cast: Cast) -> None:
    broken = []
    for promise_id in CHECKED:
        promise = PROMISES[promise_id]
        for author, needle in about(cast, promise_id):
            got = receivers(cast.slack, needle)
            expected = cast.audience(author, promise.visibility)
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
    for promise_id, promise in PROMISES.items():
        for author, needle in about(cast, promise_id):
            # ... beside the data it is about, in the same form or message.
            beside = needle if promise.text in needle else f"{promise.text} & {needle}"
            if promise_id in SHOWN_ON_EMPTY_FORMS:
                beside = promise.text
            assert author.user_id in receivers(cast.slack, beside), f"{promise_id!r} is never shown with {needle}"

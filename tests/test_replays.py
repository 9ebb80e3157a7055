"""Every submission that creates something makes one record and one set of messages, however often
Slack delivers it: a double click, a replay of the same signed request, or a resubmit after Slack
gave up waiting. Each test submits a form, then delivers the very same view twice more.
(Concerns, with a held database lock as well, are in tests/test_submissions.py.)
"""

from __future__ import annotations

from typing import Any

from freezegun import freeze_time
from sqlalchemy import func, select

from bot.db import Database
from bot.emulator.server import message_text
from bot.local_slack import LocalSlack, Person
from bot.models import AgendaItem, Enrolment, OutboxMessage, Reflection, SpeedEventParticipant
from tests.factory import (
    MONDAY,
    SpeedWorld,
    build_world,
    create_event,
    create_programme,
    hold_session,
    make_cast,
    match_pair,
    replay_submission,
)


def submit_then_replay(person: Person, fields: dict[str, Any], times: int = 2) -> None:
    person.fill(fields)
    assert person.modal is not None
    view = dict(person.modal)
    result = person.submit()
    assert result.ok and not result.errors, result.errors
    filled = dict(view)
    filled["state"] = person._view_payload(view, person._submission_values(view))["state"]
    for _ in range(times):
        replay_submission(person, filled)


def count(db: Database, model: Any, *conditions: Any) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0)


def outbox_count(db: Database, kind: str) -> int:
    return count(db, OutboxMessage, OutboxMessage.kind == kind)


def test_enrolment_once(slack: LocalSlack, db: Database) -> None:
    admin, lead = slack.person("olu", is_admin=True), slack.person("lena")
    create_programme(admin, [lead])
    amara = slack.person("amara")
    amara.command("/mentoring", "join")
    submit_then_replay(
        amara,
        {
            "I am joining as": "Mentor",
            "Organisation": "Acme",
            "Department or function": "Finance",
            "Privacy notice": True,
        },
    )
    assert count(db, Enrolment) == 1
    confirmations = [s for s in amara.dms() if "enrolled" in s.text]
    assert len(confirmations) == 1, [s.text for s in amara.dms()]


def test_reflection_and_its_shared_takeaways_once(slack: LocalSlack, db: Database) -> None:
    world = build_world(slack, db, channel=False)
    hold_session(db, world)
    slack.deliver()
    world.mentor.click("Write my reflection")
    submit_then_replay(
        world.mentor,
        {
            "Key takeaways": "SHARED-once: listen first",
            "What I will do differently": "Ask before assuming",
            "How safe did you feel to speak openly?": "4",
            "How useful was this session for you?": "5",
            "Share with my partner": True,
        },
    )
    slack.deliver()
    assert count(db, Reflection) == 1
    shared = [s for s in world.mentee.seen() if "SHARED-once" in s.text]
    assert len(shared) == 1, "the partner sees the shared takeaway once"


def test_agenda_items_once(slack: LocalSlack, db: Database) -> None:
    cast = make_cast(slack)
    with freeze_time(MONDAY.replace(hour=10)):
        match_pair(cast)
        slack.deliver()
        cast.mentee.command("/mentoring", "agenda")
        submit_then_replay(cast.mentee, {"What would you like to talk about?": "AGENDA-once: promotions"})
        cast.mentor.click("Add to the agenda")
        submit_then_replay(cast.mentor, {"Anything you would like to add?": "AGENDA-once: hiring"})
    assert count(db, AgendaItem) == 2
    posts = [message_text(m) for m in slack.emulator.messages_in(cast.group_dm()) if m.text.startswith("Agenda")]
    assert len(posts) == 1 and posts[0].count("AGENDA-once: promotions") == 1
    assert posts[0].count("AGENDA-once: hiring") == 1


def test_event_rsvp_once(slack: LocalSlack, db: Database) -> None:
    world = SpeedWorld(slack)
    create_event(world)
    slack.deliver()
    ben = world.people["ben"]
    invitation = next(s for s in ben.dms() if s.has_button("Yes, I'll be there"))
    ben.click("Yes, I'll be there", in_message=invitation)
    submit_then_replay(ben, {"My organisation": world.orgs["ben"]})
    slack.deliver()
    assert count(db, SpeedEventParticipant, SpeedEventParticipant.user_id == ben.user_id) == 1
    thanks = [s for s in ben.dms() if "You said yes" in s.text or "Thank you" in s.text]
    assert len(thanks) <= 2, [s.text for s in thanks]

"""Every submission that creates something makes one record and one set of messages, however often
Slack delivers it: a double click, a replay of the same signed request, or a resubmit after Slack
gave up waiting. Each test submits a form, then delivers the very same view twice more.
(Concerns, with a held database lock as well, are in tests/test_submissions.py.)
"""

from __future__ import annotations

from typing import Any

from freezegun import freeze_time
from sqlalchemy import func, select, update

from bot.db import Database
from bot.emulator.server import message_text
from bot.impact import surveys
from bot.local_slack import LocalSlack, Person
from bot.models import (
    AgendaItem,
    Enrolment,
    MentoringSession,
    OutboxMessage,
    PairContract,
    Reflection,
    SpeedEventParticipant,
    SurveyResponse,
)
from tests.factory import (
    CONTENT,
    MONDAY,
    SpeedWorld,
    build_world,
    create_event,
    create_programme,
    hold_session,
    make_cast,
    match_pair,
    replay_button,
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


CONTRACT = {
    "How often and how long you will meet": "Every four weeks for an hour.",
    "Confidentiality": "CONTRACT-once: nothing leaves the room.",
    "Topics that are off limits": "Nothing is off limits for us.",
    "How you will give each other honest feedback": "We ask at the end of each session.",
    "What you will do if it's not working": "Say so.",
    "The mentee's goals": "Change one hiring process.",
    "The mentor's goals": "Present to the leadership team.",
}


def test_contract_once_and_a_replay_after_an_edit_changes_nothing(slack: LocalSlack, db: Database) -> None:
    cast = make_cast(slack)
    with freeze_time(MONDAY.replace(hour=10)):
        match_pair(cast)
        slack.deliver()
        before = len(slack.emulator.messages_in(cast.group_dm()))
        cast.mentee.command("/mentoring", "contract")
        submit_then_replay(cast.mentee, CONTRACT)
        slack.deliver()
        with db.session() as session:
            [contract] = session.scalars(select(PairContract)).all()
            assert contract.version == 1 and "CONTRACT-once" in contract.terms
        posts = slack.emulator.messages_in(cast.group_dm())[before:]
        assert len(posts) == 1, [message_text(m) for m in posts]  # one "contract saved" message for the pair
        # A replay never reports "changed while you had it open": the person sees what was saved.
        assert cast.mentee.modal is not None and cast.mentee.modal["callback_id"] != "contract_form"


def test_survey_once_and_a_replay_never_counts_as_a_new_answer(slack: LocalSlack, db: Database) -> None:
    world = build_world(slack, db, channel=False)  # the baseline is asked on the mentor's yes
    amara = world.mentor
    assert surveys.schedule_due_surveys(db) == 0, "already asked"
    slack.deliver()
    invitation = next(s for s in amara.dms() if s.has_button("Take the survey"))
    amara.click("Take the survey", in_message=invitation)
    answers = {q.text: f"4: {q.scale.label(4)}" for q in CONTENT.survey("baseline", "mentor").questions}
    amara.fill({**answers, "Anything you would like to add?": "SURVEY-once"})
    assert amara.modal is not None
    view = dict(amara.modal)
    assert amara.submit().ok
    with db.session() as session:  # the leads' figures were released with this answer in them
        session.execute(update(SurveyResponse).values(released=True))
        submitted = session.scalars(select(SurveyResponse)).one().submitted_at
    filled = dict(view)
    filled["state"] = amara._view_payload(view, amara._submission_values(view))["state"]
    for _ in range(2):
        replay_submission(amara, filled)
    with db.session() as session:
        [response] = session.scalars(select(SurveyResponse)).all()
        assert response.comment == "SURVEY-once" and response.released  # still released: not "new" again
        assert response.submitted_at == submitted


def test_booking_once_by_double_click_and_by_replayed_custom_time(slack: LocalSlack, db: Database) -> None:
    cast = make_cast(slack)
    with freeze_time(MONDAY.replace(hour=10)):
        match_pair(cast)
        slack.deliver()
        cast.mentor.command("/mentoring", "schedule")
        offer = [s for s in cast.mentor.seen() if s.kind == "ephemeral" and "Times for" in s.text][-1]
        button = next(
            el for block in offer.blocks if (el := block.get("accessory")) and el.get("action_id") == "session_book"
        )
        cast.mentor.click(button["text"]["text"], in_message=offer)
        for _ in range(2):  # a double click, and the same click replayed
            replay_button(cast.mentor, "session_book", button["value"])
        slack.deliver()
        assert count(db, MentoringSession) == 1
        booked_notices = [
            message_text(m) for m in slack.emulator.messages_in(cast.group_dm()) if "booked" in message_text(m).lower()
        ]
        assert len(booked_notices) == 1, booked_notices
        assert outbox_count(db, "session_booked") <= 1

        # Moving it to a custom time: the same form delivered again moves it once.
        cast.mentee.command("/mentoring", "schedule")
        current = cast.mentee.seen()[-1]
        cast.mentee.click("Reschedule", in_message=current)
        moving = cast.mentee.seen()[-1]
        cast.mentee.click("Pick another time", in_message=moving)
        submit_then_replay(
            cast.mentee,
            {"Date": "2027-03-10", "Start time (your time)": "11:00", "Outside working hours": True},
        )
        slack.deliver()
        with db.session() as session:
            [row] = session.scalars(select(MentoringSession)).all()
            assert row.ics_sequence == 1  # moved once, not once per delivery

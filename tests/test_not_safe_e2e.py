"""Issue 14, item 3: a "not safe" rating reaches help, on the person's own terms.

A safety rating of 1 or 2 (a reflection, or a survey's safety question) offers that person, and
nobody else, support resources and a concern form that starts anonymous with a gentle text they
can change. Nothing goes to anyone until they press Send; a rating of 4 offers nothing.
"""

from __future__ import annotations

import json

from sqlalchemy import func, select

from bot.content import load_content
from bot.db import Database
from bot.emulator import view_text
from bot.impact import surveys
from bot.local_slack import LocalSlack, Person
from bot.models import Concern, OutboxMessage
from tests.factory import SUPPORT, ConcernWorld, build_world, hold_session

OFFER = "Tell the programme lead privately"
START = "I haven't felt safe to speak openly in my mentoring sessions."
SAFETY = "How safe did you feel to speak openly?"
POSTING = {"chat.postMessage", "chat.postEphemeral", "chat.update", "files.completeUploadExternal"}


def counts(db: Database) -> tuple[int, int]:
    with db.session() as session:
        concerns = session.scalar(select(func.count()).select_from(Concern)) or 0
        rows = session.scalar(select(func.count()).select_from(OutboxMessage)) or 0
        return int(concerns), int(rows)


def reflect(person: Person, safety: str) -> None:
    person.click("Write my reflection")
    person.fill(
        {
            "Key takeaways": "Hard to say",
            "What I will do differently": "Not sure yet",
            SAFETY: safety,
            "How useful was this session for you?": "3",
        }
    )
    assert person.submit().ok


def ready_to_reflect(slack: LocalSlack, db: Database) -> ConcernWorld:
    world = build_world(slack, db, channel=False)
    hold_session(db, world)
    slack.deliver()
    slack.emulator.reset_calls()
    return world


def test_a_not_safe_reflection_offers_support_and_a_concern_to_that_person_only(
    slack: LocalSlack, db: Database
) -> None:
    world = ready_to_reflect(slack, db)
    amara = world.mentor
    before = counts(db)
    others = (world.mentee, world.lead, world.backup)
    seen_before = {other.user_id: len(other.seen()) for other in others}
    reflect(amara, "2")
    shown = view_text(amara.modal or {})
    assert "Your reflection is saved" in shown and "honest about how safe you felt" in shown
    assert "Employee assistance programme" in shown and SUPPORT in shown, "the app's and the programme's support"
    slack.deliver()
    assert counts(db) == before, "no concern, and no message queued for anyone"
    assert [c.method for c in slack.emulator.calls if c.method in POSTING] == [], "nobody got a message"
    for other in others:
        assert len(other.seen()) == seen_before[other.user_id], f"{other.name} saw nothing new"
        assert slack.emulator.view_stack(other.user_id) == []

    amara.click(OFFER)
    form = amara.modal or {}
    assert form.get("callback_id") == "concern_form", "pushed over the confirmation, in their own modal"
    details = next(b for b in form["blocks"] if b.get("block_id") == "details")
    assert details["element"]["initial_value"] == START, "a gentle start, theirs to change or delete"
    identity = next(b for b in form["blocks"] if b.get("block_id") == "identity")
    assert identity["element"]["initial_option"]["value"] == "anonymous", "anonymous by default"
    assert json.loads(form["private_metadata"]) == {"programme_id": world.programme_id}, "the programme is chosen"
    assert counts(db)[0] == 0, "still nothing, until they press Send"

    amara.fill({"What would you like the programme lead to know?": START + " My mentee talks over me."})
    assert amara.submit().ok
    with db.session() as session:
        [concern] = session.scalars(select(Concern)).all()
        assert concern.anonymous and concern.details.endswith("talks over me.")
        assert concern.programme_id == world.programme_id and concern.reporter_user_id == amara.user_id


def test_a_reflection_rated_safe_offers_nothing(slack: LocalSlack, db: Database) -> None:
    world = ready_to_reflect(slack, db)
    reflect(world.mentor, "4")
    shown = view_text(world.mentor.modal or {})
    assert "Your reflection is saved" in shown
    assert OFFER not in shown and "honest about how safe you felt" not in shown


def test_a_not_safe_survey_answer_offers_support_privately(slack: LocalSlack, db: Database) -> None:
    world = build_world(slack, db, channel=False)
    amara = world.mentor
    with db.session() as session:
        surveys.invite(session, world.programme_id, amara.user_id, "midpoint")
    slack.deliver()
    content = load_content()

    midpoint = content.survey("midpoint", "mentor").title

    def answer(safe: str) -> str:
        invitation = next(s for s in amara.dms() if s.has_button("Take the survey") and midpoint in s.text)
        amara.click("Take the survey", in_message=invitation)
        answers = {
            q.text: (safe if q.id in surveys.SAFETY_QUESTIONS else "4: Agree")
            for q in content.survey("midpoint", "mentor").questions
        }
        assert any(q.id in surveys.SAFETY_QUESTIONS for q in content.survey("midpoint", "mentor").questions)
        amara.fill(answers)
        assert amara.submit().ok
        return view_text(amara.modal or {})

    slack.emulator.reset_calls()
    before = counts(db)
    others = (world.mentee, world.lead, world.backup)
    seen_before = {other.user_id: len(other.seen()) for other in others}
    shown = answer("1: Strongly disagree")
    assert "Thank you" in shown and "honest about how safe you felt" in shown and OFFER in shown
    slack.deliver()
    assert counts(db) == before and [c.method for c in slack.emulator.calls if c.method in POSTING] == []
    for other in others:
        assert slack.emulator.view_stack(other.user_id) == [] and len(other.seen()) == seen_before[other.user_id]
    amara.click(OFFER)
    assert (amara.modal or {}).get("callback_id") == "concern_form" and counts(db)[0] == 0

    amara.close_modal()
    amara.close_modal()
    assert OFFER not in answer("4: Agree"), "a safe answer offers nothing"

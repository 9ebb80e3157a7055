"""Contracting as the pair lives it: drafting, both agreeing, changes needing both again, privacy.

The contract is theirs alone: encrypted at rest, seen by the mentor and the mentee only. The
programme lead learns that it exists and when it was agreed, never what it says.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from freezegun import freeze_time
from sqlalchemy import Text, select
from sqlalchemy import cast as sql_cast

from bot import crypto
from bot.content import load_content
from bot.db import Database
from bot.emulator import message_text, validate_blocks, validate_view, view_text
from bot.errors import error_text
from bot.journey import service as journey
from bot.local_slack import LocalSlack, Person
from bot.models import OutboxMessage, PairContract
from tests.factory import MONDAY, OFF_LIMITS, Cast, make_cast, match_pair, replay_button


@pytest.fixture
def cast(slack: LocalSlack) -> Cast:
    return make_cast(slack)

SECRET = "CONTRACT-SECRET-91c2"


def contract_answers(marker: str = SECRET) -> dict[str, str]:
    return {
        "How often and how long you will meet": "Every four weeks for an hour, at the café by the station.",
        "Confidentiality": f"Nothing leaves the room without asking first. {marker}",
        "Topics that are off limits": "Diana's divorce.",
        "How you will give each other honest feedback": "We end each session with: what should I hear?",
        "What you will do if it's not working": "Say so at the start of the next session.",
        "The mentee's goals": "Change one hiring process by June.",
        "The mentor's goals": "Present to the leadership team once by July.",
    }


def matched(slack: LocalSlack, cast: Cast) -> None:
    match_pair(cast)
    slack.deliver()


def pair_messages(cast: Cast) -> list[Any]:
    return cast.slack.emulator.messages_in(cast.group_dm())


def draft_contract(person: Person, answers: dict[str, str] | None = None) -> None:
    person.command("/mentoring", "contract")
    assert person.modal is not None and person.modal["callback_id"] == "contract_form"
    person.fill(answers or contract_answers())
    result = person.submit()
    assert result.ok and not result.errors, result.errors


def stored_terms(db: Database) -> str:
    with db.session() as session:
        return str(session.execute(select(sql_cast(PairContract.terms, Text))).scalar_one())


def test_both_must_agree_and_any_later_edit_needs_both_again(slack: LocalSlack, db: Database, cast: Cast) -> None:
    pair = cast
    mentor, mentee = pair.mentor, pair.mentee
    with freeze_time(MONDAY.replace(hour=10)) as clock:
        matched(slack, pair)
        pair_id = pair.pair_id(db)

        # Diana clicks "Agree our ways of working" on the introduction: the prompts come to them both.
        mentee.click("Agree our ways of working")
        prompts = pair_messages(pair)[-1]
        assert "Agreeing how you'll work together" in view_text({"blocks": prompts.blocks})
        for heading in ("Confidentiality", "Topics that are off limits", "The mentee's goals", "The mentor's goals"):
            assert heading in json.dumps(prompts.blocks)

        # Amara drafts it: the form asks every contracting prompt, goals for both of them.
        mentor.click("Open our contract", in_message=next(s for s in mentor.seen() if s.ts == prompts.ts))
        form = mentor.modal
        assert form is not None and validate_view(form) == []
        mentor.fill(contract_answers())
        assert mentor.submit().ok
        shown = mentor.modal
        assert shown is not None and shown["callback_id"] == "contract_view"
        assert "Version 1: Amara Okafor hasn't agreed yet; Diana Reyes hasn't agreed yet" in view_text(shown)
        assert "drafted your contract" in message_text(pair_messages(pair)[-1])
        assert SECRET not in json.dumps(pair_messages(pair)[-1].blocks), "drafts stay in the form, not the chat"

        # Amara agrees. It doesn't count yet.
        mentor.click("I agree to this contract")
        assert "Amara Okafor has agreed; Diana Reyes hasn't agreed yet" in view_text(mentor.modal)
        assert "has agreed to your contract" in message_text(pair_messages(pair)[-1])
        assert journey.contract_status(db, pair_id).agreed is False

        # Diana opens it, changes her goal. Amara's agreement no longer counts.
        clock.tick(timedelta(minutes=5))
        mentee.command("/mentoring", "contract")
        assert mentee.modal is not None and "Change one hiring process by June." in view_text(mentee.modal)
        mentee.click("Edit the contract")
        mentee.fill({"The mentee's goals": "Change two hiring processes by September."})
        assert mentee.submit().ok
        assert "Version 2: Amara Okafor hasn't agreed yet" in view_text(mentee.modal)
        assert "changed your contract" in message_text(pair_messages(pair)[-1])

        # Amara's old "I agree" (to version 1) is refused: she must read the new version first.
        stale = {"action_id": "agree_contract", "value": f"{pair_id}:1"}
        replay_button(mentor, stale["action_id"], stale["value"])
        assert error_text("journey.contract_changed") in mentor.seen()[-1].text
        assert journey.contract_for(db, pair_id, mentor.user_id).mentor_agreed is False

        # Both agree to version 2: now it counts, and it is posted and pinned.
        mentee.click("I agree to this contract")
        mentor.close_modal()
        mentor.command("/mentoring", "contract")
        mentor.click("I agree to this contract")
        assert "Agreed by you both" in view_text(mentor.modal)
        slack.deliver()

    status = journey.contract_status(db, pair_id)
    assert status.exists and status.agreed and status.agreed_at is not None
    pinned = [m for m in pair_messages(pair) if m.pinned]
    assert len(pinned) == 1
    contract_text = view_text({"blocks": pinned[0].blocks})
    assert "Your contract is agreed" in contract_text
    assert "Change two hiring processes by September." in contract_text
    assert "Change one hiring process by June." not in contract_text
    assert pinned[0].text and validate_blocks(pinned[0].blocks) == []
    # At rest, the terms are ciphertext.
    assert SECRET not in stored_terms(db) and stored_terms(db).startswith(crypto.PERSONAL_PREFIX)  # the pair's key


def test_changing_an_agreed_contract_unpins_it_until_both_agree_again(
    slack: LocalSlack, db: Database, cast: Cast
) -> None:
    pair = cast
    with freeze_time(MONDAY.replace(hour=10)):
        matched(slack, pair)
        pair_id = pair.pair_id(db)
        draft_contract(pair.mentor)
        pair.mentor.click("I agree to this contract")
        pair.mentee.command("/mentoring", "contract")
        pair.mentee.click("I agree to this contract")
        slack.deliver()
        first_pinned = next(m for m in pair_messages(pair) if m.pinned)
        assert journey.contract_status(db, pair_id).agreed

        pair.mentee.click("Edit the contract")
        pair.mentee.fill({"How often and how long you will meet": "Every three weeks, on video."})
        pair.mentee.submit()
        slack.deliver()

    # The old version is unpinned and its text taken out of the conversation.
    old = next(m for m in pair_messages(pair) if m.ts == first_pinned.ts)
    assert not old.pinned and SECRET not in json.dumps(old.blocks) and "earlier version" in message_text(old)
    status = journey.contract_status(db, pair_id)
    assert status.exists and not status.agreed and status.first_agreed_at is not None
    assert not any(m.pinned for m in pair_messages(pair))
    # Saving exactly the same terms again changes nothing, and asks nobody to agree again.
    pair.mentee.command("/mentoring", "contract")
    pair.mentee.click("Edit the contract")
    before = len(pair_messages(pair))
    pair.mentee.submit()
    assert len(pair_messages(pair)) == before
    assert journey.contract_for(db, pair_id, pair.mentee.user_id).version == 2


def test_the_contract_form_checks_each_field(slack: LocalSlack, db: Database, cast: Cast) -> None:
    with freeze_time(MONDAY.replace(hour=10)):
        matched(slack, cast)
        cast.mentor.command("/mentoring", "contract")
        answers = contract_answers()
        answers["Confidentiality"] = "   "
        answers["The mentor's goals"] = "x" * 1001
        cast.mentor.fill(answers)
        result = cast.mentor.submit(force=True)  # past Slack's own checks, as a forged request would be
    errors = cast.mentor.errors_by_label()
    assert result.errors
    assert errors["Confidentiality"] == error_text("journey.contract_answer_required")
    assert errors["The mentor's goals"] == error_text("journey.contract_answer_too_long", max=1000, length=1001)
    assert "Topics that are off limits" not in errors  # optional
    assert cast.mentor.modal is not None, "the form stays open with what they typed"
    with db.session() as session:
        assert session.scalars(select(PairContract)).all() == []


def test_a_partner_saving_first_is_never_silently_overwritten(slack: LocalSlack, db: Database, cast: Cast) -> None:
    with freeze_time(MONDAY.replace(hour=10)):
        matched(slack, cast)
        cast.mentor.command("/mentoring", "contract")  # both open an empty contract
        cast.mentee.command("/mentoring", "contract")
        cast.mentee.fill(contract_answers("DIANA"))
        assert cast.mentee.submit().ok
        cast.mentor.fill(contract_answers("AMARA"))
        cast.mentor.submit()
    assert cast.mentor.errors_by_label()["How often and how long you will meet"] == error_text(
        "journey.contract_changed_while_open"
    )

    assert "DIANA" in json.dumps(journey.contract_for(db, cast.pair_id(db), cast.mentee.user_id).terms)


def test_contract_text_and_off_limits_topics_never_reach_the_lead_or_anyone_else(
    slack: LocalSlack, db: Database, cast: Cast
) -> None:
    with freeze_time(MONDAY.replace(hour=10)):
        matched(slack, cast)
        draft_contract(cast.mentee)
        cast.mentee.click("I agree to this contract")
        cast.mentor.command("/mentoring", "contract")
        cast.mentor.click("I agree to this contract")
        slack.deliver()
        # The lead and an outsider try what they can.
        cast.lead.command("/mentoring", "contract")
        cast.outsider.command("/mentoring", "contract")
        replay_button(cast.lead, "open_contract", str(cast.pair_id(db)))
        replay_button(cast.outsider, "open_contract", str(cast.pair_id(db)))
    assert cast.lead.modal is None and cast.outsider.modal is None
    emulator = slack.emulator
    pair_only = {cast.mentor.user_id, cast.mentee.user_id, emulator.bot_user_id}
    leaks = []
    for call in emulator.calls:
        recorded = json.dumps([call.args, call.response])
        for marker in (SECRET, OFF_LIMITS):
            if marker not in recorded:
                continue
            channel = str(call.args.get("channel") or "")
            if call.method.startswith("views."):
                view = call.response.get("view") or {}
                owner = emulator._views[view["id"]].user_id  # who the modal was shown to
                if owner not in pair_only:
                    leaks.append((call.method, owner))
            elif call.method == "response_url":
                leaks.append((call.method, "response_url"))
            else:
                conversation = emulator.conversation(channel)
                members = set(conversation.members) if conversation else {"unknown"}
                if not members <= pair_only:
                    leaks.append((call.method, channel))
    assert leaks == []
    for person in (cast.lead, cast.outsider, cast.admin):
        seen = json.dumps([[s.text, s.blocks] for s in person.seen()])
        assert SECRET not in seen and OFF_LIMITS not in seen
    # The outbox holds ids only: no contract text in any payload.
    with db.session() as session:
        payloads = json.dumps([row.payload for row in session.scalars(select(OutboxMessage))])
    assert SECRET not in payloads and OFF_LIMITS not in payloads
    # What the lead may know.
    status = journey.contract_status(db, cast.pair_id(db))
    assert status.agreed and status.agreed_at is not None
    assert SECRET not in repr(status)


def test_contract_prompts_after_the_first_session_and_a_midpoint_review(
    slack: LocalSlack, db: Database, cast: Cast
) -> None:
    with freeze_time(MONDAY.replace(hour=10)) as clock:
        matched(slack, cast)
        pair_id = cast.pair_id(db)
        later = MONDAY.replace(hour=10) + timedelta(days=22)
        with db.session() as session:
            assert journey.enqueue_contract_prompt(session, pair_id, later)
            assert not journey.enqueue_contract_prompt(session, pair_id, later), "once per pair"
            # due on a Saturday: held for the pair's Monday morning (Europe/London, 09:00)
            assert journey.enqueue_contract_review(session, pair_id, later + timedelta(days=60))
        before = len(pair_messages(cast))
        slack.deliver()
        assert len(pair_messages(cast)) == before
        clock.move_to(later)
        slack.deliver()
        prompt = pair_messages(cast)[-1]
        assert "Agreeing how you'll work together" in view_text({"blocks": prompt.blocks})
        cast.mentee.click("Open our contract", in_message=next(s for s in cast.mentee.seen() if s.ts == prompt.ts))
        assert cast.mentee.modal is not None and cast.mentee.modal["callback_id"] == "contract_form"
        cast.mentee.close_modal()
        clock.move_to(later + timedelta(days=60))
        slack.deliver()
        assert "halfway through" not in view_text({"blocks": pair_messages(cast)[-1].blocks}), "not at a weekend"
        clock.move_to(datetime(2027, 5, 24, 9, tzinfo=UTC))
        slack.deliver()
    review = pair_messages(cast)[-1]
    assert "halfway through" in view_text({"blocks": review.blocks})
    assert "haven't agreed a contract yet" in view_text({"blocks": review.blocks})
    assert review.text and validate_blocks(review.blocks) == []


def test_a_contract_prompt_is_skipped_once_the_pair_has_agreed(slack: LocalSlack, db: Database, cast: Cast) -> None:
    with freeze_time(MONDAY.replace(hour=10)):
        matched(slack, cast)
        draft_contract(cast.mentor)
        cast.mentor.click("I agree to this contract")
        cast.mentee.command("/mentoring", "contract")
        cast.mentee.click("I agree to this contract")
        with db.session() as session:
            journey.enqueue_contract_prompt(session, cast.pair_id(db), MONDAY.replace(hour=10))
        slack.deliver()
    with db.session() as session:
        row = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == journey.CONTRACT_PROMPT)).one()
    assert row.status == "skipped"


def test_every_contracting_prompt_is_a_field_of_the_form() -> None:
    content = load_content()
    assert {p.owner for p in content.contracting.prompts} >= {"mentor", "mentee", "both"}

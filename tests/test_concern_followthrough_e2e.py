"""Issue 14, item 5: follow-through on concerns, as the reporter and the lead live it.

Closing asks the lead for a message to the reporter (separate from the leads-only outcome note);
the reporter gets it privately with a button to say "This isn't resolved" for 30 days, which
reopens the concern (audited), tells the leads and restarts the chasing. An anonymous reporter
hears back too, and nothing the lead sees on the way ever names them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from freezegun import freeze_time
from sqlalchemy import select

from bot.clock import now
from bot.concerns import service as concerns
from bot.db import Database
from bot.emulator import view_text
from bot.local_slack import LocalSlack, Person
from bot.models import Concern, ConcernEvent, Enrolment, OutboxMessage
from tests.factory import ConcernWorld, build_world, replay_button

WEDNESDAY = datetime(2027, 3, 3, 10, 0, tzinfo=UTC)
MESSAGE = "I spoke with both of you and agreed fixed session times. FOLLOW-UP-WORDS"
OUTCOME = "Mentee warned about cancelling. LEADS-ONLY-OUTCOME"


def raise_concern(person: Person, details: str, *, anonymous: bool = False, urgency: str = "This week") -> None:
    person.command("/mentoring", "concern")
    person.fill(
        {
            "What would you like the programme lead to know?": details,
            "How soon do you need a response?": urgency,
            "How would you like to raise it?": "anonymous" if anonymous else "named",
        }
    )
    result = person.submit()
    assert result.ok and not result.errors, result.errors


def the_concern(db: Database) -> Concern:
    with db.session() as session:
        [concern] = session.scalars(select(Concern)).all()
        return concern


def audit(db: Database, concern_id: int) -> list[tuple[str, str | None]]:
    with db.session() as session:
        rows = session.scalars(
            select(ConcernEvent).where(ConcernEvent.concern_id == concern_id).order_by(ConcernEvent.id)
        ).all()
        return [(row.action, row.actor_user_id) for row in rows]


def texts(person: Person) -> str:
    return "\n".join(seen.text for seen in person.seen())


def close_with_message(lead: Person, message: str = MESSAGE, outcome: str = OUTCOME) -> None:
    lead.click("Open", in_message=next(s for s in reversed(lead.dms()) if s.has_button("Open")))
    lead.click("Close with an outcome note")
    shown = view_text(lead.modal or {})
    assert "Message to the reporter" in shown and "Outcome note" in shown
    lead.fill({"Outcome note": outcome, "Message to the reporter": message})
    result = lead.submit()
    assert result.ok and not result.errors, result.errors


def closing_message(reporter: Person) -> Any:
    return next(s for s in reversed(reporter.dms()) if s.has_button("This isn't resolved"))


def test_the_reporter_hears_what_was_done_and_can_reopen_within_30_days(slack: LocalSlack, db: Database) -> None:
    with freeze_time(WEDNESDAY) as clock:
        world = build_world(slack, db, channel=False)
        amara, lena = world.mentor, world.lead
        slack.deliver()  # the match notices: they tell both people how to raise a concern
        seen_before = len(world.mentee.seen())
        raise_concern(amara, "My mentee keeps cancelling.")
        slack.deliver()
        lena.click("Acknowledge")
        close_with_message(lena)
        slack.deliver()

        update = closing_message(amara)
        assert "closed your concern" in update.text and MESSAGE in update.text
        assert "LEADS-ONLY-OUTCOME" not in texts(amara), "the outcome note stays with the leads"
        assert "FOLLOW-UP-WORDS" not in texts(world.mentee), "the partner hears nothing"
        concern = the_concern(db)
        assert concern.status == "closed" and concern.outcome_note == OUTCOME
        with db.session() as session:
            row = session.scalars(select(OutboxMessage).where(OutboxMessage.key.like("%:reporter:closed%"))).one()
            assert "FOLLOW-UP-WORDS" not in json.dumps(row.payload), "the outbox holds ids, never the words"

        reopened_at = WEDNESDAY + timedelta(days=10)  # a Saturday
        clock.move_to(reopened_at)
        amara.click("This isn't resolved", in_message=update)
        assert "open again" in texts(amara)
        concern = the_concern(db)
        assert concern.status == "open" and concern.acknowledged_at is None
        assert audit(db, concern.id)[-1] == ("reopened", amara.user_id)
        slack.deliver()
        alert = next(s for s in reversed(lena.dms()) if "reopened" in s.text)
        assert "isn't resolved" in alert.text and alert.has_button("Open")
        assert "My mentee keeps cancelling." not in alert.text, "an alert never carries the concern's text"
        assert not any("concern" in seen.text for seen in world.mentee.seen()[seen_before:])

        # The chasing starts again from the reopening: one working day later (Monday), then the backup.
        with db.session() as session:
            chasers = session.scalars(
                select(OutboxMessage).where(OutboxMessage.key.like(f"concern:{concern.id}:r1:%"))
            ).all()
            due = {
                row.key.split(":")[3]: row.send_at.replace(tzinfo=UTC)
                for row in chasers
                if row.kind == concerns.CHASE_KIND
            }
        assert due == {
            "chase": concerns.working_days_after(reopened_at, 1),
            "escalate": concerns.working_days_after(reopened_at, 2),
        }
        clock.move_to(concerns.working_days_after(reopened_at, 1))
        slack.deliver()
        assert "Reminder: a concern in Inclusive Leadership is waiting for you" in texts(lena)

        # Pressing it again changes nothing more.
        amara.click("This isn't resolved", in_message=update)
        assert "already open" in texts(amara)
        assert [a for a, _ in audit(db, concern.id)].count("reopened") == 1

        # The lead acknowledges and closes again: the reporter hears both, afresh.
        lena.click("Acknowledge", in_message=alert)
        slack.deliver()
        assert len([s for s in amara.dms() if "has seen your concern" in s.text]) == 2
        close_with_message(lena, message="Second time: now truly sorted. SECOND-WORDS")
        slack.deliver()
        assert "SECOND-WORDS" in closing_message(amara).text


def test_after_30_days_the_button_kindly_offers_a_new_concern(slack: LocalSlack, db: Database) -> None:
    with freeze_time(WEDNESDAY) as clock:
        world = build_world(slack, db, channel=False)
        raise_concern(world.mentor, "An old worry")
        slack.deliver()
        close_with_message(world.lead)
        slack.deliver()
        update = closing_message(world.mentor)
        assert "02 Apr 2027" in json.dumps(update.blocks), "the deadline, 30 days after closing, is shown"
        clock.move_to(WEDNESDAY + timedelta(days=30, minutes=1))
        before = len(world.lead.dms())
        world.mentor.click("This isn't resolved", in_message=update)
        answer = texts(world.mentor)
        assert "more than 30 days ago" in answer and "raise a new concern" in answer
        assert the_concern(db).status == "closed"
        assert "reopened" not in [a for a, _ in audit(db, the_concern(db).id)]
        slack.deliver()
        assert len(world.lead.dms()) == before, "the leads are not told of a lapsed button"
        world.mentor.click("Raise a new concern")
        assert world.mentor.modal is not None and world.mentor.modal["callback_id"] == "concern_form"


def test_only_the_reporter_can_reopen(slack: LocalSlack, db: Database) -> None:
    world = build_world(slack, db, channel=False)
    raise_concern(world.mentor, "Mine to reopen")
    slack.deliver()
    close_with_message(world.lead)
    concern_id = the_concern(db).id
    for intruder in (world.mentee, world.lead, world.backup):
        replay_button(intruder, "concern_reopen", str(concern_id))
        assert "isn't one you can see" in texts(intruder)
    assert the_concern(db).status == "closed"


def test_the_closing_message_is_required(slack: LocalSlack, db: Database) -> None:
    world = build_world(slack, db, channel=False)
    raise_concern(world.mentor, "Please say what happened")
    slack.deliver()
    world.lead.click("Open")
    world.lead.click("Close with an outcome note")
    assert "Thank you for raising this" in json.dumps(world.lead.modal), "a sensible starting text"
    world.lead.fill({"Outcome note": OUTCOME, "Message to the reporter": "   "})
    world.lead.submit(force=True)
    assert "Write a few words for the reporter" in world.lead.errors_by_label()["Message to the reporter"]
    assert the_concern(db).status != "closed"


# ---------------------------------------------------------------------------------- anonymity


def shown_to_others_than(slack: LocalSlack, reporter: Person) -> list[dict[str, Any]]:
    """Every recorded message and view call not addressed to the reporter (leads, partner, anyone)."""
    emulator = slack.emulator
    reporter_im = emulator.im_channel(reporter.user_id)
    views = emulator._views  # view id -> whose view it is
    shown = []
    for call in emulator.calls:
        if call.method in {"chat.postMessage", "chat.update", "chat.postEphemeral"}:
            if call.args.get("channel") in {reporter_im, reporter.user_id}:
                continue
        elif call.method.startswith("views."):
            view_id = (call.response.get("view") or {}).get("id") or call.args.get("view_id")
            owner = views.get(str(view_id))
            if owner is not None and owner.user_id == reporter.user_id:
                continue
        elif call.method != "response_url":
            continue  # lookups (users.info, conversations.open) show nothing to anyone
        shown.append({"method": call.method, "args": call.args})
    return shown


def unpaired_reporter(slack: LocalSlack, db: Database, world: ConcernWorld) -> Person:
    """Someone in the programme but in no pair, so nothing about a pair can hint at who they are."""
    sam = slack.person("samwise", real_name="Samwise Quietly")
    with db.session() as session:
        session.add(
            Enrolment(
                programme_id=world.programme_id,
                user_id=sam.user_id,
                role="mentor",
                status="waiting",
                real_name="Samwise Quietly",
                organisation="Acme",
                department="Ops",
                privacy_confirmed_at=now(),
            )
        )
    return sam


def test_an_anonymous_reporter_hears_back_and_the_lead_never_learns_who(slack: LocalSlack, db: Database) -> None:
    with freeze_time(WEDNESDAY) as clock:
        world = build_world(slack, db)  # with the leads' private channel
        sam = unpaired_reporter(slack, db, world)
        raise_concern(sam, "Something in the programme worries me.", anonymous=True)
        slack.deliver()
        lena = world.lead
        lena.click("Open")
        lena.click("Acknowledge")
        lena.close_modal()
        close_with_message(lena)
        slack.deliver()
        update = closing_message(sam)
        assert MESSAGE in update.text, "the app delivers the message to the anonymous reporter"

        clock.move_to(WEDNESDAY + timedelta(days=3))
        sam.click("This isn't resolved", in_message=update)
        concern = the_concern(db)
        assert concern.status == "open"
        assert all(actor != sam.user_id for _, actor in audit(db, concern.id)), "anonymous in the audit trail too"
        slack.deliver()
        lena.click("Open", in_message=next(s for s in reversed(lena.dms()) if "reopened" in s.text))
        modal = json.dumps(lena.modal)
        assert "Reopened" in modal and "Anonymous" in modal
        lena.click("Acknowledge")
        lena.close_modal()
        close_with_message(lena, message="Closed again. AGAIN-WORDS")
        clock.move_to(WEDNESDAY + timedelta(days=6))
        slack.deliver()
        assert "AGAIN-WORDS" in texts(sam)

        identity = (sam.user_id, "Samwise", "samwise")
        for person in (lena, world.backup, world.mentor, world.mentee):
            seen = json.dumps([{"text": s.text, "blocks": s.blocks} for s in person.seen()])
            stack = json.dumps(slack.emulator.view_stack(person.user_id))
            assert not any(marker in seen + stack for marker in identity), person.name
        payloads = shown_to_others_than(slack, sam)
        assert any(p["method"] == "views.open" for p in payloads) and len(payloads) > 10, "the scan saw the calls"
        leaked = [p for p in payloads if any(marker in json.dumps(p) for marker in identity)]
        assert leaked == []

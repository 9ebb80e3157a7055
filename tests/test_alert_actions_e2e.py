"""Issue 14, item 4: every alert about a pair can be acted on from the alert itself.

At-risk pairs and "did you meet?" answers that disagree reach the leads with buttons: a private
check-in with either person (delivered to that person alone, from the programme lead), pause,
rematch and mark handled. What was done is recorded, and every copy of the alert (each lead's DM,
the leads' channel) is updated to show it. Only the programme's leads may act.
"""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.db import Database
from bot.emulator import view_text
from bot.emulator.state import Seen
from bot.local_slack import LocalSlack, Person
from bot.models import AlertAction, Enrolment, OutboxMessage, Pair
from bot.sessions import service as sessions
from tests.factory import ConcernWorld, build_world, missed_twice, past_session, replay_button, replay_submission

CHECK_IN = "How did session 1 feel for you? I'm here if you want to talk. CHECKIN-WORDS"
BUTTONS = ["Check in with Amara Okafor", "Check in with Diana Reyes", "Pause the pair", "Rematch", "Mark handled"]


def answers_disagree(db: Database, world: ConcernWorld) -> None:
    """Amara says session 1 took place, Diana says it didn't: the leads are alerted."""
    session_id = past_session(db, world, 1, 0)
    sessions.record_answer(db, session_id, world.mentor.user_id, "yes")
    sessions.record_answer(db, session_id, world.mentee.user_id, "no")


def alert_in(person: Person, words: str) -> Seen:
    return next(s for s in reversed(person.seen()) if words in s.text)


def labels(seen: Seen) -> list[str]:
    return [
        element["text"]["text"]
        for block in seen.blocks
        if block.get("type") == "actions"
        for element in block["elements"]
    ]


def actions_done(db: Database) -> list[tuple[str, str, str | None, int]]:
    with db.session() as session:
        rows = session.scalars(select(AlertAction).order_by(AlertAction.id)).all()
        return [(r.action, r.actor_user_id, r.addressee_user_id, r.pair_id) for r in rows]


def pair_status(db: Database, world: ConcernWorld) -> str:
    with db.session() as session:
        pair = session.get(Pair, world.pair_id)
        assert pair is not None
        return pair.status


def test_a_lead_checks_in_privately_from_a_disagreement_alert(slack: LocalSlack, db: Database) -> None:
    world = build_world(slack, db, channel=False)
    lena, bola, amara, diana = world.lead, world.backup, world.mentor, world.mentee
    answers_disagree(db, world)
    slack.deliver()
    alert = alert_in(lena, "gave different answers")
    assert labels(alert) == BUTTONS
    assert labels(alert_in(bola, "gave different answers")) == BUTTONS, "each lead's copy can be acted on"

    lena.click("Check in with Amara Okafor", in_message=alert)
    form = lena.modal or {}
    assert form.get("callback_id") == "pair_alert_check_in_form"
    assert f"<@{diana.user_id}> won't see it" in view_text(form)
    lena.fill({"Your message": CHECK_IN})
    submitted = dict(form)
    assert lena.submit().ok
    assert "on its way" in view_text(lena.modal or {})
    replay_submission(lena, submitted)  # Slack delivering the same form twice: one message
    slack.deliver()

    delivered = [s for s in amara.dms() if "CHECKIN-WORDS" in s.text]
    assert len(delivered) == 1
    assert "private message from" in delivered[0].text.lower() and f"<@{lena.user_id}>" in json.dumps(
        delivered[0].blocks
    )
    for other in (diana, bola, lena):
        assert not any("CHECKIN-WORDS" in s.text for s in other.seen()), other.name
    amara_im = slack.emulator.im_channel(amara.user_id)
    lena_view_calls = {"views.open", "views.push", "views.update", "response_url"}
    for call in slack.emulator.calls:
        if "CHECKIN-WORDS" in json.dumps(call.args) and call.method not in lena_view_calls:
            assert call.args.get("channel") == amara_im, f"{call.method} carried the check-in elsewhere"
    with db.session() as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "pair_alert_check_in")).all()
        assert len(rows) == 1 and "CHECKIN-WORDS" not in json.dumps(rows[0].payload)
        [done] = session.scalars(select(AlertAction)).all()
        assert done.message == CHECK_IN, "kept (encrypted) with who sent it, when, for which pair"
        assert done.at is not None and done.alert_kind == "session_answers_conflict"
    assert actions_done(db) == [("check_in", lena.user_id, amara.user_id, world.pair_id)]

    # Both leads' copies of the alert now say what was done, and by whom.
    for lead in (lena, bola):
        copy = alert_in(lead, "gave different answers")
        assert f"<@{lena.user_id}> checked in privately with <@{amara.user_id}>" in copy.text, lead.name
        assert "CHECKIN-WORDS" not in copy.text
    assert slack.emulator.calls_to("chat.update"), "the alert was updated through chat.update"


def test_pause_rematch_and_mark_handled_from_an_at_risk_alert(slack: LocalSlack, db: Database) -> None:
    world = build_world(slack, db)  # alerts go to the leads' private channel
    lena, bola = world.lead, world.backup
    missed_twice(db, world)
    slack.deliver()
    alert = alert_in(lena, "may need support")
    assert alert.channel == world.channel and labels(alert) == BUTTONS

    lena.click("Pause the pair", in_message=alert)
    assert pair_status(db, world) == "paused"
    slack.deliver()
    for person in (world.mentor, world.mentee):
        # Each hears "taking a short break" on their own next working morning (the pause's neutral
        # words); nothing either of them sees says why, or mentions a risk or an alert.
        seen = " ".join(s.text.lower() for s in person.dms())
        assert "risk" not in seen and "alert" not in seen
    alert = alert_in(bola, "may need support")
    assert "Pause the pair" not in labels(alert) and f"<@{lena.user_id}> paused the pair" in alert.text

    bola.click("Rematch", in_message=alert)
    assert pair_status(db, world) == "ended"
    with db.session() as session:
        statuses = set(session.scalars(select(Enrolment.status).where(Enrolment.programme_id == world.programme_id)))
        assert statuses == {"waiting"}, "both people are back in the pool"
    slack.deliver()
    assert any("back in the pool" in s.text for s in world.mentor.dms())

    alert = alert_in(lena, "may need support")
    assert labels(alert) == ["Check in with Amara Okafor", "Check in with Diana Reyes", "Mark handled"]
    lena.click("Mark handled", in_message=alert)
    alert = alert_in(lena, "may need support")
    assert labels(alert) == [] and f"<@{lena.user_id}> marked this handled" in alert.text
    replay_button(bola, "pair_alert_handled", str(alert_row_id(db)))
    assert any("already marked this alert handled" in s.text for s in bola.seen())
    assert actions_done(db) == [
        ("paused", lena.user_id, None, world.pair_id),
        ("rematched", bola.user_id, None, world.pair_id),
        ("handled", lena.user_id, None, world.pair_id),
    ]


def alert_row_id(db: Database) -> int:
    with db.session() as session:
        return int(
            session.scalars(
                select(OutboxMessage.id).where(
                    OutboxMessage.kind.in_(["pair_at_risk", "session_answers_conflict"]), OutboxMessage.status == "sent"
                )
            ).first()
            or 0
        )


def test_only_the_programmes_leads_can_act_on_an_alert(slack: LocalSlack, db: Database) -> None:
    world = build_world(slack, db, channel=False)
    other = build_world(slack, db, name="Other Programme", prefix="x", channel=False)
    answers_disagree(db, world)
    slack.deliver()
    alert_id = alert_row_id(db)
    actions = {
        "pair_alert_check_in_mentor": [str(alert_id), str(alert_id + 1), "x"],
        "pair_alert_check_in_mentee": [str(alert_id), ""],
        "pair_alert_pause": [str(alert_id), str(alert_id + 1)],
        "pair_alert_rematch": [str(alert_id), "1 OR 1=1"],
        "pair_alert_handled": [str(alert_id), ""],
    }
    for intruder in (world.mentor, world.mentee, other.lead, other.mentor):
        for action_id, values in actions.items():
            for value in values:
                replay_button(intruder, action_id, value)
        assert any("isn't one you can act on" in s.text for s in intruder.seen()), intruder.name
        assert slack.emulator.view_stack(intruder.user_id) == [], "no check-in form for anyone else"
    assert pair_status(db, world) == "active" and actions_done(db) == []
    # A lead's form, replayed by someone else, sends nothing either.
    world.lead.click("Check in with Diana Reyes")
    form = world.lead.modal or {}
    world.lead.close_modal()
    forged = {"values": {"message": {"value": {"type": "plain_text_input", "value": "FORGED"}}}}
    replay_submission(world.mentor, {**form, "state": forged})
    slack.deliver()
    assert actions_done(db) == [] and not any("FORGED" in s.text for s in world.mentee.seen())

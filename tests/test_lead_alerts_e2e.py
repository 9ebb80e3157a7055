"""Issue 14, item 4, the rest: declined or lapsed matches and long pauses reach the lead with actions.

A match the mentor declined (or let lapse) never became a pair, and the mentee never knew of it:
its alert carries "Check in with" either person (the lead writes, the app delivers privately),
"Open the next proposal" and "Mark handled". A break that lasts longer than ``LONG_PAUSE_WEEKS``
(four weeks by default) alerts the leads with the pair alert's actions; a lead's pause from an
alert can be resumed from it. What was done is recorded and every copy of the alert shows it; the
declined mentor's name never reaches the mentee, in any message, view or file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

from freezegun import freeze_time
from sqlalchemy import select

from bot.db import Database
from bot.emulator import view_text
from bot.emulator.state import Seen
from bot.local_slack import LocalSlack, Person
from bot.models import AlertAction, OutboxMessage, Pair
from tests.factory import MONDAY, build_world, create_programme, enrol, missed_twice, replay_button, replay_submission

WORKING_MORNING = MONDAY.replace(hour=10)
OFFER_BUTTONS = ["Check in with Amara Okafor", "Check in with Diana Reyes", "Open the next proposal", "Mark handled"]
CHECK_IN_WORDS = "How are you finding the programme so far? LEAD-CHECKIN"


def labels(seen: Seen) -> list[str]:
    return [e["text"]["text"] for b in seen.blocks if b.get("type") == "actions" for e in b["elements"]]


def latest(person: Person, words: str) -> Seen:
    return next(s for s in reversed(person.seen()) if words in s.text)


def seen_by(slack: LocalSlack, user_id: str) -> Iterator[str]:
    """Every message, view and file the emulator shows ``user_id``."""
    emulator = slack.emulator
    for stored in emulator._views.values():
        if stored.user_id == user_id:
            yield json.dumps(stored.data, ensure_ascii=False)
    for seen in emulator.seen_by(user_id):
        yield seen.text + json.dumps(seen.blocks, ensure_ascii=False)
        for file_id in seen.files:
            stored_file = emulator.file(file_id)
            if stored_file is not None:
                yield stored_file.bytes.decode("utf-8", "replace") + stored_file.title
    for call in emulator.calls:
        if call.method in {"chat.postMessage", "chat.update"}:
            conv = emulator.conversation(str(call.args.get("channel")))
            if conv is not None and user_id in conv.members:
                yield json.dumps(call.args, ensure_ascii=False)


def test_a_declined_match_can_be_acted_on_and_the_mentee_never_learns_who(
    slack: LocalSlack, db: Database
) -> None:
    admin = slack.person("olu", real_name="Olu Admin", is_admin=True)
    lena = slack.person("lena", real_name="Lena Lead")
    bola = slack.person("bola", real_name="Bola Backup")
    amara = slack.person("amara", real_name="Amara Okafor", title="Data Analyst")
    ben = slack.person("ben", real_name="Ben Hughes", title="Graduate Engineer")
    diana = slack.person("diana", real_name="Diana Reyes", title="Chief Financial Officer")
    with freeze_time(WORKING_MORNING) as clock:
        create_programme(admin, [lena], **{"Backup lead": bola.user_id})
        enrol(amara, "mentor", "Acme", "Finance", topics=["race-ethnicity"])
        enrol(ben, "mentor", "Initech", "Sales")
        enrol(diana, "mentee", "Globex", "Strategy", topics=["race-ethnicity"])
        lena.command("/mentoring", "match")
        assert lena.submit().ok
        slack.deliver()
        offer = next(s for s in reversed(amara.dms()) if s.has_button("No, not this match"))
        amara.click("No, not this match", in_message=offer)
        slack.deliver()
        clock.move_to(WORKING_MORNING + timedelta(days=7))
        slack.deliver()

        for lead in (lena, bola):
            alert = latest(lead, "did not go ahead")
            assert labels(alert) == OFFER_BUTTONS, lead.name
            assert "declined" not in alert.text, "neutral: not who decided, nor whether it was a no"

        # A private word with the mentee, who never knew of the match.
        alert = latest(lena, "did not go ahead")
        lena.click("Check in with Diana Reyes", in_message=alert)
        form = lena.modal or {}
        assert "never told about this proposed match" in view_text(form)
        lena.fill({"Your message": CHECK_IN_WORDS})
        submitted = dict(form)
        assert lena.submit().ok
        replay_submission(lena, submitted)  # delivered twice by Slack: one message
        # And with the mentor, who needed no reason to say no.
        lena.click("Check in with Amara Okafor", in_message=latest(lena, "did not go ahead"))
        assert "needed no reason" in view_text(lena.modal or {})
        lena.fill({"Your message": "Thank you for letting us know. MENTOR-CHECKIN"})
        assert lena.submit().ok
        slack.deliver()

    delivered = [s for s in diana.dms() if "LEAD-CHECKIN" in s.text]
    assert len(delivered) == 1
    assert "partner" not in json.dumps(delivered[0].blocks), "she has no partner to be told about"
    assert [s for s in amara.dms() if "MENTOR-CHECKIN" in s.text]
    for other in (amara, ben, bola):
        assert not any("LEAD-CHECKIN" in s.text for s in other.seen()), other.name

    # The other lead's copy shows both check-ins; the next proposal opens from the alert.
    copy = latest(bola, "did not go ahead")
    assert f"<@{lena.user_id}> checked in privately with <@{diana.user_id}>" in copy.text
    assert f"<@{lena.user_id}> checked in privately with <@{amara.user_id}>" in copy.text
    bola.click("Open the next proposal", in_message=copy)
    shown = view_text(bola.modal or {})
    assert "*Ben Hughes* (mentor) with *Diana Reyes* (mentee)" in shown
    assert "*Amara Okafor* (mentor) with *Diana Reyes*" not in shown, "never proposed to each other again"
    bola.close_modal()
    copy = latest(lena, "did not go ahead")
    assert f"<@{bola.user_id}> opened the next proposal" in copy.text
    lena.click("Mark handled", in_message=copy)
    assert labels(latest(bola, "did not go ahead")) == []
    with db.session() as session:
        done = [(a.action, a.pair_id is None, a.offer_id is not None) for a in session.scalars(select(AlertAction))]
    assert done == [
        ("check_in", True, True),
        ("check_in", True, True),
        ("next_proposal", True, True),
        ("handled", True, True),
    ]

    # Nothing Diana was ever shown names Amara: not her id, not any part of her name.
    payloads = list(seen_by(slack, diana.user_id))
    assert payloads
    for blob in payloads:
        for secret in (amara.user_id, "Amara", "Okafor"):
            assert secret not in blob, f"{secret!r} reached the mentee: {blob[:200]}"

    # Only the programme's leads can act on it: a forged click from the mentee or mentor is refused.
    with db.session() as session:
        alert_id = session.scalars(
            select(OutboxMessage.id).where(OutboxMessage.kind == "match_not_going_ahead")
        ).first()
    for intruder in (amara, diana):
        replay_button(intruder, "pair_alert_check_in_mentor", str(alert_id))
        replay_button(intruder, "pair_alert_next_proposal", str(alert_id))
    with db.session() as session:
        assert len(session.scalars(select(AlertAction)).all()) == 4, "nothing more was done"


def test_a_long_pause_alerts_the_leads_with_actions_and_a_short_one_does_not(
    slack: LocalSlack, db: Database
) -> None:
    with freeze_time(WORKING_MORNING) as clock:
        world = build_world(slack, db, channel=False)
        lena, bola, amara = world.lead, world.backup, world.mentor
        amara.command("/mentoring", "pause")  # until she resumes: no end date
        slack.deliver()
        clock.move_to(WORKING_MORNING + timedelta(weeks=4) - timedelta(hours=1))
        slack.deliver()
        assert not any("taking a break from" in s.text and "more than" in s.text for s in lena.seen())
        clock.move_to(WORKING_MORNING + timedelta(weeks=4, hours=1))
        slack.deliver()
        alert = latest(lena, "for more than 4 weeks")
        assert "Amara Okafor" in alert.text
        assert labels(alert) == ["Check in with Amara Okafor", "Check in with Diana Reyes", "Rematch", "Mark handled"]
        assert labels(latest(bola, "for more than 4 weeks")) == labels(alert)
        for person in (world.mentor, world.mentee):
            assert not any("more than 4 weeks" in s.text for s in person.seen())
        lena.click("Mark handled", in_message=alert)
        assert f"<@{lena.user_id}> marked this handled" in latest(bola, "for more than 4 weeks").text

    # A two-week break ends by itself first: no alert. Resuming early cancels a pending one.
    with freeze_time(WORKING_MORNING + timedelta(weeks=10)) as clock:
        amara.command("/mentoring", "resume")
        world.mentee.command("/mentoring", "pause 2")
        slack.deliver()
        clock.move_to(WORKING_MORNING + timedelta(weeks=15))
        slack.deliver()
        world.mentee.command("/mentoring", "pause")
        world.mentee.command("/mentoring", "resume")
        clock.move_to(WORKING_MORNING + timedelta(weeks=25))
        slack.deliver()
    with db.session() as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "pause_long_alert")).all()
        sent = [r for r in rows if r.status == "sent"]
        assert len(sent) == 2, "only Amara's open-ended break, once to each lead"
        assert all(r.status in ("sent", "cancelled") for r in rows)


def test_a_lead_pauses_from_an_alert_and_resumes_from_it(slack: LocalSlack, db: Database) -> None:
    world = build_world(slack, db, channel=False)
    lena = world.lead
    missed_twice(db, world)  # two sessions in a row that did not happen: at risk
    slack.deliver()
    alert = latest(lena, "may need support")
    assert "Resume the pair" not in labels(alert)
    lena.click("Pause the pair", in_message=alert)
    alert = latest(lena, "may need support")
    assert "Resume the pair" in labels(alert)
    lena.click("Resume the pair", in_message=alert)
    with db.session() as session:
        pair = session.get(Pair, world.pair_id)
        assert pair is not None and pair.status == "active"
    copy = latest(world.backup, "may need support")
    assert f"<@{lena.user_id}> resumed the pair" in copy.text and "Resume the pair" not in labels(copy)
    assert "Pause the pair" in labels(copy)
    with db.session() as session:
        assert [a.action for a in session.scalars(select(AlertAction).order_by(AlertAction.id))] == [
            "paused",
            "resumed",
        ]

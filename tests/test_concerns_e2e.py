"""Issue 6, concerns: a private route to the independent programme lead, as people live it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError, OperationalError

from bot.clock import as_utc, now
from bot.concerns import service as concerns
from bot.concerns.service import AuditTrailIsAppendOnly
from bot.db import Database
from bot.emulator import view_text
from bot.errors import NotAllowed, error_text
from bot.journey.service import next_working_morning
from bot.local_slack import LocalSlack, Person
from bot.models import (
    Concern,
    ConcernEvent,
    Enrolment,
    OutboxMessage,
    Pair,
)
from bot.programmes import pauses
from tests.factory import SUPPORT, ConcernWorld, build_world, hold_session


def raise_concern(
    person: Person,
    details: str,
    *,
    urgency: str = "This week",
    anonymous: bool = False,
    helps: str = "",
    how: str = "command",
) -> None:
    if how == "shortcut":
        person.shortcut("raise_concern")
    else:
        person.command("/mentoring", "concern")
    assert person.modal is not None and person.modal["callback_id"] == "concern_form"
    fields = {
        "What would you like the programme lead to know?": details,
        "How soon do you need a response?": urgency,
        "How would you like to raise it?": "anonymous" if anonymous else "named",
    }
    if helps:
        fields["What would help?"] = helps
    person.fill(fields)
    result = person.submit()
    assert result.ok and not result.errors, result.errors


def texts(person: Person) -> str:
    return "\n".join(seen.text for seen in person.seen())


def settled(slack: LocalSlack, world: ConcernWorld) -> dict[str, int]:
    """Deliver what the world's making sent (match notices, the leads' guides) and mark where each
    person's messages stood, so a test can ask what came after."""
    slack.deliver()
    return {person.user_id: len(person.seen()) for person in world.people}


def texts_after(person: Person, mark: dict[str, int]) -> str:
    return "\n".join(seen.text for seen in person.seen()[mark.get(person.user_id, 0):])


def only_concern(db: Database) -> Concern:
    with db.session() as session:
        rows = session.scalars(select(Concern)).all()
        assert len(rows) == 1
        return rows[0]


def audit_actions(db: Database, concern_id: int) -> list[tuple[str, str | None]]:
    with db.session() as session:
        rows = session.scalars(
            select(ConcernEvent).where(ConcernEvent.concern_id == concern_id).order_by(ConcernEvent.id)
        ).all()
        return [(row.action, row.actor_user_id) for row in rows]


def test_a_mentor_raises_a_concern_that_a_lead_reads_acknowledges_and_closes(slack: LocalSlack, db: Database) -> None:
    world = build_world(slack, db)
    mark = settled(slack, world)
    backup_dms = len(world.backup.dms())
    amara, lena = world.mentor, world.lead
    raise_concern(
        amara,
        "My mentee keeps cancelling at the last minute.",
        urgency="Today, I need help now",
        helps="A quiet word, please",
    )
    assert "Sent privately" in view_text(amara.modal or {})
    slack.deliver()

    receipt = texts(amara)
    assert "Your concern has gone privately" in receipt and "Employee assistance programme" in receipt
    assert SUPPORT in receipt, "the programme's own support resources are in the receipt"
    assert "last minute" not in receipt
    alert = texts(lena)
    assert "A concern has been raised in Inclusive Leadership" in alert
    assert "Urgent: today" in alert and "Amara Okafor (mentor) and Diana Reyes (mentee)" in alert
    assert "last minute" not in alert, "an alert never carries the concern's text"
    channel_messages = slack.emulator.messages_in(world.channel or "")
    assert len(channel_messages) == 1 and "last minute" not in json.dumps(channel_messages[0].blocks)
    assert texts_after(world.mentee, mark) == "", "the partner is never told"
    assert world.backup.dms()[backup_dms:] == [], "the backup lead is DMed only when the leads don't answer"

    lena.click("Open")
    shown = view_text(lena.modal or {})
    assert "My mentee keeps cancelling at the last minute." in shown and "A quiet word, please" in shown
    assert f"<@{amara.user_id}>" in shown
    lena.click("Acknowledge")
    assert "Acknowledged" in view_text(lena.modal or {})
    slack.deliver()
    assert "The programme lead has seen your concern" in texts(amara)

    lena.click("Close with an outcome note")
    lena.fill({"Outcome note": "Spoke to both; agreed fixed slots. SECRET-OUTCOME"})
    assert lena.submit().ok
    concern = only_concern(db)
    assert concern.status == "closed" and concern.outcome_note == "Spoke to both; agreed fixed slots. SECRET-OUTCOME"
    assert "Closed" in view_text(lena.modal or {})
    slack.deliver()
    assert "closed your concern" in texts(amara)
    assert "SECRET-OUTCOME" not in texts(amara), "the reporter never sees the lead's notes"
    actions = [action for action, _ in audit_actions(db, concern.id)]
    assert actions[:2] == ["raised", "channel_alerted"]
    assert {"opened", "acknowledged", "closed"} <= set(actions)


def test_a_concern_can_be_raised_from_the_shortcut_and_a_button(slack: LocalSlack, db: Database) -> None:
    world = build_world(slack, db, channel=False)
    raise_concern(world.mentee, "Shortcut concern", how="shortcut")
    hold_session(db, world)
    slack.deliver()
    prompt = next(s for s in world.mentor.dms() if s.has_button("Raise a concern"))
    world.mentor.click("Raise a concern", in_message=prompt)
    assert world.mentor.modal is not None and world.mentor.modal["callback_id"] == "concern_form"
    with db.session() as session:
        assert len(session.scalars(select(Concern)).all()) == 1


def test_someone_not_in_a_programme_is_shown_support_instead(slack: LocalSlack, db: Database) -> None:
    stranger = slack.person("sam")
    stranger.command("/mentoring", "concern")
    shown = view_text(stranger.modal or {})
    assert "not in a mentoring programme" in shown and "Employee assistance programme" in shown


def test_an_anonymous_concern_hides_the_reporter_from_the_lead(slack: LocalSlack, db: Database) -> None:
    world = build_world(slack, db)
    raise_concern(world.mentor, "Anonymous worry", anonymous=True)
    slack.deliver()
    assert "stay anonymous" in texts(world.mentor)
    world.lead.click("Open")
    shown = json.dumps(world.lead.modal)
    assert "Anonymous" in shown and world.mentor.user_id not in shown
    assert "Contact the reporter" not in shown
    concern = only_concern(db)
    assert all(actor != world.mentor.user_id for _, actor in audit_actions(db, concern.id))
    with pytest.raises(NotAllowed) as refused:
        concerns.contact_reporter(db, concern.id, world.lead.user_id)
    assert refused.value.code == "concerns.reporter_anonymous"


def test_contact_the_reporter_tells_them_the_lead_will_be_in_touch(slack: LocalSlack, db: Database) -> None:
    world = build_world(slack, db, channel=False)
    raise_concern(world.mentor, "Named worry")
    slack.deliver()
    world.lead.click("Open")
    world.lead.click("Contact the reporter")
    slack.deliver()
    assert "will be in touch" in texts(world.mentor) and f"<@{world.lead.user_id}>" in texts(world.mentor)
    assert only_concern(db).status == "acknowledged"


def test_pausing_stops_the_pairs_prompts_and_tells_both_neutrally(slack: LocalSlack, db: Database) -> None:
    world = build_world(slack, db, channel=False)
    hold_session(db, world)
    raise_concern(world.mentee, "Please pause us")
    slack.deliver()
    world.lead.click("Open")
    world.lead.click("Pause the pair")
    with db.session() as session:
        assert session.get(Pair, world.pair_id).status == "paused"  # type: ignore[union-attr]
        pending = session.scalars(
            select(OutboxMessage).where(OutboxMessage.pair_id == world.pair_id, OutboxMessage.status == "pending")
        ).all()
        assert pending == [], "no prompt, reminder or nudge is left for a paused pair"
    # Not one message to both at once (the senior could guess a concern): each is told on their own
    # next working morning, in the words a partner hears when someone simply takes a break.
    with db.session() as session:
        notices = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == pauses.PARTNER_NOTICE)).all()
        assert {n.recipient_user_id for n in notices} == {world.mentor.user_id, world.mentee.user_id}
        for notice in notices:
            expected = next_working_morning(as_utc(notice.created_at), "UTC")  # both work on UTC here
            assert as_utc(notice.send_at) == expected
        session.execute(
            update(OutboxMessage).where(OutboxMessage.kind == pauses.PARTNER_NOTICE).values(send_at=now())
        )
    slack.deliver()
    mentor_notice = [s.text for s in world.mentor.dms() if "taking a short break" in s.text]
    mentee_notice = [s.text for s in world.mentee.dms() if "taking a short break" in s.text]
    assert mentor_notice and mentee_notice
    for words in mentor_notice + mentee_notice:
        assert "concern" not in words.lower() and "programme lead" not in words.lower()
    with db.session() as session:
        reminders = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reflection_reminder")).all()
        assert reminders and {r.status for r in reminders} == {"cancelled"}, "the reflection reminders stopped"
    assert "Pause the pair" not in view_text(world.lead.modal or {})


def test_rematch_ends_the_pair_and_puts_both_back_in_the_pool(slack: LocalSlack, db: Database) -> None:
    world = build_world(slack, db, channel=False)
    raise_concern(world.mentor, "We are not a good match")
    slack.deliver()
    world.lead.click("Open")
    world.lead.click("Rematch")
    with db.session() as session:
        pair = session.get(Pair, world.pair_id)
        assert pair is not None and pair.status == "ended" and pair.ended_at is not None
        statuses = set(session.scalars(select(Enrolment.status).where(Enrolment.programme_id == world.programme_id)))
        assert statuses == {"waiting"}
    slack.deliver()
    assert "back in the pool" in texts(world.mentor) and "back in the pool" in texts(world.mentee)
    # The same button again (a retry, a second lead): the state is checked, nothing happens twice.
    with pytest.raises(NotAllowed) as refused:
        concerns.rematch_pair(db, only_concern(db).id, world.lead.user_id)
    assert refused.value.code == "concerns.already_ended"


def test_an_unacknowledged_urgent_concern_is_chased_then_escalated(slack: LocalSlack, db: Database) -> None:
    start = datetime(2027, 3, 3, 10, 0, tzinfo=UTC)  # a Wednesday
    with freeze_time(start) as clock:
        world = build_world(slack, db, channel=False)
        mark = settled(slack, world)
        admin = slack.person("olu", real_name="Olu Admin")
        assert slack.runtime is not None
        slack.runtime.settings.admins.append(admin.user_id)
        raise_concern(world.mentor, "Urgent thing", urgency="Today, I need help now")
        slack.deliver()
        clock.move_to(start + timedelta(hours=1, minutes=59))
        slack.deliver()
        assert "Reminder" not in texts_after(world.lead, mark)
        clock.move_to(start + timedelta(hours=2))
        slack.deliver()
        assert "Reminder: a concern in Inclusive Leadership is waiting for you" in texts_after(world.lead, mark)
        assert texts_after(world.backup, mark) == "" and texts(admin) == ""
        clock.move_to(start + timedelta(hours=4))
        slack.deliver()
        assert "has not been acknowledged" in texts_after(world.backup, mark)
        assert world.backup.dms()[-1].has_button("Open")
        assert "has not been acknowledged" in texts(admin)
        assert not admin.dms()[-1].has_button("Open"), "an admin is not a lead: they are told, not shown"
        assert "Urgent thing" not in texts(admin) + texts_after(world.backup, mark)
        actions = [action for action, _ in audit_actions(db, only_concern(db).id)]
        assert "chased" in actions and "escalated" in actions
        # The backup lead can read and acknowledge it; the admin cannot read it.
        world.backup.click("Acknowledge")
        assert only_concern(db).status == "acknowledged"
        admin_view = concerns.open_concerns_for_lead(db, admin.user_id)
        assert admin_view == []


def test_a_concern_acknowledged_in_time_is_not_chased(slack: LocalSlack, db: Database) -> None:
    friday = datetime(2027, 3, 5, 15, 0, tzinfo=UTC)
    with freeze_time(friday) as clock:
        world = build_world(slack, db, channel=False)
        mark = settled(slack, world)
        raise_concern(world.mentor, "A slow-burning worry", urgency="This week")
        rows = [r for r in concern_rows(db) if r.kind == concerns.CHASE_KIND]
        first = min(r.send_at for r in rows)
        assert first.replace(tzinfo=UTC) == datetime(2027, 3, 8, 15, 0, tzinfo=UTC), "one working day: Monday"
        slack.deliver()
        world.lead.click("Acknowledge")
        clock.move_to(datetime(2027, 3, 10, 15, 0, tzinfo=UTC))
        slack.deliver()
        assert "Reminder" not in texts_after(world.lead, mark) and texts_after(world.backup, mark) == ""


def concern_rows(db: Database) -> list[OutboxMessage]:
    with db.session() as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.topic.like("concern:%"))))


def test_alerts_never_go_to_a_channel_that_is_not_private_to_leads(slack: LocalSlack, db: Database) -> None:
    world = build_world(slack, db)
    outsider = slack.person("nosy")
    slack.emulator.set_channel(world.channel or "", members=[world.lead.user_id, outsider.user_id])
    raise_concern(world.mentor, "Channel check")
    slack.deliver()
    assert slack.emulator.messages_in(world.channel or "") == []
    assert texts(outsider) == ""
    assert "not private to this programme's leads" in texts(world.lead)
    assert "channel_refused" in [a for a, _ in audit_actions(db, only_concern(db).id)]


def test_nobody_but_the_programmes_leads_can_open_or_act_on_a_concern(slack: LocalSlack, db: Database) -> None:
    world = build_world(slack, db, channel=False)
    other = build_world(slack, db, name="Other Programme", prefix="x", channel=False)
    raise_concern(world.mentor, "For my lead only: PRIVATE-DETAIL")
    slack.deliver()
    alert = next(s for s in world.lead.dms() if s.has_button("Open"))
    concern_id = only_concern(db).id
    for intruder in (world.mentee, other.lead, other.mentor, world.mentor):
        for action_id in ("concern_open", "concern_acknowledge", "concern_pause", "concern_rematch", "concern_close"):
            # Replay the alert's button as if this person had it, with the real id and a changed one.
            for value in (str(concern_id), str(concern_id + 1), "1 OR 1=1"):
                action = {
                    "action_id": action_id,
                    "block_id": "x",
                    "type": "button",
                    "value": value,
                    "text": {"type": "plain_text", "text": "Open"},
                    "action_ts": "1",
                }
                intruder._send_message_action(alert, action)
        assert "PRIVATE-DETAIL" not in json.dumps(slack.emulator.view_stack(intruder.user_id))
        assert "PRIVATE-DETAIL" not in texts(intruder)
        assert error_text("concerns.not_visible") in texts(intruder)
    assert only_concern(db).status == "open"
    with db.session() as session:
        assert session.get(Pair, world.pair_id).status == "active"  # type: ignore[union-attr]


def test_the_audit_trail_is_append_only(slack: LocalSlack, db: Database) -> None:
    world = build_world(slack, db, channel=False)
    raise_concern(world.mentor, "Audit me")
    concern_id = only_concern(db).id
    with db.session() as session:
        event = session.scalars(select(ConcernEvent).where(ConcernEvent.concern_id == concern_id)).first()
        assert event is not None
        event.action = "tampered"
        with pytest.raises(AuditTrailIsAppendOnly):
            session.flush()
        session.rollback()
    with db.session() as session:
        event = session.scalars(select(ConcernEvent)).first()
        with pytest.raises(AuditTrailIsAppendOnly):
            session.delete(event)
            session.flush()
        session.rollback()
    # Below the ORM too: the database itself refuses an UPDATE.
    with pytest.raises(DBAPIError), db.session() as session:
        session.execute(update(ConcernEvent).values(action="tampered"))
    with pytest.raises(DBAPIError), db.session() as session:
        session.execute(text("UPDATE concern_events SET actor_user_id = 'U0'"))
    assert [a for a, _ in audit_actions(db, concern_id)] == ["raised"]


def test_bad_input_gets_field_errors_and_odd_unicode_is_kept(slack: LocalSlack, db: Database) -> None:
    world = build_world(slack, db, channel=False)
    amara = world.mentor
    amara.command("/mentoring", "concern")
    amara.fill({"What would you like the programme lead to know?": "   \n  "})
    amara.submit(force=True)
    assert amara.errors_by_label()["What would you like the programme lead to know?"] == error_text(
        "concerns.details_required"
    )
    amara.fill({"What would you like the programme lead to know?": "x" * 3001})
    amara.submit(force=True)
    assert amara.errors_by_label()["What would you like the programme lead to know?"] == error_text(
        "concerns.details_too_long", max=3000, length=3001
    )
    odd = "Zero\u200bwidth, RTL \u202eevil\u202c, emoji 👩🏽‍💻, Ω≈ç√, <script>&amp;</script> `*_~"
    amara.fill({"What would you like the programme lead to know?": odd})
    assert amara.submit().ok
    assert only_concern(db).details == odd
    slack.deliver()
    world.lead.click("Open")
    assert odd in view_text(world.lead.modal or {})


def test_a_database_failure_keeps_the_concern_form_open(
    slack: LocalSlack, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = build_world(slack, db, channel=False)
    amara = world.mentor
    amara.command("/mentoring", "concern")
    amara.fill({"What would you like the programme lead to know?": "Please keep this"})
    from sqlalchemy import event

    def fail(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO CONCERNS"):
            raise OperationalError(statement, None, Exception("simulated database failure"))

    event.listen(db.engine, "before_cursor_execute", fail)
    try:
        amara.submit()
    finally:
        event.remove(db.engine, "before_cursor_execute", fail)
    errors = amara.errors_by_label()
    assert errors["What would you like the programme lead to know?"] == error_text("concerns.save_failed")
    assert amara.modal is not None and amara.modal["callback_id"] == "concern_form"
    assert amara.submit().ok, "the same form, sent again, goes through"
    assert only_concern(db).details == "Please keep this"


def test_leads_list_open_concerns_and_reporters_see_their_own(slack: LocalSlack, db: Database) -> None:
    world = build_world(slack, db, channel=False)
    raise_concern(world.mentor, "Listed concern")
    lead_answer = world.lead.command("/mentoring", "concerns").text
    assert "Open concerns (1)" in lead_answer and "Listed concern" not in lead_answer
    mine = world.mentor.command("/mentoring", "concerns").text
    assert "Concerns you have raised" in mine
    assert "Open concerns" not in world.mentee.command("/mentoring", "concerns").text


def test_key_rotation_can_re_encrypt_the_audit_trail_but_nothing_else_changes_it(
    slack: LocalSlack, db: Database, _encryption_keys: str
) -> None:
    from bot import crypto
    from bot.reencrypt import reencrypt_all

    TEST_KEY = _encryption_keys

    world = build_world(slack, db, channel=False)
    raise_concern(world.mentor, "Rotate me")
    concern_id = only_concern(db).id
    concerns.add_note(db, concern_id, world.lead.user_id, "A lead's note, encrypted")
    crypto.configure([crypto.generate_key(), TEST_KEY])
    try:
        # The note is under the reporter's data key: the rotation re-wraps that key (data_keys.wrapped).
        assert reencrypt_all(db) >= 1
        with db.session() as session:
            notes = session.scalars(select(ConcernEvent.note).where(ConcernEvent.note.isnot(None))).all()
            assert notes == ["A lead's note, encrypted"]
    finally:
        crypto.configure([TEST_KEY])
    for statement in (
        "UPDATE concern_events SET note = NULL WHERE note IS NOT NULL",
        "UPDATE concern_events SET action = 'closed' WHERE note IS NOT NULL",
        "UPDATE concern_events SET note = 'x' WHERE note IS NULL",
    ):
        with pytest.raises(DBAPIError), db.session() as session:
            session.execute(text(statement))

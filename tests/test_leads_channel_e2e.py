"""Issue 12: the leads' private channel is checked when it is saved, and every lead alert reaches
the leads by DM when the channel fails.

Slack hides a private channel from an app that was never invited (``channel_not_found``), so the
settings form asks Slack when it is saved: the app must be in the channel and only the programme's
leads may be. Alerts already addressed to the channel (session alerts, pair alerts) that Slack then
refuses (the app removed, the channel archived) go to each lead's DM instead, with their buttons,
and each lead is told the real reason once; never "their account may be deactivated".
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

from sqlalchemy import select

from bot.clock import now
from bot.db import Database
from bot.errors import error_text
from bot.local_slack import LocalSlack, Person
from bot.models import MentoringSession, OutboxMessage, Programme
from bot.sessions import service as sessions
from tests.factory import build_world, make_cast, missed_twice

CHANNEL_FIELD = "Private channel for leads' alerts"
BUTTONS = ["Check in with Amara Okafor", "Check in with Diana Reyes", "Pause the pair", "Rematch", "Mark handled"]


def open_settings(admin: Person, leads: list[Person], channel: str) -> None:
    admin.command("/mentoring", "programme new")
    assert admin.modal is not None
    admin.fill(
        {
            "Programme name": "Inclusive Leadership",
            "Organisation mode": "Across organisations",
            "Programme leads": [lead.user_id for lead in leads],
            CHANNEL_FIELD: channel,
        }
    )


def programme_channel(db: Database) -> tuple[int, str | None]:
    with db.session() as session:
        rows = session.execute(select(Programme.id, Programme.alerts_channel_id)).all()
        return (len(rows), rows[0][1] if rows else None)


def test_the_form_says_the_app_must_be_invited_and_refuses_a_channel_it_is_not_in(
    slack: LocalSlack, db: Database
) -> None:
    cast = make_cast(slack)
    channel = slack.emulator.add_channel("leads", is_private=True, members=[cast.lead.user_id], bot_member=False)
    open_settings(cast.admin, [cast.lead], channel)
    form = json.dumps(cast.admin.modal)
    assert "/invite @reverse-mentoring" in form, "the form tells the lead to invite the app first"

    result = cast.admin.submit()
    assert result.errors
    assert cast.admin.errors_by_label()[CHANNEL_FIELD] == error_text("programmes.alerts_channel_not_invited")
    assert programme_channel(db) == (0, None), "nothing was saved"

    slack.emulator.invite_bot(channel)  # the lead types /invite @reverse-mentoring, then saves again
    result = cast.admin.submit()
    assert result.ok and not result.errors, result.errors
    assert programme_channel(db) == (1, channel)


def test_a_channel_with_anyone_but_the_leads_in_it_is_refused(slack: LocalSlack, db: Database) -> None:
    cast = make_cast(slack)
    crowd = [slack.person(f"lead{i}", real_name=f"Lead {i}") for i in range(3)]
    channel = slack.emulator.add_channel(
        "leads",
        is_private=True,
        members=[cast.lead.user_id, *(c.user_id for c in crowd), cast.mentor.user_id],
        bot_member=True,
    )
    open_settings(cast.admin, [cast.lead, *crowd], channel)
    assert cast.admin.submit().errors
    assert cast.admin.errors_by_label()[CHANNEL_FIELD] == error_text(
        "programmes.alerts_channel_not_only_leads", people=f"<@{cast.mentor.user_id}>"
    )
    assert programme_channel(db) == (0, None)
    members_calls = slack.emulator.calls_to("conversations.members")
    assert members_calls and all(call.args.get("channel") == channel for call in members_calls)



def labels(blocks: list[dict[str, object]]) -> list[str]:
    return [
        element["text"]["text"]  # type: ignore[index]
        for block in blocks
        if block.get("type") == "actions"
        for element in block["elements"]  # type: ignore[attr-defined]
    ]


def test_a_session_alert_the_channel_refuses_reaches_each_lead_by_dm_with_its_buttons(
    slack: LocalSlack, db: Database
) -> None:
    world = build_world(slack, db)
    assert world.channel is not None
    slack.emulator.remove_bot(world.channel)  # someone removed the app from the leads' channel
    missed_twice(db, world)
    slack.deliver()

    assert not slack.emulator.messages_in(world.channel), "nothing could be posted there"
    for lead in (world.lead, world.backup):
        alerts = [s for s in lead.dms() if "may need support" in s.text]
        assert len(alerts) == 1, lead.name
        assert labels(alerts[0].blocks) == BUTTONS, "the DM copy can be acted on like the channel's"
        told = " ".join(s.text for s in lead.dms())
        assert "/invite @reverse-mentoring" in told and f"<#{world.channel}>" in told
        assert "deactivated" not in told, "the real reason, not a guess about someone's account"
    for person in (world.mentor, world.mentee):
        assert not any("support" in s.text or "risk" in s.text for s in person.dms())

    # Acting on one lead's DM copy updates the other's.
    alert = next(s for s in world.lead.dms() if "may need support" in s.text)
    world.lead.click("Mark handled", in_message=alert)
    other = next(s for s in reversed(world.backup.dms()) if "may need support" in s.text)
    assert f"<@{world.lead.user_id}> marked this handled" in other.text

    # Another alert after that: DMs again, and the reason is not repeated.
    slack.deliver()
    with db.session() as session:
        kinds = [
            r.kind
            for r in session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "leads_channel_failed"))
        ]
        assert len(kinds) == 2, "each lead told once"
        assert not session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "delivery_failed")).all()


def test_a_disagreement_alert_falls_back_when_the_channel_is_archived(slack: LocalSlack, db: Database) -> None:
    world = build_world(slack, db)
    assert world.channel is not None
    slack.emulator.set_channel(world.channel, is_archived=True)
    with db.session() as session:
        row = MentoringSession(
            pair_id=world.pair_id,
            programme_id=world.programme_id,
            number=1,
            starts_at=now() - timedelta(hours=2),
            ends_at=now() - timedelta(hours=1),
            status="booked",
            ics_uid=f"{uuid.uuid4()}@test",
            booked_by=world.mentor.user_id,
        )
        session.add(row)
        session.flush()
        session_id = row.id
    sessions.record_answer(db, session_id, world.mentor.user_id, "yes")
    sessions.record_answer(db, session_id, world.mentee.user_id, "no")
    slack.deliver()
    for lead in (world.lead, world.backup):
        assert any("gave different answers" in s.text for s in lead.dms()), lead.name
        told = " ".join(s.text for s in lead.dms())
        assert "archived" in told and "deactivated" not in told

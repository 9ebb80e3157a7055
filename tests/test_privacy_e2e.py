"""Issue 6, the proof: DESIGN section 4 holds over a whole simulated programme.

A unique marker is planted in every sensitive field (off-limits topics, the contract, reflections,
concerns, the lead's notes). Then every Web API call the emulator recorded, every ephemeral and
every view is checked: each marker reaches only the people the visibility table allows, and only
on the surfaces allowed (a marker in any channel, even the leads' private one, fails). Finally no
marker may be found at rest (the SQLite file's bytes, every PostgreSQL table as text) or in logs.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from bot.clock import now
from bot.db import Database
from bot.journey import service as journey
from bot.local_slack import LocalSlack, Person
from bot.models import Base, Concern, Enrolment, MentoringSession, Pair
from bot.sessions import service as sessions
from tests.conftest import raw_sqlite_bytes
from tests.factory import AROUND_THE_CLOCK, accept_offers, create_programme, enrol

RUN = uuid.uuid4().hex[:8]


def marker(name: str) -> str:
    return f"MK{RUN}-{name}"


MARKERS = {
    name: marker(name)
    for name in (
        "OFFLIMITS-AMARA",
        "OFFLIMITS-DIANA",
        "CONTRACT",
        "REFLECT-SHARED",
        "REFLECT-PRIVATE-A1",
        "REFLECT-PRIVATE-A2",
        "REFLECT-PRIVATE-D",
        "CONCERN-NAMED",
        "CONCERN-HELP",
        "CONCERN-ANON",
        "LEAD-NOTE",
        "OUTCOME",
    )
}


@dataclass
class Cast:
    admin: Person
    lead: Person
    backup: Person
    outsider_lead: Person
    amara: Person  # mentor
    diana: Person  # mentee
    channel: str
    pair_id: int = 0


def allowed(cast: Cast) -> dict[str, tuple[set[str], set[str]]]:
    """marker -> (who may receive it, on which surfaces), straight from DESIGN section 4."""
    pair = {cast.amara.user_id, cast.diana.user_id}
    leads = {cast.lead.user_id, cast.backup.user_id}
    personal = {"view", "ephemeral", "im", "mpim"}
    rules: dict[str, tuple[set[str], set[str]]] = {
        "OFFLIMITS-AMARA": (pair, personal),
        "OFFLIMITS-DIANA": (pair, personal),
        "CONTRACT": (pair, personal),
        "REFLECT-SHARED": (pair, {"view", "ephemeral", "mpim"}),  # the partner only in the pair's DM
        "REFLECT-PRIVATE-A1": ({cast.amara.user_id}, {"view", "ephemeral"}),
        "REFLECT-PRIVATE-A2": ({cast.amara.user_id}, {"view", "ephemeral"}),
        "REFLECT-PRIVATE-D": ({cast.diana.user_id}, {"view", "ephemeral"}),
        "CONCERN-NAMED": (leads, {"view"}),  # read in a modal; never in any message
        "CONCERN-HELP": (leads, {"view"}),
        "CONCERN-ANON": (leads, {"view"}),
        "LEAD-NOTE": (leads, {"view"}),
        "OUTCOME": (leads, {"view"}),
    }
    return {MARKERS[name]: rule for name, rule in rules.items()}


def deliveries(slack: LocalSlack) -> Iterator[tuple[str, set[str], str, str]]:
    """Every place the app put content: (surface, audience, what, where) for each call and stored item."""
    emulator = slack.emulator
    bot = emulator.bot_user_id
    for call in emulator.calls:
        blob = json.dumps(call.args, ensure_ascii=False)
        if call.method in {"chat.postMessage", "chat.update", "chat.scheduleMessage"}:
            conv = emulator.conversation(str(call.args.get("channel")))
            surface = conv.kind if conv else "unknown"
            audience = set(conv.members) - {bot} if conv else {"?"}
            yield surface, audience, blob, call.method
        elif call.method == "chat.postEphemeral":
            yield "ephemeral", {str(call.args.get("user"))}, blob, call.method
        elif call.method in {"views.open", "views.push"}:
            trigger = emulator._triggers.get(str(call.args.get("trigger_id")))
            yield "view", {trigger.user_id if trigger else "?"}, blob, call.method
        elif call.method == "views.update":
            view = emulator._views.get(str(call.args.get("view_id")))
            yield "view", {view.user_id if view else "?"}, blob, call.method
        elif call.method == "views.publish":
            yield "view", {str(call.args.get("user_id"))}, blob, call.method
        elif call.method == "response_url":
            # Ephemeral answers are checked below with their recipient; one in the channel is public.
            if call.args.get("response_type") == "in_channel":
                yield "channel", {"everyone"}, blob, call.method
        else:
            yield "other", {"?"}, blob, call.method  # users.info, conversations.open, pins, files ...
    for message in emulator._ephemerals:
        yield "ephemeral", {str(message.ephemeral_to)}, json.dumps([message.text, message.blocks]), "ephemeral"
    for view in emulator._views.values():  # includes views changed by a submission's response_action
        yield "view", {view.user_id}, json.dumps(view.data, ensure_ascii=False), "stored view"


def play_programme(slack: LocalSlack, db: Database) -> Cast:
    admin = slack.person("olu", real_name="Olu Admin", is_admin=True)
    lead = slack.person("lena", real_name="Lena Lead")
    backup = slack.person("bola", real_name="Bola Backup")
    outsider_lead = slack.person("xena", real_name="Xena Elsewhere")
    amara = slack.person("amara", real_name="Amara Okafor", title="Analyst")
    diana = slack.person("diana", real_name="Diana Reyes", title="CFO")
    channel = slack.emulator.add_channel(
        "mentoring-leads", is_private=True, members=[lead.user_id, backup.user_id], bot_member=True
    )
    cast = Cast(admin, lead, backup, outsider_lead, amara, diana, channel)

    create_programme(
        admin,
        [lead],
        name="Privacy Programme",
        **{
            "Backup lead": backup.user_id,
            "Private channel for leads' alerts": channel,
            "Support resources": "Acme EAP: 0800 000 111",
        },
    )
    create_programme(admin, [outsider_lead], name="Another Programme")
    enrol(
        amara,
        "mentor",
        "Acme",
        "Finance",
        programme="Privacy Programme",
        **{"Topics that are off limits for me": MARKERS["OFFLIMITS-AMARA"]},
    )
    enrol(
        diana,
        "mentee",
        "Globex",
        "Strategy",
        programme="Privacy Programme",
        **{"Topics that are off limits for me": MARKERS["OFFLIMITS-DIANA"]},
    )
    with db.session() as session:  # this story runs on the real clock: nothing waits for a working morning
        for enrolment in session.scalars(select(Enrolment)):
            for name, value in AROUND_THE_CLOCK.items():
                setattr(enrolment, name, value)
    amara.command("/mentoring", "profile")
    lead.command("/mentoring", "match Privacy Programme")
    assert lead.submit().ok
    assert accept_offers(slack, amara) == 1
    with db.session() as session:
        pair = session.scalars(select(Pair)).one()
        cast.pair_id = pair.id

    # The contract (the pair journey's): both agree, so it is posted and pinned in their DM.
    assert slack.runtime is not None
    content = slack.runtime.content
    answers = {prompt.id: f"{MARKERS['CONTRACT']} {prompt.title}" for prompt in content.contracting.prompts}
    saved = journey.save_contract(db, content, cast.pair_id, amara.user_id, answers, opened_version=0)
    for person in (amara, diana):
        journey.agree_to_contract(db, cast.pair_id, person.user_id, saved.state.version)
    slack.deliver()

    # A session is held: both are asked to reflect, privately.
    with db.session() as session:
        row = MentoringSession(
            pair_id=cast.pair_id,
            programme_id=pair.programme_id,
            number=1,
            starts_at=now() - timedelta(hours=2),
            ends_at=now() - timedelta(hours=1),
            status="booked",
            ics_uid=f"{uuid.uuid4()}@privacy",
            booked_by=amara.user_id,
        )
        session.add(row)
        session.flush()
        session_id = row.id
    sessions.record_answer(db, session_id, diana.user_id, "yes")
    slack.deliver()
    amara.click("Write my reflection")
    amara.fill(
        {
            "Key takeaways": MARKERS["REFLECT-SHARED"],
            "What I will do differently": MARKERS["REFLECT-PRIVATE-A1"],
            "What I want to explore next time": MARKERS["REFLECT-PRIVATE-A2"],
            "How safe did you feel to speak openly?": "2",
            "Share with my partner": True,
        }
    )
    assert amara.submit().ok
    diana.click("Write my reflection")
    diana.fill({"Key takeaways": MARKERS["REFLECT-PRIVATE-D"], "What I will do differently": "More listening"})
    assert diana.submit().ok
    slack.deliver()
    amara.command("/mentoring", "reflections")
    diana.command("/mentoring", "reflections")

    # Two concerns: one named (from a reflection prompt's button), one anonymous (the shortcut).
    amara.command("/mentoring", "concern")
    amara.fill(
        {
            "What would you like the programme lead to know?": MARKERS["CONCERN-NAMED"],
            "What would help?": MARKERS["CONCERN-HELP"],
            "How soon do you need a response?": "Today, I need help now",
        }
    )
    assert amara.submit().ok
    diana.shortcut("raise_concern")
    diana.fill(
        {
            "What would you like the programme lead to know?": MARKERS["CONCERN-ANON"],
            "How would you like to raise it?": "anonymous",
        }
    )
    assert diana.submit().ok
    slack.deliver()

    # The lead reads both, notes one, closes the other; the backup lead reads one; others try.
    with db.session() as session:
        named, anonymous = session.scalars(select(Concern).order_by(Concern.id)).all()
    for concern_id in (named.id, anonymous.id):
        alert = next(s for s in lead.dms() if s.has_button("Open"))
        action = {
            "action_id": "concern_open",
            "block_id": "x",
            "type": "button",
            "value": str(concern_id),
            "text": {"type": "plain_text", "text": "Open"},
            "action_ts": "1",
        }
        lead._send_message_action(alert, action)
        for intruder in (outsider_lead, diana, amara, admin):
            intruder._send_message_action(alert, action)
    lead.click("Add a note")
    lead.fill({"Note": MARKERS["LEAD-NOTE"]})
    assert lead.submit().ok
    lead.close_modal()
    lead.click("Open", in_message=next(s for s in lead.dms() if s.has_button("Open")))
    lead.click("Close with an outcome note")
    lead.fill({"Outcome note": MARKERS["OUTCOME"]})
    assert lead.submit().ok
    backup.click("Open", in_message=next(s for s in slack_seen_in(slack, channel, backup) if s.has_button("Open")))
    slack.deliver()
    for person in (lead, backup, outsider_lead, amara, diana, admin):
        person.open_home()
    return cast


def slack_seen_in(slack: LocalSlack, channel: str, person: Person) -> list[Any]:
    return [s for s in person.seen() if s.channel == channel]


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """DEBUG for the app, as production runs it at LOG_LEVEL=DEBUG (Slack libraries held at INFO)."""
    caplog.set_level(logging.DEBUG)
    quiet = [logging.getLogger(name) for name in ("slack_bolt", "slack_sdk", "urllib3")]
    before = [logger.level for logger in quiet]
    for logger in quiet:
        logger.setLevel(logging.INFO)
    yield caplog
    for logger, level in zip(quiet, before, strict=True):
        logger.setLevel(level)


def test_every_marker_reaches_only_whom_design_section_4_allows(
    slack: LocalSlack, db: Database, logs: pytest.LogCaptureFixture
) -> None:
    cast = play_programme(slack, db)
    rules = allowed(cast)
    seen: dict[str, set[str]] = {m: set() for m in rules}
    problems: list[str] = []
    for surface, audience, blob, where in deliveries(slack):
        for mark, (people, surfaces) in rules.items():
            if mark not in blob:
                continue
            seen[mark].add(surface)
            if surface not in surfaces or not audience <= people:
                problems.append(f"{mark.split('-', 1)[1]} in {where} ({surface}) to {sorted(audience)}")
    assert problems == [], "\n".join(problems)
    # The markers did travel where they should (so the check above checked something).
    for name in ("OFFLIMITS-AMARA", "CONTRACT", "REFLECT-SHARED", "CONCERN-NAMED", "CONCERN-ANON", "OUTCOME"):
        assert seen[MARKERS[name]], f"{name} was never shown to anyone allowed to see it"
    assert "mpim" in seen[MARKERS["REFLECT-SHARED"]], "the shared takeaways reached the partner"
    assert "CONCERN" not in json.dumps([m.blocks for m in slack.emulator.messages_in(cast.channel)])
    assert slack.emulator.messages_in(cast.channel), "the leads' channel had its (text-free) alert"

    # At rest: the database never holds a marker as plain text ...
    dumps = database_dump(db)
    for mark in rules:
        assert mark.encode() not in dumps, f"{mark} is stored in plain text"
    # ... nor do the logs, at DEBUG.
    logged = "\n".join(
        record.getMessage() + "\n" + (record.exc_text or "")
        for record in logs.records
        if not record.name.startswith("bot.emulator")  # the emulator stands in for Slack itself
    )
    for mark in rules:
        assert mark not in logged, f"{mark} was logged"
    assert logs.handler.level <= logging.DEBUG and logging.getLogger("bot").getEffectiveLevel() == logging.DEBUG


def database_dump(db: Database) -> bytes:
    """The SQLite file's raw bytes (with its WAL), or every PostgreSQL table's rows as text."""
    if db.is_postgresql:
        parts = []
        with db.engine.connect() as connection:
            for table in Base.metadata.sorted_tables:
                rows = connection.execute(text(f'SELECT CAST(t AS text) FROM "{table.name}" t')).scalars().all()
                parts.extend(rows)
        blob = "\n".join(parts).encode()
        assert blob, "the dump is not empty"
        return blob
    database = make_url(db.url).database
    assert database
    blob = raw_sqlite_bytes(database, ("", "-wal", "-shm", "-journal"))
    assert len(blob) > 10_000
    return blob

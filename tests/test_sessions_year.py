"""A whole simulated year for pairs on opposite sides of the world, across every daylight-saving
change in both hemispheres: each booked slot is inside both working days, reminders arrive at
the right instants, sessions keep a three-to-four-week rhythm, and nothing is sent twice."""

from __future__ import annotations

import itertools
import random
from collections import Counter
from datetime import UTC, datetime, timedelta

from freezegun import freeze_time
from sqlalchemy import func, select

from bot.db import Database
from bot.local_slack import LocalSlack, Person
from bot.models import OutboxMessage
from bot.sessions import service
from tests.factory import PairWorld, make_pair, sessions_of

START = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
END = START + timedelta(days=365)
PACING_DELAY = timedelta(seconds=5)  # Slack's one post per second per conversation, a few posts at once


def next_due(db: Database) -> datetime | None:
    with db.session() as session:
        due = session.scalar(select(func.min(OutboxMessage.send_at)).where(OutboxMessage.status == "pending"))
    return due.replace(tzinfo=UTC) if due is not None and due.tzinfo is None else due


def book_through_slack(person: Person, rng: random.Random) -> None:
    person.command("/mentoring", "schedule")
    offer = person.seen()[-1]
    labels = [
        b["accessory"]["text"]["text"]
        for b in offer.blocks
        if (b.get("accessory") or {}).get("action_id") == "session_book"
    ]
    assert 3 <= len(labels) <= 5, offer.text
    person.click(rng.choice(labels), in_message=offer)


def answer_pending_questions(world: PairWorld, rng: random.Random, asked: set[tuple[str, str]]) -> None:
    """Each question is answered once, when it arrives (nine times in ten): other prompts may come
    after it, since some wait for the person's working hours."""
    for person in (world.mentor, world.mentee):
        for question in person.dms():
            if (person.user_id, question.ts) in asked or not question.has_button("Yes, we met"):
                continue
            asked.add((person.user_id, question.ts))
            if rng.random() < 0.9:
                person.click("Yes, we met", in_message=question)


def test_a_year_of_sessions_across_time_zones_and_dst(slack: LocalSlack, db: Database) -> None:
    rng = random.Random(2027)
    with freeze_time(START) as clock:
        pairs = [
            make_pair(
                slack,
                db,
                mentor=("amara", "Europe/London", "07:30", "16:00"),
                mentee=("diana", "Australia/Sydney", "08:00", "19:30"),
                lead_name="lena",
                programme="London-Sydney",
                planned_sessions=20,
            ),
            make_pair(
                slack,
                db,
                mentor=("priya", "Asia/Kolkata", "11:00", "20:00"),
                mentee=("evan", "America/New_York", "08:00", "16:00"),
                lead_name="lou",
                programme="New York-Kolkata",
                planned_sessions=20,
            ),
        ]
        service.watch_new_pairs(db)
        turn = 0
        steps = 0
        asked: set[tuple[str, str]] = set()
        while True:
            for world in pairs:
                if not any(
                    s.status == "booked" and s.ends_at.replace(tzinfo=UTC) > clock().replace(tzinfo=UTC)
                    for s in sessions_of(db, world.pair_id)
                ):
                    turn += 1
                    book_through_slack(world.mentor if turn % 2 else world.mentee, rng)
            slack.deliver()
            due = next_due(db)
            if due is None or due > END:
                break
            clock.move_to(due)
            slack.deliver()
            for world in pairs:
                answer_pending_questions(world, rng, asked)
            steps += 1
            assert steps < 2000

    with db.session() as session:
        rows = list(session.scalars(select(OutboxMessage)))
    sent = [r for r in rows if r.status == "sent"]
    for world in pairs:
        people = service.viewer_enrolment(db, world.pair_id, world.mentor.user_id), service.viewer_enrolment(
            db, world.pair_id, world.mentee.user_id
        )
        hours = [service.hours_of(p) for p in people]
        history = sessions_of(db, world.pair_id)
        held = [s for s in history if s.status == "held"]
        assert len(held) >= 12, f"about one session every 3-4 weeks: {len(held)}"
        for record in history:
            starts, ends = record.starts_at.replace(tzinfo=UTC), record.ends_at.replace(tzinfo=UTC)
            assert all(h.contains(starts, ends) for h in hours), f"session {record.number} at {starts}"
        first = held[0].starts_at.replace(tzinfo=UTC)
        assert first - START <= timedelta(days=15)
        for before, after in itertools.pairwise(held):
            gap = after.starts_at - before.starts_at
            if after.number == before.number + 1:
                assert timedelta(days=21) <= gap <= timedelta(days=28), (before.number, gap)
        for record in history:
            starts = record.starts_at.replace(tzinfo=UTC)
            topic = f"session:{record.id}"
            mine = {r.kind: r for r in sent if r.topic == topic}
            # Reminders keep to both working days (tests/test_humane_timing.py): the day-before one
            # on the last working day before, the hour-before one at most held to the start of work.
            for kind, earliest, latest in ((service.KIND_REMINDER_DAY, timedelta(days=4), timedelta(hours=12)),
                                           (service.KIND_REMINDER_HOUR, timedelta(hours=1), timedelta(minutes=15))):
                if kind in mine:
                    sent_at = mine[kind].sent_at
                    assert sent_at is not None
                    assert starts - earliest <= sent_at.replace(tzinfo=UTC) <= starts - latest, (kind, sent_at)
            due = record.ends_at.replace(tzinfo=UTC) + timedelta(hours=1)
            if due <= END - timedelta(days=4):
                met = [r for r in sent if r.topic == topic and r.kind == service.KIND_DID_YOU_MEET]
                assert len(met) == 2
                for r in met:  # an hour after the end, or held for that person's working hours
                    assert r.sent_at is not None and r.sent_at.replace(tzinfo=UTC) == r.send_at.replace(tzinfo=UTC)
                    # (paced by a few seconds when their DM had other posts due at once)
                    on_time = due <= r.send_at.replace(tzinfo=UTC) <= due + PACING_DELAY
                    assert on_time or r.payload["held_from"] == due.isoformat()
    # DST changes were crossed in both hemispheres (UK, US, Australia)
    crossed = {s.starts_at.replace(tzinfo=UTC).month for w in pairs for s in sessions_of(db, w.pair_id)}
    assert {3, 4, 10, 11} <= crossed
    # nothing sent twice: one post per sent row, and no row key reused
    posts = [c for c in slack.emulator.calls_to("chat.postMessage") if c.ok]
    assert len(posts) == len(sent)
    duplicates = Counter((c.args.get("channel"), c.args.get("text"), c.response.get("ts")) for c in posts)
    assert max(duplicates.values()) == 1
    assert len({r.key for r in rows}) == len(rows)

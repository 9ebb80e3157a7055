"""A simulated year for two pairs across four time zones (Auckland with Los Angeles, Kolkata with
London), driven through the worker's own jobs (the dispatcher, new pairs watched, due surveys,
close-out) on a simulated clock: no prompt reaches anyone at a weekend or outside their working
hours, except the confirmation of a booking one of them has just made. People act only in their
own working hours, as people do. The figures (messages, how many were held, the longest hold) are
printed, and README "Humane timing" quotes them."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

from freezegun import freeze_time
from sqlalchemy import func, select, update

from bot.clock import as_utc, now
from bot.closeout.service import run_periodic_jobs
from bot.db import Database
from bot.events import forget_old_events
from bot.journey import service as journey
from bot.local_slack import LocalSlack, Person
from bot.matching import consent
from bot.models import Enrolment, OutboxMessage
from bot.outbox.timing import Hours, recipients
from bot.sessions import service
from tests.factory import PairWorld, make_pair, sessions_of

START = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)  # a Monday
END = START + timedelta(days=365)
# What someone has just done themselves, confirmed at once (bot/outbox/timing.py, ``any_hour``).
AT_ONCE = {service.KIND_UPDATE, journey.CONTRACT_AGREED}


def next_due(db: Database) -> datetime | None:
    with db.session() as session:
        due = session.scalar(select(func.min(OutboxMessage.send_at)).where(OutboxMessage.status == "pending"))
    return as_utc(due) if due is not None else None


def hours(db: Database, person: Person) -> Hours:
    with db.session() as session:
        enrolment = session.scalar(select(Enrolment).where(Enrolment.user_id == person.user_id))
        assert enrolment is not None
        return Hours.of(enrolment)


def book_through_slack(person: Person, rng: random.Random) -> bool:
    person.command("/mentoring", "schedule")
    offer = person.seen()[-1]
    labels = [
        b["accessory"]["text"]["text"]
        for b in offer.blocks
        if (b.get("accessory") or {}).get("action_id") == "session_book"
    ]
    if not labels:
        return False
    person.click(rng.choice(labels), in_message=offer)
    return True


def test_a_year_across_four_time_zones_sends_nothing_at_night_or_at_a_weekend(
    slack: LocalSlack, db: Database
) -> None:
    rng = random.Random(15)
    with freeze_time(START) as clock:
        pairs: list[PairWorld] = [
            make_pair(
                slack,
                db,
                mentor=("aroha", "Pacific/Auckland", "09:00", "17:30"),
                mentee=("logan", "America/Los_Angeles", "09:00", "17:30"),
                lead_name="lena",
                programme="Auckland-Los Angeles",
                planned_sessions=12,
            ),
            make_pair(
                slack,
                db,
                mentor=("priya", "Asia/Kolkata", "09:00", "17:30"),
                mentee=("liam", "Europe/London", "09:00", "17:30"),
                lead_name="lou",
                programme="Kolkata-London",
                planned_sessions=12,
            ),
        ]
        with db.session() as session:  # made in the database: they confirm the privacy notice here
            session.execute(update(Enrolment).values(privacy_confirmed_at=now()))
        people = {p.user_id: hours(db, p) for w in pairs for p in (w.mentor, w.mentee)}
        mentors = {w.mentor.user_id for w in pairs}
        asked: set[tuple[str, str]] = set()
        turn, steps = 0, 0
        while True:
            steps += 1
            assert steps < 5000
            at = now()
            # The worker's periodic jobs (bot/worker.py), then the dispatcher (slack.deliver).
            service.watch_new_pairs(db)
            run_periodic_jobs(db)
            forget_old_events(db)
            slack.deliver()
            wake: list[datetime] = []
            for world in pairs:
                history = sessions_of(db, world.pair_id)
                if sum(s.status == "held" for s in history) >= 12:
                    continue
                if any(s.status == "booked" and as_utc(s.ends_at) > at for s in history):
                    continue
                turn += 1
                booker = world.mentor if turn % 2 else world.mentee
                if people[booker.user_id].is_working(at):
                    book_through_slack(booker, rng)
                    slack.deliver()
                else:
                    wake.append(people[booker.user_id].next_working(at + timedelta(minutes=1)))
            for world in pairs:
                for person in (world.mentor, world.mentee):
                    for question in person.dms():
                        if (person.user_id, question.ts) in asked or not question.has_button("Yes, we met"):
                            continue
                        asked.add((person.user_id, question.ts))
                        assert people[person.user_id].is_working(at), "they answer when it reaches them"
                        if rng.random() < 0.92:
                            person.click("Yes, we met", in_message=question)
            due = next_due(db)
            if due is not None and due <= at:
                continue  # an answer just made something due now: send it before the clock moves
            candidates = [t for t in (due, *wake) if t is not None]
            if not candidates or min(candidates) > END:
                break
            clock.move_to(min(candidates))

    with db.session() as session:
        rows = list(session.scalars(select(OutboxMessage).where(OutboxMessage.status == "sent")))
        to_people = []
        for row in rows:
            reached = recipients(
                session,
                programme_id=row.programme_id,
                recipient_user_id=row.recipient_user_id,
                # a sent row keeps the group DM it opened: it is the pair's (these pairs were never
                # introduced, so the pair does not know its group DM)
                channel_id=None if row.recipient_user_id is None and row.pair_id else row.channel_id,
                pair_id=row.pair_id,
            )
            if reached:
                to_people.append((row, [e.user_id for e in reached]))
    outside: list[str] = []
    held = []
    for row, users in to_people:
        assert row.sent_at is not None
        sent_at = as_utc(row.sent_at)
        if "held_from" in row.payload:
            held.append(as_utc(row.send_at) - datetime.fromisoformat(row.payload["held_from"]))
        if row.kind in AT_ONCE:
            continue
        if row.kind == consent.MATCH_CONFIRMED and row.recipient_user_id in mentors:
            continue  # the mentor has just said yes (make_pair accepts when the year begins)
        for user in users:
            if not people[user].is_working(sent_at):
                local = sent_at.astimezone(people[user].zone)
                outside.append(f"{row.kind} to {user} at {local:%a %H:%M} {people[user].tz}")
    assert outside == [], "\n".join(outside[:20])

    kinds = Counter(row.kind for row, _ in to_people)
    longest = max(held, default=timedelta(0))
    held_share = len(held) / len(to_people)
    print(
        f"\nA year, 2 pairs, 4 zones: {len(to_people)} messages to participants "
        f"({sum(len(u) for _, u in to_people)} deliveries), {len(held)} held ({held_share:.0%}), "
        f"longest hold {longest}, median hold {sorted(held)[len(held) // 2] if held else timedelta(0)}; "
        f"{sum(kinds[k] for k in AT_ONCE)} confirmations sent at once. By kind: {dict(sorted(kinds.items()))}"
    )
    for world in pairs:
        assert sum(s.status == "held" for s in sessions_of(db, world.pair_id)) >= 10, "the year went on"
    assert held, "some prompts fell outside someone's day and were held"
    assert longest <= timedelta(days=3, hours=12), "never longer than a weekend and a night"
    assert kinds[service.KIND_DID_YOU_MEET] >= 40 and kinds["survey_invitation"] >= 4

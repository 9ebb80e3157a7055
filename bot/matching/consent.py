"""Mentor-first consent: an approved match is offered privately to the mentor before the mentee hears of it.

Reverse mentoring asks the junior person to be candid with someone who holds a lot of power, so
saying no must be safe. After the lead approves a proposal, each mentor is shown their proposed
mentee in a private DM and accepts or declines within the programme's deadline (working days in
the mentor's own calendar; one gentle reminder before it). Only an acceptance makes a
:class:`~bot.models.Pair`, and with it the introduction, the briefings and the scheduling: the
mentee hears nothing before that. A decline, or letting the deadline pass, becomes a private "not
this pair" rule for matching; both people stay in the pool and the leads are alerted. The mentee
is never told anything, so never learns who it was.

Plain data in, plain results out; nothing here talks to Slack.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import outbox
from bot.clock import as_utc, now
from bot.db import Database
from bot.errors import NotAllowed, NotFound
from bot.impact import surveys
from bot.journey import service as journey
from bot.models import Enrolment, MatchOffer, MatchRule, Pair, Programme, ProposedPair

# Outbox kinds (rendered by bot.matching.notifications).
OFFER = "match_offer"
OFFER_REMINDER = "match_offer_reminder"
OFFER_DEADLINE = "match_offer_deadline"
NOT_GOING_AHEAD = "match_not_going_ahead"
MATCH_CONFIRMED = "match_confirmed"

RULE_AUTHOR = "consent"  # MatchRule.created_by for the private "not this pair" rule
DEFAULT_CONSENT_DAYS = 3


def offer_topic(offer_id: int) -> str:
    return f"offer:{offer_id}"


# ------------------------------------------------------------------------------------------
# Working time in the mentor's own calendar


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _days(enrolment: Enrolment) -> set[int]:
    return set(enrolment.work_days or ()) or {0, 1, 2, 3, 4}


def next_working_time(at: datetime, enrolment: Enrolment) -> datetime:
    """``at`` if it is inside the person's working hours, else the start of their next working day (UTC)."""
    zone, days = _zone(enrolment.tz), _days(enrolment)
    start, end = enrolment.work_start or time(9, 0), enrolment.work_end or time(17, 0)
    local = as_utc(at).astimezone(zone)
    if local.weekday() in days and start <= local.time() < end:
        return as_utc(at)
    day: date = local.date() if local.time() < start else local.date() + timedelta(days=1)
    while day.weekday() not in days:
        day += timedelta(days=1)
    return as_utc(datetime.combine(day, start, tzinfo=zone))


def add_working_days(at: datetime, enrolment: Enrolment, count: int) -> datetime:
    """The same local time ``count`` working days later (or earlier, for a negative count)."""
    zone, days = _zone(enrolment.tz), _days(enrolment)
    local = as_utc(at).astimezone(zone)
    day, step, left = local.date(), (1 if count >= 0 else -1), abs(count)
    while left:
        day += timedelta(days=step)
        if day.weekday() in days:
            left -= 1
    return as_utc(datetime.combine(day, local.time().replace(tzinfo=None), tzinfo=zone))


def reminder_time(offered_at: datetime, deadline: datetime, mentor: Enrolment, consent_days: int) -> datetime:
    """One working day before the deadline; halfway there when the deadline is a single day."""
    if consent_days >= 2:
        return add_working_days(deadline, mentor, -1)
    return offered_at + (deadline - offered_at) / 2


# ------------------------------------------------------------------------------------------
# Offering (from the lead's approval)


def pending_user_ids(session: Session, programme_id: int) -> set[str]:
    """Everyone in an open offer: they are neither matched nor free to be proposed again."""
    rows = session.execute(
        select(MatchOffer.mentor_user_id, MatchOffer.mentee_user_id).where(
            MatchOffer.programme_id == programme_id, MatchOffer.status == "pending"
        )
    ).all()
    return {user for row in rows for user in row}


def offer_match(
    session: Session, programme: Programme, row: ProposedPair, mentor: Enrolment, lead_id: str
) -> MatchOffer:
    """Record the offer and schedule its DM to the mentor, its one reminder and its deadline check."""
    at = now()
    days = programme.consent_days or DEFAULT_CONSENT_DAYS
    offered_at = next_working_time(at, mentor)
    deadline = add_working_days(offered_at, mentor, days)
    offer = MatchOffer(
        programme_id=programme.id,
        mentor_user_id=row.mentor_user_id,
        mentee_user_id=row.mentee_user_id,
        score=row.score,
        reasons=list(row.reasons),
        approved_by=lead_id,
        status="pending",
        offered_at=offered_at,
        deadline_at=deadline,
        created_at=at,
    )
    session.add(offer)
    session.flush()
    common: dict[str, Any] = {
        "payload": {"offer_id": offer.id},
        "programme_id": programme.id,
        "topic": offer_topic(offer.id),
    }
    outbox.enqueue(
        session, kind=OFFER, key=f"{OFFER}:{offer.id}", send_at=offered_at, recipient_user_id=mentor.user_id, **common
    )
    outbox.enqueue(
        session,
        kind=OFFER_REMINDER,
        key=f"{OFFER_REMINDER}:{offer.id}",
        send_at=reminder_time(offered_at, deadline, mentor, days),
        recipient_user_id=mentor.user_id,
        **common,
    )
    outbox.enqueue(session, kind=OFFER_DEADLINE, key=f"{OFFER_DEADLINE}:{offer.id}", send_at=deadline, **common)
    return offer


# ------------------------------------------------------------------------------------------
# The mentor's answer


@dataclass(frozen=True)
class OfferView:
    """What the mentor is shown: their proposed mentee's profile and why the match was proposed."""

    offer_id: int
    status: str
    programme_name: str
    mentor: Enrolment
    mentee: Enrolment
    reasons: list[str]
    deadline: datetime


@dataclass(frozen=True)
class Answer:
    offer_id: int
    programme_name: str
    accepted: bool
    already: bool  # the same answer was given before (a double click, a replay)
    pair_id: int | None = None


def _people(session: Session, offer: MatchOffer) -> tuple[Enrolment | None, Enrolment | None]:
    people = {
        e.user_id: e
        for e in session.scalars(
            select(Enrolment).where(
                Enrolment.programme_id == offer.programme_id,
                Enrolment.user_id.in_([offer.mentor_user_id, offer.mentee_user_id]),
            )
        )
    }
    return people.get(offer.mentor_user_id), people.get(offer.mentee_user_id)


def offer_view(session: Session, offer_id: int) -> OfferView | None:
    offer = session.get(MatchOffer, offer_id)
    if offer is None:
        return None
    mentor, mentee = _people(session, offer)
    programme = session.get(Programme, offer.programme_id)
    if mentor is None or mentee is None or programme is None:
        return None
    return OfferView(
        offer.id, offer.status, programme.name, mentor, mentee, list(offer.reasons), as_utc(offer.deadline_at)
    )


def _offer_for_mentor(session: Session, offer_id: int, user_id: str) -> MatchOffer:
    offer = session.get(MatchOffer, offer_id, with_for_update=True)
    if offer is None or offer.mentor_user_id != user_id:
        raise NotAllowed("consent.not_your_offer")
    return offer


def accept_offer(db: Database, offer_id: int, user_id: str) -> Answer:
    """The mentor says yes: the pair is made and the introduction flow starts, in this transaction."""
    with db.session() as session:
        offer = _offer_for_mentor(session, offer_id, user_id)
        programme = session.get(Programme, offer.programme_id)
        if programme is None:
            raise NotFound("programmes.not_found")
        if offer.status == "accepted":
            return Answer(offer.id, programme.name, True, True, offer.pair_id)
        if offer.status != "pending":
            raise NotAllowed("consent.closed")
        if now() >= as_utc(offer.deadline_at):
            raise NotAllowed("consent.lapsed")
        mentor, mentee = _people(session, offer)
        if mentor is None or mentee is None or mentor.status != "waiting" or mentee.status != "waiting":
            _close(session, offer, "withdrawn")
            raise NotAllowed("consent.withdrawn")
        if programme.status != "active":
            raise NotAllowed("consent.programme_closed")
        mentor.status = mentee.status = "matched"
        pair = Pair(
            programme_id=offer.programme_id,
            mentor_user_id=offer.mentor_user_id,
            mentee_user_id=offer.mentee_user_id,
            score=offer.score,
            reasons=list(offer.reasons),
            approved_by=offer.approved_by,
        )
        session.add(pair)
        session.flush()
        offer.status, offer.answered_at, offer.pair_id = "accepted", now(), pair.id
        outbox.cancel(session, topic=offer_topic(offer.id), reason="the mentor accepted")
        journey.schedule_introduction(session, pair, mentor, mentee)
        surveys.invite_baseline(session, pair)  # "before you start": before the first session
        introduced_at = journey.next_working_morning(now(), mentee.tz, mentee.work_days)
        for person, when in ((mentor, now()), (mentee, introduced_at)):
            outbox.enqueue(
                session,
                kind=MATCH_CONFIRMED,
                key=f"{MATCH_CONFIRMED}:pair:{pair.id}:{person.user_id}",
                send_at=when,
                payload={"pair_id": pair.id},
                recipient_user_id=person.user_id,
                programme_id=pair.programme_id,
                pair_id=pair.id,
                any_hour=person is mentor,  # the mentor has just said yes; the mentee hears in the morning
            )
        return Answer(offer.id, programme.name, True, False, pair.id)


def decline_offer(db: Database, offer_id: int, user_id: str) -> Answer:
    """The mentor says no (no reason needed). The mentee is told nothing, ever."""
    with db.session() as session:
        offer = _offer_for_mentor(session, offer_id, user_id)
        programme = session.get(Programme, offer.programme_id)
        name = programme.name if programme else ""
        if offer.status == "declined":
            return Answer(offer.id, name, False, True)
        if offer.status != "pending":
            raise NotAllowed("consent.closed")
        _close(session, offer, "declined")
        return Answer(offer.id, name, False, False)


def lapse_if_unanswered(session: Session, offer_id: int) -> bool:
    """At the deadline (the outbox's check): an offer still open lapses, as a decline does. True if it did."""
    offer = session.get(MatchOffer, offer_id, with_for_update=True)
    if offer is None or offer.status != "pending":
        return False
    _close(session, offer, "lapsed")
    return True


def _close(session: Session, offer: MatchOffer, status: str) -> None:
    """Not this pair: a private rule for matching, both stay in the pool, and the leads are alerted."""
    offer.status, offer.answered_at = status, now()
    outbox.cancel(session, topic=offer_topic(offer.id), reason=f"the offer was {status}")
    rule = session.scalar(
        select(MatchRule).where(
            MatchRule.programme_id == offer.programme_id,
            MatchRule.mentor_user_id == offer.mentor_user_id,
            MatchRule.mentee_user_id == offer.mentee_user_id,
        )
    )
    if rule is None:
        rule = MatchRule(
            programme_id=offer.programme_id, mentor_user_id=offer.mentor_user_id, mentee_user_id=offer.mentee_user_id
        )
        session.add(rule)
    rule.kind, rule.created_by = "forbid", RULE_AUTHOR
    programme = session.get(Programme, offer.programme_id)
    for lead in programme.leads if programme else ():
        outbox.enqueue(
            session,
            kind=NOT_GOING_AHEAD,
            key=f"{NOT_GOING_AHEAD}:{offer.id}:{lead.user_id}",
            payload={"offer_id": offer.id},
            recipient_user_id=lead.user_id,
            programme_id=offer.programme_id,
        )


def open_offers(db: Database, programme_id: int) -> int:
    """How many offers are waiting for a mentor's answer (for the lead)."""
    with db.session() as session:
        return len(
            session.scalars(
                select(MatchOffer.id).where(MatchOffer.programme_id == programme_id, MatchOffer.status == "pending")
            ).all()
        )

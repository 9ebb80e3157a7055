"""Pause and resume, without a reason: for 2, 4 or 8 weeks, or until the person resumes.

While a pause is open the pair's status is "paused" (the status a lead's pause from a concern
uses too), so every timed message for the pair is skipped when it comes due. The partner is told
only that their partner is taking a short break (no reason, no length); the leads are told and see
it in their App Home. Two working days before a fixed pause ends the person is asked, privately,
whether to resume now or keep pausing; at its end the pause resumes by itself and both are told.

A lead can pause and resume any pair too. Then each person is told the same neutral words a
partner gets for a self-pause, each on their own next working morning, so nobody can tell a
lead's pause (perhaps after a concern) from their partner simply taking a break.

Plain data in, plain results out; nothing here talks to Slack.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot import outbox
from bot.clock import as_utc, now
from bot.db import Database
from bot.errors import FieldErrors, NotAllowed, NotFound, Problem
from bot.journey.service import next_working_morning
from bot.matching.consent import add_working_days
from bot.models import Enrolment, Pair, ParticipationPause, Programme
from bot.programmes.access import require_lead

# Outbox kinds (rendered by bot.programmes.notifications).
PARTNER_NOTICE = "pause_partner_notice"  # "your partner is taking a short break" / "is back"
LEAD_NOTICE = "pause_lead_notice"
RESUME_PROMPT = "pause_resume_prompt"
AUTO_RESUME = "pause_auto_resume"
RESUMED_NOTICE = "pause_resumed_notice"  # to the person whose fixed pause ended by itself
LONG_PAUSE_ALERT = "pause_long_alert"  # to each lead, with the pair alert's actions, once a break runs long

DEFAULT_LONG_PAUSE = timedelta(weeks=4)  # the LONG_PAUSE_WEEKS setting

WEEKS = (2, 4, 8)
PROMPT_WORKING_DAYS_BEFORE = 2


def pause_topic(pause_id: int) -> str:
    return f"pause:{pause_id}"


def long_pause_topic(pause_id: int) -> str:
    return f"pause-long:{pause_id}"


def _watch_for_long_pause(session: Session, record: ParticipationPause, long_after: timedelta) -> None:
    """A break that may run past ``long_after`` (open-ended, or longer): the leads are alerted then,
    with actions (check in with either person, rematch, mark handled), if it is still open."""
    if record.pair_id is None:
        return  # nobody is waiting on a partner: nothing for the leads to act on
    started = as_utc(record.started_at)
    if record.ends_at is not None and as_utc(record.ends_at) - started <= long_after:
        return  # it ends by itself first
    programme = session.get(Programme, record.programme_id)
    for lead in programme.leads if programme else ():
        outbox.enqueue(
            session,
            kind=LONG_PAUSE_ALERT,
            key=f"{LONG_PAUSE_ALERT}:{record.id}:{lead.user_id}",
            send_at=max(started + long_after, now()),
            recipient_user_id=lead.user_id,
            programme_id=record.programme_id,
            pair_id=record.pair_id,
            topic=long_pause_topic(record.id),
            payload={"pause_id": record.id, "long_weeks": round(long_after / timedelta(weeks=1))},
        )


@dataclass(frozen=True)
class PauseResult:
    programme_name: str
    weeks: int | None
    ends_at: datetime | None
    tz: str


@dataclass(frozen=True)
class ResumeResult:
    programme_name: str
    pair_active: bool  # False when the pair stays paused (the partner or a lead paused it too)


def _enrolment(session: Session, user_id: str, programme_id: int | None) -> Enrolment:
    query = (
        select(Enrolment)
        .join(Programme, Programme.id == Enrolment.programme_id)
        .where(Enrolment.user_id == user_id, Enrolment.status != "left", Programme.status == "active")
        .order_by(Enrolment.id.desc())
    )
    if programme_id:
        query = query.where(Enrolment.programme_id == programme_id)
    enrolment = session.scalars(query).first()
    if enrolment is None:
        raise NotFound("pauses.nothing_to_pause")
    return enrolment


def _live_pair(session: Session, programme_id: int, user_id: str) -> Pair | None:
    return session.scalars(
        select(Pair)
        .where(
            Pair.programme_id == programme_id,
            Pair.status.in_(("active", "paused")),
            or_(Pair.mentor_user_id == user_id, Pair.mentee_user_id == user_id),
        )
        .with_for_update()
    ).first()


def open_pause_of(session: Session, programme_id: int, user_id: str) -> ParticipationPause | None:
    return session.scalars(
        select(ParticipationPause).where(
            ParticipationPause.programme_id == programme_id,
            ParticipationPause.user_id == user_id,
            ParticipationPause.by_lead.is_(False),
            ParticipationPause.ended_at.is_(None),
        )
    ).first()


def paused_user_ids(session: Session, programme_id: int) -> set[str]:
    """People taking a break: not proposed for a match until they resume."""
    return set(
        session.scalars(
            select(ParticipationPause.user_id).where(
                ParticipationPause.programme_id == programme_id,
                ParticipationPause.by_lead.is_(False),
                ParticipationPause.ended_at.is_(None),
            )
        )
    )


def _others_open(session: Session, pair_id: int, except_id: int) -> bool:
    return (
        session.scalar(
            select(ParticipationPause.id)
            .where(
                ParticipationPause.pair_id == pair_id,
                ParticipationPause.ended_at.is_(None),
                ParticipationPause.id != except_id,
            )
            .limit(1)
        )
        is not None
    )


def _notice(session: Session, pair: Pair, recipient: Enrolment, what: str, key: str, *, morning: bool) -> None:
    at = next_working_morning(now(), recipient.tz, recipient.work_days) if morning else now()
    outbox.enqueue(
        session,
        kind=PARTNER_NOTICE,
        key=key,
        send_at=at,
        payload={"pair_id": pair.id, "what": what},
        recipient_user_id=recipient.user_id,
        programme_id=pair.programme_id,
    )


def _partner(session: Session, pair: Pair, user_id: str) -> Enrolment | None:
    partner_id = pair.mentee_user_id if pair.mentor_user_id == user_id else pair.mentor_user_id
    return session.scalar(
        select(Enrolment).where(Enrolment.programme_id == pair.programme_id, Enrolment.user_id == partner_id)
    )


def _tell_leads(session: Session, programme: Programme, pause: ParticipationPause, what: str) -> None:
    for lead in programme.leads:
        outbox.enqueue(
            session,
            kind=LEAD_NOTICE,
            key=f"{LEAD_NOTICE}:{pause.id}:{what}:{lead.user_id}",
            payload={"pause_id": pause.id, "what": what},
            recipient_user_id=lead.user_id,
            programme_id=programme.id,
        )


def pause(
    db: Database,
    user_id: str,
    weeks: int | None,
    *,
    programme_id: int | None = None,
    long_after: timedelta = DEFAULT_LONG_PAUSE,
) -> PauseResult:
    """Take a break: for ``weeks`` (2, 4 or 8) or, with None, until resumed. No reason is asked."""
    if weeks is not None and weeks not in WEEKS:
        raise FieldErrors({"weeks": Problem("pauses.weeks")})
    with db.session() as session:
        enrolment = _enrolment(session, user_id, programme_id)
        programme = enrolment.programme
        if open_pause_of(session, programme.id, user_id) is not None:
            raise NotAllowed("pauses.already_on_break")
        pair = _live_pair(session, programme.id, user_id)
        at = now()
        ends_at = at + timedelta(weeks=weeks) if weeks else None
        record = ParticipationPause(
            programme_id=programme.id,
            pair_id=pair.id if pair else None,
            user_id=user_id,
            weeks=weeks,
            started_at=at,
            ends_at=ends_at,
        )
        session.add(record)
        session.flush()
        if pair is not None:
            was_active = pair.status == "active"
            pair.status = "paused"
            partner = _partner(session, pair, user_id)
            if partner is not None and was_active:
                _notice(session, pair, partner, "break", f"{PARTNER_NOTICE}:{record.id}:break", morning=False)
        _tell_leads(session, programme, record, "paused")
        if ends_at is not None:
            _schedule_end(session, record, enrolment)
        _watch_for_long_pause(session, record, long_after)
        return PauseResult(programme.name, weeks, ends_at, enrolment.tz)


def _schedule_end(session: Session, record: ParticipationPause, enrolment: Enrolment) -> None:
    assert record.ends_at is not None
    ends_at = as_utc(record.ends_at)
    common: dict[str, Any] = {
        "payload": {"pause_id": record.id},
        "programme_id": record.programme_id,
        "topic": pause_topic(record.id),
    }
    prompt_at = add_working_days(ends_at, enrolment, -PROMPT_WORKING_DAYS_BEFORE)
    outbox.enqueue(
        session,
        kind=RESUME_PROMPT,
        key=f"{RESUME_PROMPT}:{record.id}",
        send_at=max(prompt_at, as_utc(record.started_at)),
        recipient_user_id=record.user_id,
        **common,
    )
    outbox.enqueue(session, kind=AUTO_RESUME, key=f"{AUTO_RESUME}:{record.id}", send_at=ends_at, **common)


def _end(session: Session, record: ParticipationPause, *, by_itself: bool = False) -> bool:
    """Close one pause; the pair becomes active again unless another pause still holds it. True if it did."""
    record.ended_at = now()
    outbox.cancel(session, topic=pause_topic(record.id), reason="the pause ended")
    outbox.cancel(session, topic=long_pause_topic(record.id), reason="the pause ended")
    programme = session.get(Programme, record.programme_id)
    pair = session.get(Pair, record.pair_id, with_for_update=True) if record.pair_id else None
    active = False
    if pair is not None and pair.status == "paused" and not _others_open(session, pair.id, record.id):
        pair.status = "active"
        active = True
        if record.by_lead:
            for person_id in (pair.mentor_user_id, pair.mentee_user_id):
                person = session.scalar(
                    select(Enrolment).where(Enrolment.programme_id == pair.programme_id, Enrolment.user_id == person_id)
                )
                if person is not None:
                    _notice(
                        session, pair, person, "back", f"{PARTNER_NOTICE}:{record.id}:back:{person_id}", morning=True
                    )
        else:
            partner = _partner(session, pair, record.user_id)
            if partner is not None:
                _notice(session, pair, partner, "back", f"{PARTNER_NOTICE}:{record.id}:back", morning=False)
    if by_itself:
        outbox.enqueue(
            session,
            kind=RESUMED_NOTICE,
            key=f"{RESUMED_NOTICE}:{record.id}",
            payload={"pause_id": record.id},
            recipient_user_id=record.user_id,
            programme_id=record.programme_id,
        )
    if programme is not None and not record.by_lead:
        _tell_leads(session, programme, record, "resumed")
    return active


def resume(db: Database, user_id: str, *, programme_id: int | None = None) -> ResumeResult:
    with db.session() as session:
        enrolment = _enrolment(session, user_id, programme_id)
        record = open_pause_of(session, enrolment.programme_id, user_id)
        if record is None:
            raise NotAllowed("pauses.not_on_break")
        active = _end(session, record)
        return ResumeResult(enrolment.programme.name, active or record.pair_id is None)


def keep_pausing(
    db: Database, user_id: str, pause_id: int, *, long_after: timedelta = DEFAULT_LONG_PAUSE
) -> PauseResult:
    """From the gentle prompt: carry on, until the person resumes (the automatic end is cancelled)."""
    with db.session() as session:
        record = session.get(ParticipationPause, pause_id, with_for_update=True)
        if record is None or record.user_id != user_id or record.by_lead:
            raise NotAllowed("pauses.not_your_break")
        if record.ended_at is not None:
            raise NotAllowed("pauses.break_ended")
        record.ends_at = None
        outbox.cancel(session, topic=pause_topic(record.id), reason="keeps pausing until they resume")
        _watch_for_long_pause(session, record, long_after)
        programme = session.get(Programme, record.programme_id)
        enrolment = _enrolment(session, user_id, record.programme_id)
        return PauseResult(programme.name if programme else "", record.weeks, None, enrolment.tz)


def end_if_due(session: Session, pause_id: int) -> bool:
    """At the end of a fixed pause (the outbox's check): resume by itself, telling both. True if it did."""
    record = session.get(ParticipationPause, pause_id, with_for_update=True)
    if record is None or record.ended_at is not None or record.ends_at is None:
        return False
    if as_utc(record.ends_at) > now():
        return False
    _end(session, record, by_itself=True)
    return True


# ------------------------------------------------------------------------------------------
# A lead's pause of a pair (from App Home, or from a concern)


def pause_pair_by_lead(session: Session, pair: Pair, lead_id: str) -> ParticipationPause:
    """Pause the pair for a lead; each person hears the neutral "taking a break" on their next working morning."""
    record = ParticipationPause(
        programme_id=pair.programme_id, pair_id=pair.id, user_id=lead_id, by_lead=True, started_at=now()
    )
    session.add(record)
    session.flush()
    pair.status = "paused"
    for person_id in (pair.mentor_user_id, pair.mentee_user_id):
        person = session.scalar(
            select(Enrolment).where(Enrolment.programme_id == pair.programme_id, Enrolment.user_id == person_id)
        )
        if person is not None:
            _notice(session, pair, person, "break", f"{PARTNER_NOTICE}:{record.id}:break:{person_id}", morning=True)
    return record


def lead_pause(db: Database, pair_id: int, lead_id: str, *, admin: bool = False) -> str:
    with db.session() as session:
        pair = session.get(Pair, pair_id, with_for_update=True)
        if pair is None:
            raise NotFound("pauses.pair_not_found")
        require_lead(session, pair.programme_id, lead_id, admin=admin)
        if pair.status != "active":
            raise NotAllowed("concerns.cannot_pause", status=pair.status)
        pause_pair_by_lead(session, pair, lead_id)
        return "The pair is paused. Each person is told, on their next working morning, only that it's a short break."


def lead_resume(db: Database, pair_id: int, lead_id: str, *, admin: bool = False) -> str:
    """Resume a paused pair: the lead's pauses end; a person's own break is theirs to end."""
    with db.session() as session:
        pair = session.get(Pair, pair_id, with_for_update=True)
        if pair is None:
            raise NotFound("pauses.pair_not_found")
        require_lead(session, pair.programme_id, lead_id, admin=admin)
        return resume_pair_by_lead(session, pair, lead_id)


def resume_pair_by_lead(session: Session, pair: Pair, lead_id: str) -> str:
    """End the leads' pauses of a paused pair (the caller has checked ``lead_id`` leads it)."""
    if pair.status != "paused":
        raise NotAllowed("pauses.not_paused", status=pair.status)
    records = list(
        session.scalars(
            select(ParticipationPause).where(
                ParticipationPause.pair_id == pair.id, ParticipationPause.ended_at.is_(None)
            )
        ).all()
    )
    if any(not r.by_lead for r in records):
        raise NotAllowed("pauses.own_break")
    if not records:  # paused before pauses were recorded: a lead's pause
        records = [pause_pair_by_lead(session, pair, lead_id)]
    for record in records:
        _end(session, record)
    return "The pair is active again. Each person is told on their next working morning."


@dataclass(frozen=True)
class PauseInfo:
    pause_id: int
    user_id: str
    by_lead: bool
    ends_at: datetime | None


def open_pauses(session: Session, pair_ids: list[int]) -> dict[int, list[PauseInfo]]:
    """Open pauses by pair, for App Home (one query)."""
    rows = session.scalars(
        select(ParticipationPause).where(
            ParticipationPause.pair_id.in_(pair_ids), ParticipationPause.ended_at.is_(None)
        )
    ).all()
    found: dict[int, list[PauseInfo]] = {}
    for r in rows:
        found.setdefault(r.pair_id or 0, []).append(
            PauseInfo(r.id, r.user_id, r.by_lead, as_utc(r.ends_at) if r.ends_at else None)
        )
    return found

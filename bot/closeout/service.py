"""The end of a programme: close-out, recognition for the mentors, and deleting sensitive text.

Close-out (the lead closes the programme, or it reaches its end date):

1. Every live pair ends: booked sessions are cancelled and pending messages stop.
2. Each person is asked for a final private reflection and sent the end survey, now.
3. A day later: a thank-you to the mentee that credits their mentor by name, a thank-you to the
   mentor, and a summary of each person's journey (sessions held, dates, their own goals) by DM.
   If the lead chose a channel, each mentor is asked whether they may be thanked there by name;
   only a "yes" posts anything in the channel.

A pair whose last planned session is held gets steps 2 (the end survey) and 3 straight away,
through the sessions feature's ``CLOSE_OUT_HOOKS``; closing the programme later does not repeat them.

Retention: :func:`purge_expired_text` (a periodic job) deletes a closed programme's sensitive text
(every encrypted column, reflections and concerns included) once its retention period has passed,
and records how much was deleted, never what it said. :func:`purge_speed_event_text` does the same
for a speed event's attendees' answers once the event is over by its retention period.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, delete, func, select, update
from sqlalchemy.orm import Session

from bot import data_keys, outbox
from bot.clock import as_utc, now
from bot.crypto import EncryptedText
from bot.db import Database
from bot.errors import NotAllowed, NotFound
from bot.impact import surveys
from bot.models import (
    Base,
    DataDeletion,
    Enrolment,
    MentoringSession,
    Pair,
    Programme,
    ProgrammeCloseout,
    ProgrammeLead,
    RecognitionConsent,
    SpeedEvent,
)
from bot.programmes.access import require_lead

log = logging.getLogger(__name__)

THANKS_DELAY = timedelta(days=1)
FINAL_REFLECTION_KIND = "closeout_final_reflection"
MENTEE_THANKS_KIND = "closeout_thanks_mentee"
MENTOR_THANKS_KIND = "closeout_thanks_mentor"
JOURNEY_SUMMARY_KIND = "closeout_journey_summary"
CONSENT_REQUEST_KIND = "recognition_consent_request"
RECOGNITION_POST_KIND = "recognition_post"
LEAD_SUMMARY_KIND = "programme_closed_lead"
WAITING_NOTICE_KIND = "programme_closed_waiting"
CLOSED_BY_END_DATE = "end_date"
# Rows whose text cannot simply be blanked go whole (a concern's append-only audit trail goes with it).
DELETE_WHOLE_ROWS = frozenset({"concerns"})
# Encrypted columns that must keep a valid shape when emptied.
EMPTY_VALUES = {("pair_contracts", "terms"): "{}"}


@dataclass
class CloseResult:
    programme_id: int
    programme_name: str
    pairs_closed: int = 0
    people_surveyed: int = 0
    waiting_told: int = 0
    lead_ids: list[str] = field(default_factory=list)
    purge_after: datetime | None = None


def _held(session: Session, pair_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(MentoringSession)
            .where(MentoringSession.pair_id == pair_id, MentoringSession.status == "held")
        )
        or 0
    )


def _enrolled(session: Session, programme_id: int, user_ids: list[str]) -> set[str]:
    return set(
        session.scalars(
            select(Enrolment.user_id).where(
                Enrolment.programme_id == programme_id, Enrolment.user_id.in_(user_ids), Enrolment.status != "left"
            )
        )
    )


def close_pair(session: Session, pair: Pair, *, at: datetime | None = None, final_reflection: bool = True) -> int:
    """A pair's close-out messages (idempotent: keyed per pair). Returns how many people were surveyed."""
    at = at or now()
    people = _enrolled(session, pair.programme_id, [pair.mentor_user_id, pair.mentee_user_id])
    common: dict[str, Any] = {"programme_id": pair.programme_id, "pair_id": pair.id}
    surveyed = 0
    for user_id in (pair.mentor_user_id, pair.mentee_user_id):
        if user_id not in people:
            continue
        if final_reflection:
            outbox.enqueue(
                session,
                kind=FINAL_REFLECTION_KIND,
                key=f"closeout:{pair.id}:final-reflection:{user_id}",
                send_at=at,
                recipient_user_id=user_id,
                payload={"pair_id": pair.id},
                programme_id=pair.programme_id,
            )
        surveyed += surveys.invite(session, pair.programme_id, user_id, "end", at=at)
        outbox.enqueue(
            session,
            kind=JOURNEY_SUMMARY_KIND,
            key=f"closeout:{pair.id}:journey:{user_id}",
            send_at=at + THANKS_DELAY,
            recipient_user_id=user_id,
            payload={"pair_id": pair.id},
            programme_id=pair.programme_id,
        )
    if pair.mentee_user_id in people:
        outbox.enqueue(
            session,
            kind=MENTEE_THANKS_KIND,
            key=f"closeout:{pair.id}:thanks-mentee",
            send_at=at + THANKS_DELAY,
            recipient_user_id=pair.mentee_user_id,
            payload=common,
            programme_id=pair.programme_id,
        )
    if pair.mentor_user_id in people:
        outbox.enqueue(
            session,
            kind=MENTOR_THANKS_KIND,
            key=f"closeout:{pair.id}:thanks-mentor",
            send_at=at + THANKS_DELAY,
            recipient_user_id=pair.mentor_user_id,
            payload=common,
            programme_id=pair.programme_id,
        )
    return surveyed


def on_last_session_held(session: Session, pair: Pair, session_row: MentoringSession) -> None:
    """The sessions feature's close-out hook: the pair's last planned session was held.

    The reflection on that session is already asked for (the reflections feature), so no extra
    final reflection; the end survey, the thank-you and the journey summary follow.
    """
    close_pair(session, pair, final_reflection=False)


def _register_hook() -> None:
    from bot.sessions import service as session_service

    if on_last_session_held not in session_service.CLOSE_OUT_HOOKS:
        session_service.CLOSE_OUT_HOOKS.append(on_last_session_held)


_register_hook()


def close_programme(
    db: Database,
    programme_id: int,
    by: str,
    *,
    admin: bool = False,
    recognition_channel_id: str | None = None,
    at: datetime | None = None,
) -> CloseResult:
    """Close a programme (a lead, or ``by="end_date"``): end pairs, survey, thank and summarise."""
    at = at or now()
    with db.session() as session:
        programme = session.get(Programme, programme_id, with_for_update=True)
        if programme is None:
            raise NotFound("programmes.not_found")
        if by != CLOSED_BY_END_DATE:
            require_lead(session, programme_id, by, admin=admin)
        if programme.status == "closed":
            raise NotAllowed("closeout.already_closed", programme=programme.name)
        programme.status = "closed"
        programme.closed_at = at
        programme.enrolment_open = False
        session.add(
            ProgrammeCloseout(
                programme_id=programme_id,
                closed_by=by,
                closed_at=at,
                recognition_channel_id=recognition_channel_id or None,
            )
        )
        result = CloseResult(programme.id, programme.name)
        from bot.sessions import service as session_service

        live = list(
            session.scalars(
                select(Pair).where(Pair.programme_id == programme_id, Pair.status.in_(("active", "paused")))
            )
        )
        for pair in live:
            session_service.cancel_pair_sessions(session, pair.id, reason="the programme closed")
            outbox.cancel(session, pair_id=pair.id, reason="the programme closed")
            pair.status = "ended"
            pair.ended_at = at
        session.flush()
        for pair in live:
            result.people_surveyed += close_pair(session, pair, at=at, final_reflection=_held(session, pair.id) > 0)
            result.pairs_closed += 1
        if recognition_channel_id:
            _ask_for_recognition(session, programme_id, at + THANKS_DELAY)
        waiting = session.scalars(
            select(Enrolment.user_id).where(Enrolment.programme_id == programme_id, Enrolment.status == "waiting")
        ).all()
        for user_id in waiting:
            result.waiting_told += outbox.enqueue(
                session,
                kind=WAITING_NOTICE_KIND,
                key=f"closeout:{programme_id}:waiting:{user_id}",
                send_at=at,
                recipient_user_id=user_id,
                programme_id=programme_id,
                payload={"programme_id": programme_id},
            )
        result.lead_ids = list(
            session.scalars(select(ProgrammeLead.user_id).where(ProgrammeLead.programme_id == programme_id))
        )
        result.purge_after = at + timedelta(days=programme.retention_days)
        for lead in result.lead_ids:
            outbox.enqueue(
                session,
                kind=LEAD_SUMMARY_KIND,
                key=f"closeout:{programme_id}:lead:{lead}",
                send_at=at,
                recipient_user_id=lead,
                programme_id=programme_id,
                payload={
                    "programme_id": programme_id,
                    "pairs": result.pairs_closed,
                    "surveyed": result.people_surveyed,
                    "by": by,
                },
            )
        return result


def _ask_for_recognition(session: Session, programme_id: int, when: datetime) -> None:
    """Ask every mentor who held at least one session whether they may be thanked by name in public."""
    held = (
        select(MentoringSession.pair_id)
        .where(MentoringSession.programme_id == programme_id, MentoringSession.status == "held")
        .distinct()
    )
    pairs = session.scalars(select(Pair).where(Pair.programme_id == programme_id, Pair.id.in_(held))).all()
    mentors = _enrolled(session, programme_id, [p.mentor_user_id for p in pairs])
    for pair in pairs:
        if pair.mentor_user_id not in mentors or session.get(RecognitionConsent, pair.id) is not None:
            continue
        session.add(RecognitionConsent(pair_id=pair.id, programme_id=programme_id, mentor_user_id=pair.mentor_user_id))
        outbox.enqueue(
            session,
            kind=CONSENT_REQUEST_KIND,
            key=f"closeout:{pair.id}:consent",
            send_at=when,
            recipient_user_id=pair.mentor_user_id,
            programme_id=programme_id,
            pair_id=pair.id,
            payload={"pair_id": pair.id},
        )


@dataclass(frozen=True)
class ConsentAnswer:
    programme_name: str
    answer: str
    channel_id: str | None
    changed: bool


def answer_recognition(db: Database, pair_id: int, user_id: str, yes: bool) -> ConsentAnswer:
    """The mentor's answer. Only "yes" (from the mentor themself) posts a thank-you in the channel."""
    with db.session() as session:
        consent = session.get(RecognitionConsent, pair_id, with_for_update=True)
        if consent is None or consent.mentor_user_id != user_id:
            raise NotAllowed("closeout.mentor_only")

        programme = session.get(Programme, consent.programme_id)
        closeout = session.get(ProgrammeCloseout, consent.programme_id)
        if programme is None or closeout is None:
            raise NotFound("programmes.not_found")
        channel = closeout.recognition_channel_id
        if consent.answer is not None:
            return ConsentAnswer(programme.name, consent.answer, channel, False)
        consent.answer = "yes" if yes else "no"
        consent.answered_at = now()
        if yes and channel:
            outbox.enqueue(
                session,
                kind=RECOGNITION_POST_KIND,
                key=f"closeout:{pair_id}:recognition-post",
                channel_id=channel,
                programme_id=programme.id,
                payload={"pair_id": pair_id},
            )
        return ConsentAnswer(programme.name, consent.answer, channel, True)


def close_ended_programmes(db: Database, at: datetime | None = None) -> list[CloseResult]:
    """The periodic job: close every active programme whose end date has passed."""
    at = at or now()
    with db.session() as session:
        due = list(
            session.scalars(
                select(Programme.id).where(
                    Programme.status == "active", Programme.end_date.isnot(None), Programme.end_date < at.date()
                )
            )
        )
    results = []
    for programme_id in due:
        try:
            results.append(close_programme(db, programme_id, CLOSED_BY_END_DATE, at=at))
        except NotAllowed:
            continue  # closed meanwhile by a lead or another worker
    return results


# ------------------------------------------------------------------------------------ retention


def _programme_condition(table: Table, programme_id: int, depth: int = 0) -> Any:
    """A WHERE clause selecting a table's rows that belong to a programme (following foreign keys)."""
    if "programme_id" in table.c:
        return table.c.programme_id == programme_id
    if depth >= 3:
        return None
    for fk in table.foreign_keys:
        parent = fk.column.table
        condition = _programme_condition(parent, programme_id, depth + 1)
        if condition is not None:
            return fk.parent.in_(select(fk.column).where(condition))
    return None


def purge_programme_text(session: Session, programme_id: int) -> dict[str, int]:
    """Delete every piece of sensitive (encrypted) text held for a programme. Returns counts."""
    counts: Counter[str] = Counter()
    for name in DELETE_WHOLE_ROWS:
        table = Base.metadata.tables[name]
        counts[name] = int(
            session.execute(delete(table).where(table.c.programme_id == programme_id)).rowcount or 0  # type: ignore[attr-defined]
        )
    for name, table in Base.metadata.tables.items():
        if name in DELETE_WHOLE_ROWS or any(fk.column.table.name in DELETE_WHOLE_ROWS for fk in table.foreign_keys):
            continue  # gone with their parent rows above
        columns = [c for c in table.c if isinstance(c.type, EncryptedText)]
        if not columns:
            continue
        condition = _programme_condition(table, programme_id)
        if condition is None:
            continue
        for column in columns:
            empty = EMPTY_VALUES.get((name, column.name), None if column.nullable else "")
            filled = column.isnot(None)
            found = int(session.scalar(select(func.count()).select_from(table).where(condition, filled)) or 0)
            if not found:
                continue
            session.execute(update(table).where(condition, filled).values({column.name: empty}))
            counts[f"{name}.{column.name}"] = found
    return {key: value for key, value in counts.items() if value}


def purge_expired_text(db: Database, at: datetime | None = None) -> list[int]:
    """The periodic job: purge programmes closed longer ago than their retention period."""
    at = at or now()
    purged: list[int] = []
    with db.session() as session:
        from bot.closeout.data_rights import enable_secure_delete

        enable_secure_delete(session)
        rows = session.execute(
            select(ProgrammeCloseout, Programme.retention_days)
            .join(Programme, Programme.id == ProgrammeCloseout.programme_id)
            .where(ProgrammeCloseout.text_purged_at.is_(None))
        ).all()
        for closeout, retention_days in rows:
            if as_utc(closeout.closed_at) + timedelta(days=retention_days) > at:
                continue
            counts = purge_programme_text(session, closeout.programme_id)
            scope = data_keys.programme_scope(closeout.programme_id)
            counts["data_keys"] = data_keys.destroy_keys_of_scope(session, scope)
            closeout.text_purged_at = at
            session.add(DataDeletion(programme_id=closeout.programme_id, scope="retention", counts=counts))
            purged.append(closeout.programme_id)
    if purged:
        from bot.closeout.data_rights import compact

        compact(db)
    return purged


SPEED_EVENT_TABLES = ("speed_event_participants", "speed_event_feedback")


def purge_speed_event_text(db: Database, at: datetime | None = None) -> list[int]:
    """The periodic job for speed events: attendees' answers go once the event is over by its retention period.

    Every encrypted column of the event's participants (a mentee's pre-event answers) and feedback
    (what they learned, what they will do) is emptied; the RSVPs and feedback ratings stay for the
    event's totals. Recorded as a deletion with counts only.
    """
    from bot.speed_events.records import timeline

    at = at or now()
    purged: list[int] = []
    with db.session() as session:
        from bot.closeout.data_rights import enable_secure_delete

        enable_secure_delete(session)
        for event in session.scalars(select(SpeedEvent).where(SpeedEvent.text_purged_at.is_(None))).all():
            if timeline(event).ends_at + timedelta(days=event.retention_days) > at:
                continue
            counts: Counter[str] = Counter()
            for name in SPEED_EVENT_TABLES:
                table = Base.metadata.tables[name]
                for column in (c for c in table.c if isinstance(c.type, EncryptedText)):
                    empty = None if column.nullable else ""
                    mine = (table.c.event_id == event.id, column.isnot(None))
                    found = int(session.scalar(select(func.count()).select_from(table).where(*mine)) or 0)
                    if found:
                        session.execute(update(table).where(*mine).values({column.name: empty}))
                        counts[f"{name}.{column.name}"] = found
            counts["data_keys"] = data_keys.destroy_keys_of_scope(session, data_keys.event_scope(event.id))
            event.text_purged_at = at
            session.add(DataDeletion(programme_id=None, scope="speed_event", counts=dict(counts)))
            purged.append(event.id)
    if purged:
        from bot.closeout.data_rights import compact

        compact(db)
    return purged


def closeout_of(db: Database, programme_id: int) -> ProgrammeCloseout | None:
    with db.session() as session:
        return session.get(ProgrammeCloseout, programme_id)


def deletions_of(db: Database, programme_id: int) -> list[DataDeletion]:
    with db.session() as session:
        return list(
            session.scalars(
                select(DataDeletion).where(DataDeletion.programme_id == programme_id).order_by(DataDeletion.id)
            )
        )


def run_periodic_jobs(db: Database) -> None:
    """The worker's housekeeping for this feature: due surveys, programmes past their end date, retention."""
    for job in (surveys.schedule_due_surveys, close_ended_programmes, purge_expired_text, purge_speed_event_text):
        try:
            job(db)
        except Exception:
            log.exception("Periodic job %s failed", job.__name__)

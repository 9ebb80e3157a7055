"""A person's rights over their place and their data: leave, get a copy, have it deleted.

- **Leave** (:func:`leave_programme`): private and needs no reason. The pair ends, its booked
  sessions and pending messages stop, the partner is told neutrally (and goes back to the pool) and
  the programme's leads are told.
- **My data** (:func:`export_my_data`): everything held about the person, as JSON: their profiles,
  pairs, sessions (their own "did you meet?" answers only), contracts they agreed, their own
  reflections, concerns they raised (without the leads' notes), survey answers and consents.
  Never their partner's private words, and never the leads' notes about them.
- **Delete my data** (:func:`delete_my_data`): removes their profiles and every piece of text they
  wrote, and replaces their id in pair-level records with a tombstone, so only anonymous counts
  (sessions held, pairs) remain. The leads are told that a participant left; the deletion is
  recorded without the person's id or any text. Afterwards :func:`compact` makes the deleted rows
  unreadable in the database's files: on SQLite the write-ahead log is checkpointed (deleted cells
  are zeroed as they go), on PostgreSQL each touched table is rewritten with ``VACUUM FULL``.
  Above all, the person's data keys are destroyed (:mod:`bot.data_keys`), so any copy of their
  text that survives anyway (a backup, the write-ahead log) cannot be decrypted.

Tables other features add later are covered by name: a row whose ``user_id``,
``author_user_id`` or ``reporter_user_id`` is the person is exported and deleted with the rest.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, Text, case, cast, delete, func, or_, select, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot import data_keys, outbox
from bot.clock import now
from bot.crypto import encryptor
from bot.db import Database
from bot.errors import NotAllowed, NotFound
from bot.models import (
    Agenda,
    AgendaItem,
    Base,
    Concern,
    DataDeletion,
    DeletedParticipant,
    Enrolment,
    MatchOffer,
    MatchRule,
    MentoringSession,
    OutboxMessage,
    Pair,
    PairContract,
    PairIcebreaker,
    Programme,
    ProgrammeLead,
    ProposedPair,
    RecognitionConsent,
    Reflection,
    SurveyResponse,
    WaitingNote,
)

log = logging.getLogger(__name__)

TOMBSTONE = "DELETED"
PARTNER_NOTICE_KIND = "leaving_partner_notice"
LEAD_NOTICE_KIND = "leaving_lead_notice"
DELETED_NOTICE_KIND = "participant_deleted_notice"
EXPORT_KIND = "data_export"
AUTHOR_COLUMNS = ("user_id", "author_user_id", "reporter_user_id")
# Tables handled explicitly below, or never exported (the leads' own working notes, plumbing).
EXPLICIT_TABLES = frozenset(
    {
        "enrolments",
        "programme_leads",
        "pairs",
        "mentoring_sessions",
        "pair_contracts",
        "agendas",
        "agenda_items",
        "pair_icebreakers",
        "reflections",
        "concerns",
        "concern_events",
        "survey_responses",
        "recognition_consents",
        "outbox",
        "waiting_notes",
        "proposed_pairs",
        "match_rules",
        "processed_events",
        "data_deletions",
        "programme_closeouts",
        "pair_schedules",
    }
)


# ------------------------------------------------------------------------------------ leave


@dataclass
class LeaveResult:
    programme_id: int
    programme_name: str
    partner_id: str | None
    lead_ids: list[str]


def _live_enrolments(session: Session, user_id: str) -> list[tuple[Enrolment, Programme]]:
    return [
        (enrolment, programme)
        for enrolment, programme in session.execute(
            select(Enrolment, Programme)
            .join(Programme, Programme.id == Enrolment.programme_id)
            .where(Enrolment.user_id == user_id, Enrolment.status != "left", Programme.status == "active")
            .order_by(Programme.name)
        ).all()
    ]


def leavable_programmes(db: Database, user_id: str) -> list[tuple[int, str]]:
    with db.session() as session:
        return [(programme.id, programme.name) for _, programme in _live_enrolments(session, user_id)]


def _end_pair_of(session: Session, programme_id: int, user_id: str, reason: str) -> str | None:
    """End this person's live pair in a programme: sessions and messages stop. Returns the partner."""
    pair = session.scalar(
        select(Pair).where(
            Pair.programme_id == programme_id,
            or_(Pair.mentor_user_id == user_id, Pair.mentee_user_id == user_id),
            Pair.status.in_(("active", "paused")),
        )
    )
    if pair is None:
        return None
    pair.status = "ended"
    pair.ended_at = now()
    from bot.sessions import service as session_service

    session_service.cancel_pair_sessions(session, pair.id, reason=reason)
    outbox.cancel(session, pair_id=pair.id, reason=reason)
    partner_id = pair.mentee_user_id if pair.mentor_user_id == user_id else pair.mentor_user_id
    partner = session.scalar(
        select(Enrolment).where(Enrolment.programme_id == programme_id, Enrolment.user_id == partner_id)
    )
    if partner is not None and partner.status == "matched":
        partner.status = "waiting"  # back in the pool for the lead to rematch
    return partner_id


def _lead_ids(session: Session, programme_id: int) -> list[str]:
    return list(session.scalars(select(ProgrammeLead.user_id).where(ProgrammeLead.programme_id == programme_id)))


def leave_programme(db: Database, user_id: str, programme: str | int | None = None) -> LeaveResult:
    """Leave a programme (the only one, or the one named). No reason is asked for or stored."""
    with db.session() as session:
        live = _live_enrolments(session, user_id)
        if programme is not None and str(programme).strip():
            wanted = str(programme).strip().lower()
            live = [(e, p) for e, p in live if str(p.id) == wanted or p.name.lower() == wanted]
            if not live:
                raise NotFound("data_rights.not_in_named_programme")
        if not live:
            raise NotFound("data_rights.nothing_to_leave")
        if len(live) > 1:
            names = ", ".join(p.name for _, p in live)
            raise NotAllowed("data_rights.which_programme", programmes=names)

        enrolment, prog = live[0]
        partner_id = _end_pair_of(session, prog.id, user_id, "a participant left the programme")
        enrolment.status = "left"
        stamp = now().isoformat()
        if partner_id:
            outbox.enqueue(
                session,
                kind=PARTNER_NOTICE_KIND,
                key=f"leave:{prog.id}:{enrolment.id}:{stamp}:partner",
                recipient_user_id=partner_id,
                programme_id=prog.id,
                payload={"programme_id": prog.id},
            )
        leads = _lead_ids(session, prog.id)
        for lead in leads:
            outbox.enqueue(
                session,
                kind=LEAD_NOTICE_KIND,
                key=f"leave:{prog.id}:{enrolment.id}:{stamp}:lead:{lead}",
                recipient_user_id=lead,
                programme_id=prog.id,
                payload={"programme_id": prog.id, "enrolment_id": enrolment.id},
            )
        return LeaveResult(prog.id, prog.name, partner_id, leads)


# ------------------------------------------------------------------------------------ export


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _row(obj: Any, *, without: tuple[str, ...] = ()) -> dict[str, Any]:
    table = obj.__table__
    return {c.key: _plain(getattr(obj, c.key)) for c in table.columns if c.key not in without}


def _author_columns(table: Table) -> list[Any]:
    return [table.c[name] for name in AUTHOR_COLUMNS if name in table.c]


def export_my_data(db: Database, user_id: str) -> dict[str, Any]:
    """Everything held about this person, readable by them (sensitive text decrypted)."""
    with db.session() as session:
        return export_my_data_in(session, user_id)


def export_my_data_in(session: Session, user_id: str) -> dict[str, Any]:
    """:func:`export_my_data` inside the caller's unit of work (the outbox renderer's)."""
    enrolments = list(session.scalars(select(Enrolment).where(Enrolment.user_id == user_id)))
    names = dict(session.execute(select(Programme.id, Programme.name)).all())
    pairs = list(
        session.scalars(select(Pair).where(or_(Pair.mentor_user_id == user_id, Pair.mentee_user_id == user_id)))
    )
    pair_ids = [p.id for p in pairs]
    role_in = {p.id: ("mentor" if p.mentor_user_id == user_id else "mentee") for p in pairs}
    sessions_out = []
    for row in session.scalars(
        select(MentoringSession).where(MentoringSession.pair_id.in_(pair_ids)).order_by(MentoringSession.starts_at)
    ):
        mine = row.mentor_answer if role_in[row.pair_id] == "mentor" else row.mentee_answer
        item = _row(row, without=("mentor_answer", "mentee_answer", "ics_uid", "ics_sequence"))
        item["my_did_you_meet_answer"] = mine
        sessions_out.append(item)
    data: dict[str, Any] = {
        "about": "Everything the reverse mentoring app holds about you.",  # the renderer adds who was sent it
        "user_id": user_id,
        "exported_at": now().isoformat(),
        "enrolments": [
            {**_row(e, without=("do_not_pair_with",)), "programme": names.get(e.programme_id)} for e in enrolments
        ],
        "people_you_asked_not_to_be_paired_with": sorted(
            {person for e in enrolments for person in json.loads(e.do_not_pair_with or "[]")}
        ),
        "programmes_you_lead": [
            names.get(pid)
            for pid in session.scalars(select(ProgrammeLead.programme_id).where(ProgrammeLead.user_id == user_id))
        ],
        "pairs": [
            {
                "pair_id": p.id,
                "programme": names.get(p.programme_id),
                "your_role": role_in[p.id],
                "partner_user_id": p.mentee_user_id if role_in[p.id] == "mentor" else p.mentor_user_id,
                "status": p.status,
                "matched_at": _plain(p.created_at),
                "ended_at": _plain(p.ended_at),
            }
            for p in pairs
        ],
        "sessions": sessions_out,
        "contracts": [
            {
                "pair_id": c.pair_id,
                "terms": json.loads(c.terms or "{}"),
                "version": c.version,
                "agreed_at": _plain(c.agreed_at),
                "first_agreed_at": _plain(c.first_agreed_at),
            }
            for c in session.scalars(select(PairContract).where(PairContract.pair_id.in_(pair_ids)))
        ],
        "agenda_items_you_wrote": [
            _row(item) for item in session.scalars(select(AgendaItem).where(AgendaItem.author_user_id == user_id))
        ],
        "icebreakers_shown_to_your_pairs": [
            _row(item) for item in session.scalars(select(PairIcebreaker).where(PairIcebreaker.pair_id.in_(pair_ids)))
        ],
        "reflections": [
            _row(r) for r in session.scalars(select(Reflection).where(Reflection.author_user_id == user_id))
        ],
        "concerns_you_raised": [
            _row(c, without=("outcome_note", "acknowledged_by", "closed_by"))
            for c in session.scalars(select(Concern).where(Concern.reporter_user_id == user_id))
        ],
        "survey_responses": [
            _row(r) for r in session.scalars(select(SurveyResponse).where(SurveyResponse.user_id == user_id))
        ],
        "recognition_consents": [
            _row(r)
            for r in session.scalars(select(RecognitionConsent).where(RecognitionConsent.mentor_user_id == user_id))
        ],
        "messages_sent_to_you": int(
            session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.recipient_user_id == user_id, OutboxMessage.status == "sent")
            )
            or 0
        ),
    }
    # Anything another feature stores against the person (e.g. speed events).
    for name, table in Base.metadata.tables.items():
        if name in EXPLICIT_TABLES:
            continue
        columns = _author_columns(table)
        if not columns:
            continue
        rows = session.execute(select(table).where(or_(*[c == user_id for c in columns]))).mappings().all()
        if rows:
            data[name] = [{k: _plain(v) for k, v in row.items()} for row in rows]
    return data


def as_json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, indent=2, ensure_ascii=False, default=str).encode("utf-8")


def request_export(db: Database, user_id: str) -> None:
    """Send the person their data as a JSON file in their DM (built when it is sent)."""
    with db.session() as session:
        outbox.enqueue(
            session,
            kind=EXPORT_KIND,
            key=f"data-export:{user_id}:{now().isoformat()}",
            recipient_user_id=user_id,
            payload={},
            any_hour=True,  # they have just asked for it
        )


# ------------------------------------------------------------------------------------ delete


@dataclass
class DeletionResult:
    programmes: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def _delete(session: Session, statement: Any) -> int:
    return int(session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]


def delete_my_data(db: Database, user_id: str) -> DeletionResult:
    """Remove the person's personal data and sensitive text; keep only anonymous counts."""
    result = DeletionResult()
    counts: Counter[str] = Counter()
    with db.session() as session:
        enable_secure_delete(session)
        enrolments = list(session.scalars(select(Enrolment).where(Enrolment.user_id == user_id)))
        programmes = {
            p.id: p
            for p in session.scalars(select(Programme).where(Programme.id.in_([e.programme_id for e in enrolments])))
        }
        per_programme: dict[int, Counter[str]] = {}
        notices: list[tuple[int, str, str | None]] = []  # programme, role, partner
        for enrolment in enrolments:
            programme = programmes[enrolment.programme_id]
            result.programmes.append(programme.name)
            partner = None
            if enrolment.status != "left":
                partner = _end_pair_of(session, programme.id, user_id, "a participant left the programme")
                notices.append((programme.id, enrolment.role, partner))
            held = session.scalar(
                select(func.count())
                .select_from(MentoringSession)
                .join(Pair, Pair.id == MentoringSession.pair_id)
                .where(
                    Pair.programme_id == programme.id,
                    or_(Pair.mentor_user_id == user_id, Pair.mentee_user_id == user_id),
                    MentoringSession.status == "held",
                )
            )
            per_programme[programme.id] = Counter({"sessions_held": int(held or 0)})

        # Messages to or about the person: their history goes (payloads hold ids only, but ids are theirs).
        counts["messages"] = _delete(
            session,
            delete(OutboxMessage).where(
                or_(
                    OutboxMessage.recipient_user_id == user_id,
                    cast(OutboxMessage.payload, Text).contains(user_id),
                )
            ),
        )
        # Their words.
        counts["reflections"] = _delete(session, delete(Reflection).where(Reflection.author_user_id == user_id))
        # Core delete: the concern's append-only audit trail goes with it by the foreign key's cascade.
        counts["concerns"] = _delete(session, delete(Concern).where(Concern.reporter_user_id == user_id))
        counts["agenda_items"] = _delete(session, delete(AgendaItem).where(AgendaItem.author_user_id == user_id))
        counts["survey_responses"] = _delete(session, delete(SurveyResponse).where(SurveyResponse.user_id == user_id))
        counts["recognition_consents"] = _delete(
            session, delete(RecognitionConsent).where(RecognitionConsent.mentor_user_id == user_id)
        )
        pair_ids = list(
            session.scalars(select(Pair.id).where(or_(Pair.mentor_user_id == user_id, Pair.mentee_user_id == user_id)))
        )
        if pair_ids:
            # A contract is both people's words: it no longer holds any (the fact it was agreed stays).
            counts["contracts"] = _delete(
                session, update(PairContract).where(PairContract.pair_id.in_(pair_ids)).values(terms="{}")
            )
            session.execute(
                update(MentoringSession)
                .where(MentoringSession.pair_id.in_(pair_ids), MentoringSession.booked_by == user_id)
                .values(booked_by=TOMBSTONE)
            )
            session.execute(
                update(MentoringSession)
                .where(MentoringSession.pair_id.in_(pair_ids))
                .values(
                    mentor_answer=_answer_unless(Pair, "mentor", user_id, pair_ids, MentoringSession.mentor_answer),
                    mentee_answer=_answer_unless(Pair, "mentee", user_id, pair_ids, MentoringSession.mentee_answer),
                )
            )
            session.execute(update(PairContract).where(PairContract.updated_by == user_id).values(updated_by=TOMBSTONE))
            session.execute(update(Agenda).where(Agenda.created_by == user_id).values(created_by=TOMBSTONE))
            session.execute(update(PairIcebreaker).where(PairIcebreaker.asked_by == user_id).values(asked_by=TOMBSTONE))
            session.execute(
                update(Pair).where(Pair.mentor_user_id == user_id).values(mentor_user_id=TOMBSTONE, reasons=[])
            )
            session.execute(
                update(Pair).where(Pair.mentee_user_id == user_id).values(mentee_user_id=TOMBSTONE, reasons=[])
            )
        counts["pairs_anonymised"] = len(pair_ids)
        _delete(
            session,
            delete(ProposedPair).where(
                or_(ProposedPair.mentor_user_id == user_id, ProposedPair.mentee_user_id == user_id)
            ),
        )
        _delete(
            session,
            delete(MatchRule).where(or_(MatchRule.mentor_user_id == user_id, MatchRule.mentee_user_id == user_id)),
        )
        _delete(session, delete(WaitingNote).where(WaitingNote.user_id == user_id))
        offers = or_(MatchOffer.mentor_user_id == user_id, MatchOffer.mentee_user_id == user_id)
        _delete(session, delete(MatchOffer).where(offers))
        counts["profiles"] = _delete(session, delete(Enrolment).where(Enrolment.user_id == user_id))
        # Their data keys (and their pairs' contract keys): every old copy of their text, in the
        # write-ahead log, dead row versions or a backup, can no longer be decrypted.
        counts["data_keys"] = data_keys.destroy_keys_of_person(session, user_id, pair_ids)
        # Remembered only as a keyed hash, so an import never adds them back and they can never lead
        # the programme whose concerns may be about their own pair.
        subject = encryptor().subject_digests(user_id)[0]
        remembered = set(
            session.scalars(select(DeletedParticipant.programme_id).where(DeletedParticipant.subject == subject))
        )
        for programme_id in set(programmes) - remembered:
            session.add(DeletedParticipant(programme_id=programme_id, subject=subject))
        # Anything another feature stores against the person.
        for name, table in Base.metadata.tables.items():
            if name in EXPLICIT_TABLES:
                continue
            columns = _author_columns(table)
            if not columns:
                continue
            try:
                with session.begin_nested():
                    counts[name] = _delete(session, delete(table).where(or_(*[c == user_id for c in columns])))
            except SQLAlchemyError:
                log.warning("Could not delete a person's rows from %s", name)
        # Tell each programme's leads, without a name: the person's details are gone.
        for programme_id, role, partner in notices:
            for lead in _lead_ids(session, programme_id):
                outbox.enqueue(
                    session,
                    kind=DELETED_NOTICE_KIND,
                    key=f"deleted:{programme_id}:{lead}:{now().isoformat()}:{role}:{partner or ''}",
                    recipient_user_id=lead,
                    programme_id=programme_id,
                    payload={"programme_id": programme_id, "role": role, "partner_user_id": partner},
                )
            if partner:
                outbox.enqueue(
                    session,
                    kind=PARTNER_NOTICE_KIND,
                    key=f"deleted:{programme_id}:{partner}:{now().isoformat()}:partner",
                    recipient_user_id=partner,
                    programme_id=programme_id,
                    payload={"programme_id": programme_id},
                )
        roles = {e.programme_id: e.role for e in enrolments}
        for programme_id, kept in per_programme.items():
            session.add(
                DataDeletion(
                    programme_id=programme_id,
                    scope="person",
                    role=roles.get(programme_id),
                    counts={**dict(kept), **{k: v for k, v in counts.items() if v}},
                )
            )
        if not per_programme:
            session.add(DataDeletion(programme_id=None, scope="person", counts={k: v for k, v in counts.items() if v}))
    result.counts = dict(counts)
    compact(db)
    return result


def _answer_unless(pair: Any, role: str, user_id: str, pair_ids: list[int], column: Any) -> Any:
    """Keep the answer unless it was this person's (their private answer goes with them)."""
    own = select(pair.id).where(pair.id.in_(pair_ids), getattr(pair, f"{role}_user_id") == user_id)
    return case((MentoringSession.pair_id.in_(own), None), else_=column)


# Tables a person's deletion (or a retention purge) deletes from or rewrites.
TOUCHED_TABLES = (
    "outbox",
    "reflections",
    "concerns",
    "concern_events",
    "agenda_items",
    "agendas",
    "survey_responses",
    "recognition_consents",
    "pair_contracts",
    "mentoring_sessions",
    "pair_icebreakers",
    "pairs",
    "proposed_pairs",
    "match_rules",
    "waiting_notes",
    "enrolments",
    "speed_event_participants",
    "speed_event_feedback",
    "match_offers",
    "invitation_refusals",
    "participation_pauses",
    "alert_actions",
    "data_keys",  # a destroyed key's wrapped bytes must not linger as a dead row version either
    "induction_steps",
    "induction_completions",
)
PG_LOCK_TIMEOUT = "5s"


def compact(db: Database, tables: tuple[str, ...] = TOUCHED_TABLES) -> None:
    """Make deleted rows unreadable in the database's own files.

    - SQLite keeps old page images in the write-ahead log: checkpoint it and truncate it. Deleted
      cells themselves are zeroed as they are deleted (``PRAGMA secure_delete``, set by
      :func:`enable_secure_delete` on the connection that deletes).
    - PostgreSQL keeps deleted and overwritten row versions in the table and index files until they
      are vacuumed, and a plain ``VACUUM`` only marks their space reusable (the bytes stay). So each
      touched table is rewritten with ``VACUUM FULL`` (outside a transaction), which writes live rows
      to new files and truncates the old ones. It locks the table for the moment it takes; if the lock
      does not come within ``PG_LOCK_TIMEOUT`` a plain ``VACUUM`` runs instead and a warning is logged.
      The write-ahead log (``pg_wal``) and base backups keep old row versions until PostgreSQL
      recycles them, but what they hold of the person is ciphertext under data keys that no longer
      exist (:mod:`bot.data_keys`); a backup taken *before* the deletion still holds the wrapped key,
      which becomes unreadable once the app key it was wrapped with is rotated out (README, "Security").
    """
    if db.engine.dialect.name == "postgresql":
        _vacuum_postgresql(db, tables)
        return
    if db.engine.dialect.name != "sqlite":
        return
    try:
        with db.engine.connect() as connection:
            connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
            connection.commit()
    except SQLAlchemyError:
        log.warning("Could not checkpoint the SQLite write-ahead log after a deletion", exc_info=True)


def _vacuum_postgresql(db: Database, tables: tuple[str, ...]) -> None:
    known = set(Base.metadata.tables)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f"SET lock_timeout = '{PG_LOCK_TIMEOUT}'"))
        for name in tables:
            if name not in known:
                continue
            try:
                connection.execute(text(f'VACUUM FULL "{name}"'))
            except SQLAlchemyError:
                log.warning("Could not rewrite %s after a deletion; running a plain VACUUM", name)
                try:
                    connection.execute(text(f'VACUUM "{name}"'))
                except SQLAlchemyError:
                    log.warning("Could not vacuum %s after a deletion", name, exc_info=True)


def enable_secure_delete(session: Session) -> None:
    """On SQLite, overwrite deleted content with zeros instead of leaving it in free space."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("PRAGMA secure_delete=ON"))


def deletion_preview(db: Database, user_id: str) -> list[str]:
    """The programmes a person's data is held for (for the confirmation)."""
    with db.session() as session:
        return list(
            session.scalars(
                select(Programme.name)
                .join(Enrolment, Enrolment.programme_id == Programme.id)
                .where(Enrolment.user_id == user_id)
                .order_by(Programme.name)
            )
        )

"""Concerns: a private, independent route from anyone in a programme to its programme leads.

Who sees what (DESIGN section 4):

- The reporter writes the concern; its text is encrypted at rest and goes to nobody but the
  programme's leads (primary and backup), who read it in a modal after clicking "Open". The
  partner never learns of it; the alerts (a lead's DM, the leads' private channel) say only that
  there is a concern, its urgency, the programme and the pair.
- An anonymous reporter's identity is kept (so they hear back) but never shown to a lead and never
  written into the audit trail.
- Every action is recorded in :class:`~bot.models.ConcernEvent`, an append-only audit trail:
  this module only ever inserts into it; the ORM refuses updates and deletes, and the database
  refuses updates (a trigger from migration 0006).

Every message this causes (receipt, alerts, chasers, the reporter's updates, the pair's neutral
notices) is an outbox row enqueued in the same transaction as the change; rows hold ids only and
are rendered at send time by :mod:`bot.concerns.notifications`.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event, func, or_, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from bot import outbox, submissions
from bot.clock import as_utc, now
from bot.db import Database
from bot.errors import FieldErrors, NotAllowed, NotFound, Problem
from bot.models import Concern, ConcernEvent, Enrolment, Pair, Programme, ProgrammeLead
from bot.programmes import pauses
from bot.programmes.access import is_lead

log = logging.getLogger(__name__)

URGENCIES = ("today", "this-week", "fyi")
URGENT = "today"
IDENTITIES = ("named", "anonymous")
DETAILS_MAX = 3000
HELP_MAX = 1500
NOTE_MAX = 3000

# The first chaser goes to the leads, the second (escalation) to the backup lead and the admins.
URGENT_CHASE_AFTER = timedelta(hours=2)

RECEIPT_KIND = "concern_receipt"
ALERT_KIND = "concern_alert"
CHANNEL_REFUSED_KIND = "concern_channel_refused"
CHASE_KIND = "concern_chase"
REPORTER_UPDATE_KIND = "concern_reporter_update"
PAIR_NOTICE_KIND = "concern_pair_notice"
REOPENED_KIND = "concern_reopened"

# After closing, the reporter may answer "This isn't resolved" for this long; then they raise a new one.
REOPEN_WINDOW = timedelta(days=30)
MESSAGE_MAX = 2000  # the lead's closing message to the reporter

# What each audit action reads as, for the leads.
ACTION_LABELS = {
    "raised": "Raised",
    "opened": "Opened and read",
    "acknowledged": "Acknowledged",
    "contacted_reporter": "Told the reporter a lead will be in touch",
    "paused_pair": "Paused the pair",
    "rematched_pair": "Ended the pair; both people back in the pool",
    "note_added": "Added a note",
    "closed": "Closed with an outcome note",
    "reporter_told": "Message sent to the reporter",
    "reopened": "Reopened: the reporter says it isn't resolved",
    "chased": "Reminder sent to a lead",
    "escalated": "Escalated to the backup lead or an admin",
    "channel_alerted": "Alert posted in the leads' private channel",
    "channel_refused": "Alert not posted in the leads' channel: someone in it is not a lead",
}


class AuditTrailIsAppendOnly(RuntimeError):
    """Raised when code tries to change or delete an audit entry."""


@event.listens_for(ConcernEvent, "before_update")
def _refuse_update(*_args: Any) -> None:
    raise AuditTrailIsAppendOnly("the concern audit trail is append-only: entries cannot be changed")


@event.listens_for(ConcernEvent, "before_delete")
def _refuse_delete(*_args: Any) -> None:
    raise AuditTrailIsAppendOnly("the concern audit trail is append-only: entries cannot be deleted")


# ------------------------------------------------------------------------------------ input


@dataclass
class ConcernInput:
    programme_id: int | None
    details: str
    urgency: str
    identity: str
    what_would_help: str = ""


def _clean(text: str) -> str:
    """Trim outer whitespace only: whatever people write (any script, emoji) is kept as written."""
    return text.strip()


def validate_concern(data: ConcernInput, programme_ids: Collection[int]) -> None:
    errors: dict[str, Problem] = {}
    if data.programme_id is None or data.programme_id not in programme_ids:
        errors["programme_id"] = Problem("concerns.programme_required")
    details = _clean(data.details)
    if not details:
        errors["details"] = Problem("concerns.details_required")
    elif len(details) > DETAILS_MAX:
        errors["details"] = Problem("concerns.details_too_long", max=DETAILS_MAX, length=len(details))
    if len(_clean(data.what_would_help)) > HELP_MAX:
        errors["what_would_help"] = Problem("concerns.what_would_help_too_long", max=HELP_MAX)
    if data.urgency not in URGENCIES:
        errors["urgency"] = Problem("concerns.urgency_required")
    if data.identity not in IDENTITIES:
        errors["identity"] = Problem("concerns.identity_required")
    if errors:
        raise FieldErrors(errors)


# ------------------------------------------------------------------------------------ results


@dataclass(frozen=True)
class ProgrammeChoice:
    id: int
    name: str


@dataclass
class AuditEntry:
    at: datetime
    actor_user_id: str | None
    action: str
    note: str | None = None

    @property
    def label(self) -> str:
        return ACTION_LABELS.get(self.action, self.action.replace("_", " ").capitalize())


@dataclass
class ConcernSummary:
    """What may be said about a concern where its text must not appear (alerts, lists, dashboards)."""

    id: int
    programme_id: int
    programme_name: str
    urgency: str
    status: str
    created_at: datetime
    pair_id: int | None
    mentor_name: str | None
    mentee_name: str | None


@dataclass
class LeadConcernView:
    """Everything a programme lead may see of a concern (only built for a lead of its programme)."""

    summary: ConcernSummary
    reporter_user_id: str | None  # None when the reporter chose to stay anonymous
    anonymous: bool
    details: str
    what_would_help: str
    outcome_note: str | None
    pair_status: str | None
    mentor_user_id: str | None
    mentee_user_id: str | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    closed_at: datetime | None
    closed_by: str | None
    events: list[AuditEntry] = field(default_factory=list)
    message: str = ""  # what the last action did, for the lead

    @property
    def id(self) -> int:
        return self.summary.id

    @property
    def status(self) -> str:
        return self.summary.status

    @property
    def can_contact(self) -> bool:
        return not self.anonymous and self.status != "closed"

    @property
    def can_act_on_pair(self) -> bool:
        return self.status != "closed" and self.pair_status in {"active", "paused"}


@dataclass(frozen=True)
class RaisedConcern:
    id: int
    programme_id: int
    alerts_channel_id: str | None
    lead_ids: tuple[str, ...]  # everyone who may read it (primary and backup leads)
    replayed: bool = False  # the same submission arrived again: nothing new was saved or sent


@dataclass(frozen=True)
class ReporterConcern:
    id: int
    programme_name: str
    urgency: str
    status: str
    created_at: datetime


# ------------------------------------------------------------------------------------ reporting


def programmes_for_reporter(db: Database, user_id: str) -> list[ProgrammeChoice]:
    """The programmes someone may raise a concern in: those they are (or were) a participant of
    and that are still running. Someone who left can still tell the lead what happened."""
    with db.session() as session:
        rows = session.execute(
            select(Programme.id, Programme.name)
            .join(Enrolment, Enrolment.programme_id == Programme.id)
            .where(Enrolment.user_id == user_id, Programme.status == "active")
            .order_by(Enrolment.created_at)
        ).all()
        return [ProgrammeChoice(int(pid), str(name)) for pid, name in rows]


def working_days_after(at: datetime, days: int) -> datetime:
    """``days`` working days (Monday to Friday) after ``at``, at the same time of day."""
    moment = at
    for _ in range(days):
        moment += timedelta(days=1)
        while moment.weekday() >= 5:
            moment += timedelta(days=1)
    return moment


def chase_times(urgency: str, raised_at: datetime) -> tuple[datetime, datetime]:
    """When an unacknowledged concern is chased: first the leads, then the backup lead and admins."""
    if urgency == URGENT:
        return raised_at + URGENT_CHASE_AFTER, raised_at + 2 * URGENT_CHASE_AFTER
    return working_days_after(raised_at, 1), working_days_after(raised_at, 2)


def _current_pair(session: Session, programme_id: int, user_id: str) -> Pair | None:
    return session.scalar(
        select(Pair)
        .where(
            Pair.programme_id == programme_id,
            or_(Pair.mentor_user_id == user_id, Pair.mentee_user_id == user_id),
            Pair.status.in_(["active", "paused"]),
        )
        .order_by(Pair.created_at.desc(), Pair.id.desc())
        .limit(1)
    )


def _record(session: Session, concern: Concern, action: str, actor: str | None, note: str | None = None) -> None:
    session.add(ConcernEvent(concern_id=concern.id, at=now(), actor_user_id=actor, action=action, note=note))


def raise_concern(
    db: Database,
    reporter_id: str,
    data: ConcernInput,
    *,
    admins: Collection[str] = (),
    submission: str | None = None,
) -> RaisedConcern:
    """Save a concern and, in the same transaction, its receipt, the leads' alerts and the chasers.

    ``submission`` names the submitted form: a replay or a second press of Send finds the concern the
    first one saved (``replayed``), and nothing is sent twice. A database failure, such as a lock
    held longer than the short lock timeout, becomes a field error: the reporter's form stays open
    with what they wrote, and nothing is half-saved.
    """
    allowed = {choice.id for choice in programmes_for_reporter(db, reporter_id)}
    validate_concern(data, allowed)
    assert data.programme_id is not None
    try:
        with db.session() as session:
            earlier = submissions.earlier_result(session, submission)
            if earlier is not None and (saved := session.get(Concern, earlier.result_id)) is not None:
                programme = session.get(Programme, saved.programme_id)
                lead_ids = tuple(lead.user_id for lead in programme.leads) if programme else ()
                alerts = programme.alerts_channel_id if programme else None
                return RaisedConcern(saved.id, saved.programme_id, alerts, lead_ids, replayed=True)
            programme = session.get(Programme, data.programme_id)
            if programme is None:
                raise FieldErrors.on("programme_id", "programmes.not_found")
            pair = _current_pair(session, programme.id, reporter_id)
            anonymous = data.identity == "anonymous"
            concern = Concern(
                programme_id=programme.id,
                pair_id=pair.id if pair else None,
                reporter_user_id=reporter_id,
                anonymous=anonymous,
                urgency=data.urgency,
                details=_clean(data.details),
                what_would_help=_clean(data.what_would_help) or None,
                status="open",
                created_at=now(),
            )
            session.add(concern)
            session.flush()
            submissions.remember(session, submission, "concern", concern.id)
            _record(session, concern, "raised", None if anonymous else reporter_id)
            _enqueue_raised(session, concern, programme, admins)
            lead_ids = tuple(lead.user_id for lead in programme.leads)
            return RaisedConcern(concern.id, programme.id, programme.alerts_channel_id, lead_ids)
    except IntegrityError:
        if submission:  # a twin of this submission committed first: answer with its concern
            return raise_concern(db, reporter_id, data, admins=admins, submission=submission)
        log.exception("Could not save a concern (programme %s)", data.programme_id)
        raise FieldErrors.on("details", "concerns.save_failed") from None
    except SQLAlchemyError:
        log.warning("Could not save a concern (programme %s): the database is busy or down", data.programme_id)
        raise FieldErrors.on("details", "concerns.save_failed") from None


def _enqueue_raised(session: Session, concern: Concern, programme: Programme, admins: Collection[str]) -> None:
    common: dict[str, Any] = {"programme_id": programme.id, "topic": f"concern:{concern.id}"}
    payload = {"concern_id": concern.id}
    outbox.enqueue(
        session,
        kind=RECEIPT_KIND,
        key=f"concern:{concern.id}:receipt",
        recipient_user_id=concern.reporter_user_id,
        payload=payload,
        any_hour=True,  # the reporter has just raised it: the receipt and support come at once
        **common,
    )
    for lead_id in _first_line(programme):
        outbox.enqueue(
            session,
            kind=ALERT_KIND,
            key=f"concern:{concern.id}:alert:{lead_id}",
            recipient_user_id=lead_id,
            payload=payload,
            **common,
        )
    _enqueue_chasers(session, concern, programme, admins, as_utc(concern.created_at))


def _first_line(programme: Programme) -> list[str]:
    """Who is alerted and chased first: the primary leads (the backup leads when there are none)."""
    primary = [lead.user_id for lead in programme.leads if not lead.is_backup]
    return primary or [lead.user_id for lead in programme.leads if lead.is_backup]


def _enqueue_chasers(
    session: Session, concern: Concern, programme: Programme, admins: Collection[str], start: datetime, tag: str = ""
) -> None:
    """The chase schedule from ``start``: the first line of leads, then the backup leads and admins.

    ``tag`` names the round (``""`` when raised, ``":r1"`` after the first reopening...), so a
    reopened concern is chased afresh while the earlier round's rows stay as they were."""
    common: dict[str, Any] = {"programme_id": programme.id, "topic": f"concern:{concern.id}"}
    payload = {"concern_id": concern.id}
    first_line = _first_line(programme)
    backups = [lead.user_id for lead in programme.leads if lead.is_backup]
    first, second = chase_times(concern.urgency, start)
    for lead_id in first_line:
        outbox.enqueue(
            session,
            kind=CHASE_KIND,
            key=f"concern:{concern.id}{tag}:chase:{lead_id}",
            send_at=first,
            recipient_user_id=lead_id,
            payload={**payload, "stage": "chase"},
            **common,
        )
    escalate_to = [user for user in dict.fromkeys([*backups, *admins]) if user not in first_line]
    for user_id in escalate_to:
        outbox.enqueue(
            session,
            kind=CHASE_KIND,
            key=f"concern:{concern.id}{tag}:escalate:{user_id}",
            send_at=second,
            recipient_user_id=user_id,
            payload={**payload, "stage": "escalate"},
            **common,
        )


def alerts_channel_allowed_members(db: Database, concern_id: int) -> tuple[str | None, set[str]]:
    """The programme's leads' channel and who may be in it (its leads) for a concern's alert."""
    with db.session() as session:
        concern = session.get(Concern, concern_id)
        if concern is None:
            return None, set()
        programme = session.get(Programme, concern.programme_id)
        if programme is None:
            return None, set()
        return programme.alerts_channel_id, {lead.user_id for lead in programme.leads}


def alert_leads_channel(db: Database, concern_id: int, *, private_to_leads: bool) -> bool:
    """Post the alert (no text) in the leads' private channel, but only if the caller has checked
    it is private and holds no one but the programme's leads; otherwise tell the leads by DM why
    it was not posted. Returns True if the channel alert was enqueued."""
    with db.session() as session:
        concern = session.get(Concern, concern_id)
        if concern is None:
            return False
        programme = session.get(Programme, concern.programme_id)
        if programme is None or not programme.alerts_channel_id:
            return False
        common: dict[str, Any] = {"programme_id": programme.id, "topic": f"concern:{concern.id}"}
        if private_to_leads:
            _record(session, concern, "channel_alerted", None)
            return outbox.enqueue(
                session,
                kind=ALERT_KIND,
                key=f"concern:{concern.id}:alert:channel",
                channel_id=programme.alerts_channel_id,
                payload={"concern_id": concern.id, "channel": True},
                **common,
            )
        _record(session, concern, "channel_refused", None)
        for lead in programme.leads:
            if not lead.is_backup:
                outbox.enqueue(
                    session,
                    kind=CHANNEL_REFUSED_KIND,
                    key=f"concern:{concern.id}:channel-refused:{lead.user_id}",
                    recipient_user_id=lead.user_id,
                    payload={"concern_id": concern.id, "channel_id": programme.alerts_channel_id},
                    **common,
                )
        return False


LOW_SAFETY = (1, 2)  # "Not safe at all", "Not very safe": offered support and a concern, privately


def felt_unsafe(rating: int | None) -> bool:
    """A safety rating (1-5) low enough to offer that person, and only them, support and a concern."""
    return rating in LOW_SAFETY


def programme_support(db: Database, programme_id: int) -> str:
    """The programme's own support resources (shown with the app's own), or ""."""
    with db.session() as session:
        programme = session.get(Programme, programme_id)
        return programme.support_resources or "" if programme else ""


def concerns_of_reporter(db: Database, user_id: str) -> list[ReporterConcern]:
    """A reporter's own concerns (their status), newest first."""
    with db.session() as session:
        rows = session.execute(
            select(Concern, Programme.name)
            .join(Programme, Programme.id == Concern.programme_id)
            .where(Concern.reporter_user_id == user_id)
            .order_by(Concern.created_at.desc(), Concern.id.desc())
        ).all()
        return [ReporterConcern(c.id, str(name), c.urgency, c.status, c.created_at) for c, name in rows]


# ------------------------------------------------------------------------------------ reading


def _names(session: Session, programme_id: int, user_ids: Sequence[str]) -> dict[str, str]:
    return {
        user: name or user
        for user, name in session.execute(
            select(Enrolment.user_id, Enrolment.real_name).where(
                Enrolment.programme_id == programme_id, Enrolment.user_id.in_(list(user_ids))
            )
        ).all()
    }


def _summary(session: Session, concern: Concern) -> ConcernSummary:
    programme = session.get(Programme, concern.programme_id)
    pair = session.get(Pair, concern.pair_id) if concern.pair_id else None
    names = _names(session, concern.programme_id, [pair.mentor_user_id, pair.mentee_user_id]) if pair else {}
    return ConcernSummary(
        id=concern.id,
        programme_id=concern.programme_id,
        programme_name=programme.name if programme else "",
        urgency=concern.urgency,
        status=concern.status,
        created_at=as_utc(concern.created_at),
        pair_id=pair.id if pair else None,
        mentor_name=names.get(pair.mentor_user_id, pair.mentor_user_id) if pair else None,
        mentee_name=names.get(pair.mentee_user_id, pair.mentee_user_id) if pair else None,
    )


def summary(session: Session, concern_id: int) -> ConcernSummary | None:
    """A concern's text-free summary (for alerts and chasers, rendered at send time)."""
    concern = session.get(Concern, concern_id)
    return _summary(session, concern) if concern else None


def _for_lead(session: Session, concern_id: int, lead_id: str, *, lock: bool = False) -> Concern:
    """The concern, if ``lead_id`` leads its programme; the same answer whether it is missing or not theirs."""
    concern = session.get(Concern, concern_id, with_for_update=lock)
    if concern is None or not is_lead(session, concern.programme_id, lead_id):
        raise NotFound("concerns.not_visible")
    return concern


def _lead_view(session: Session, concern: Concern, message: str = "") -> LeadConcernView:
    pair = session.get(Pair, concern.pair_id) if concern.pair_id else None
    events = session.scalars(
        select(ConcernEvent).where(ConcernEvent.concern_id == concern.id).order_by(ConcernEvent.at, ConcernEvent.id)
    ).all()
    return LeadConcernView(
        summary=_summary(session, concern),
        reporter_user_id=None if concern.anonymous else concern.reporter_user_id,
        anonymous=concern.anonymous,
        details=concern.details,
        what_would_help=concern.what_would_help or "",
        outcome_note=concern.outcome_note,
        pair_status=pair.status if pair else None,
        mentor_user_id=pair.mentor_user_id if pair else None,
        mentee_user_id=pair.mentee_user_id if pair else None,
        acknowledged_at=concern.acknowledged_at,
        acknowledged_by=concern.acknowledged_by,
        closed_at=concern.closed_at,
        closed_by=concern.closed_by,
        events=[AuditEntry(as_utc(e.at), e.actor_user_id, e.action, e.note) for e in events],
        message=message,
    )


def open_for_lead(db: Database, concern_id: int, lead_id: str) -> LeadConcernView:
    """A lead reads a concern (recorded in the audit trail). Anyone else gets :class:`NotFound`."""
    with db.session() as session:
        concern = _for_lead(session, concern_id, lead_id)
        _record(session, concern, "opened", lead_id)
        session.flush()
        return _lead_view(session, concern)


def audit_trail(db: Database, concern_id: int, lead_id: str) -> list[AuditEntry]:
    with db.session() as session:
        concern = _for_lead(session, concern_id, lead_id)
        return _lead_view(session, concern).events


def open_concerns_for_lead(db: Database, lead_id: str) -> list[ConcernSummary]:
    """Open and acknowledged concerns in every programme this person leads (no text)."""
    with db.session() as session:
        programme_ids = list(
            session.scalars(select(ProgrammeLead.programme_id).where(ProgrammeLead.user_id == lead_id))
        )
        return open_concern_summaries(session, programme_ids)


def open_concern_summaries(session: Session, programme_ids: Sequence[int]) -> list[ConcernSummary]:
    """Concerns not yet closed in these programmes, urgent first (for dashboards: no text).

    The caller must already have checked that the viewer leads these programmes.
    """
    if not programme_ids:
        return []
    concerns = session.scalars(
        select(Concern)
        .where(Concern.programme_id.in_(list(programme_ids)), Concern.status != "closed")
        .order_by(Concern.created_at)
    ).all()
    summaries = [_summary(session, concern) for concern in concerns]
    order = {urgency: position for position, urgency in enumerate(URGENCIES)}
    return sorted(summaries, key=lambda s: (s.status != "open", order.get(s.urgency, 9), s.created_at))


# ------------------------------------------------------------------------------------ lead actions


def _reopenings(session: Session, concern: Concern) -> int:
    """How often the reporter has reopened this concern (each reopening starts a new round)."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(ConcernEvent)
            .where(ConcernEvent.concern_id == concern.id, ConcernEvent.action == "reopened")
        )
        or 0
    )


def _round_tag(session: Session, concern: Concern) -> str:
    rounds = _reopenings(session, concern)
    return f":r{rounds}" if rounds else ""


def _tell_reporter(
    session: Session, concern: Concern, what: str, lead_id: str | None = None, event_id: int | None = None
) -> None:
    """A private update to the reporter, once per round (a reopened concern is acknowledged afresh)."""
    payload: dict[str, Any] = {"concern_id": concern.id, "what": what, "lead_id": lead_id}
    if event_id is not None:
        payload["event_id"] = event_id
    outbox.enqueue(
        session,
        kind=REPORTER_UPDATE_KIND,
        key=f"concern:{concern.id}:reporter:{what}{_round_tag(session, concern)}",
        recipient_user_id=concern.reporter_user_id,
        programme_id=concern.programme_id,
        topic=f"concern:{concern.id}",
        payload=payload,
    )


def _acknowledge_if_open(session: Session, concern: Concern, lead_id: str) -> bool:
    if concern.status != "open":
        return False
    concern.status = "acknowledged"
    concern.acknowledged_at = now()
    concern.acknowledged_by = lead_id
    _record(session, concern, "acknowledged", lead_id)
    _tell_reporter(session, concern, "acknowledged")
    return True


def _require_not_closed(concern: Concern) -> None:
    if concern.status == "closed":
        raise NotAllowed("concerns.closed")


def acknowledge(db: Database, concern_id: int, lead_id: str) -> LeadConcernView:
    """The lead has seen it: chasers stop and the reporter is told (once, however often it is clicked)."""
    with db.session() as session:
        concern = _for_lead(session, concern_id, lead_id, lock=True)
        _require_not_closed(concern)
        done = _acknowledge_if_open(session, concern, lead_id)
        session.flush()
        message = (
            "Acknowledged. The reporter has been told you are looking into it."
            if done
            else ("This concern was already acknowledged.")
        )
        return _lead_view(session, concern, message)


def contact_reporter(db: Database, concern_id: int, lead_id: str) -> LeadConcernView:
    """Tell a named reporter that this lead will be in touch (never possible for an anonymous one)."""
    with db.session() as session:
        concern = _for_lead(session, concern_id, lead_id, lock=True)
        _require_not_closed(concern)
        if concern.anonymous:
            raise NotAllowed("concerns.reporter_anonymous")
        _acknowledge_if_open(session, concern, lead_id)
        _record(session, concern, "contacted_reporter", lead_id)
        outbox.enqueue(
            session,
            kind=REPORTER_UPDATE_KIND,
            key=f"concern:{concern.id}:reporter:contact:{lead_id}:{int(now().timestamp())}",
            recipient_user_id=concern.reporter_user_id,
            programme_id=concern.programme_id,
            topic=f"concern:{concern.id}",
            payload={"concern_id": concern.id, "what": "contact", "lead_id": lead_id},
        )
        session.flush()
        return _lead_view(session, concern, "The reporter has been told you will be in touch. Message them directly.")


def _pair_for_action(session: Session, concern: Concern) -> Pair:
    pair = session.get(Pair, concern.pair_id, with_for_update=True) if concern.pair_id else None
    if pair is None:
        raise NotAllowed("concerns.not_about_a_pair")
    return pair


def _stop_pair_messages(session: Session, pair: Pair, reason: str) -> None:
    from bot.sessions import service as session_service

    session_service.cancel_pair_sessions(session, pair.id, reason=reason)
    outbox.cancel(session, pair_id=pair.id, reason=reason)


def _tell_pair(session: Session, pair: Pair, what: str, source: str) -> None:
    """Both people, told the same neutral words: nothing says why, or who asked. ``source`` names
    what caused it (a concern's id, an alert action), so each cause tells them once."""
    for user_id in (pair.mentor_user_id, pair.mentee_user_id):
        outbox.enqueue(
            session,
            kind=PAIR_NOTICE_KIND,
            key=f"pair:{pair.id}:{what}:{source}:{user_id}",
            recipient_user_id=user_id,
            programme_id=pair.programme_id,
            payload={"pair_id": pair.id, "what": what},
        )


def pause_pair_now(session: Session, pair: Pair, lead_id: str) -> None:
    """Pause an active pair (the caller holds its row lock): its sessions and prompts stop.

    Not one message to both at once (the senior could guess a concern): each hears, on their own next
    working morning, the words a partner hears when someone simply takes a break. Shared by the
    concern's "Pause the pair" and the pair alerts' (:mod:`bot.concerns.pair_alerts`)."""
    if pair.status != "active":
        raise NotAllowed("concerns.cannot_pause", status=pair.status)
    _stop_pair_messages(session, pair, "the pair was paused")
    pauses.pause_pair_by_lead(session, pair, lead_id)


def end_pair_for_rematch(session: Session, pair: Pair, source: str) -> None:
    """End the pair and put both people back in the pool for a new match (as a decline does)."""
    if pair.status not in {"active", "paused"}:
        raise NotAllowed("concerns.already_ended", status=pair.status)
    pair.status = "ended"
    pair.ended_at = now()
    _stop_pair_messages(session, pair, "the pair was ended for a rematch")
    enrolments = session.scalars(
        select(Enrolment).where(
            Enrolment.programme_id == pair.programme_id,
            Enrolment.user_id.in_([pair.mentor_user_id, pair.mentee_user_id]),
        )
    ).all()
    for enrolment in enrolments:
        if enrolment.status == "matched":
            enrolment.status = "waiting"
    _tell_pair(session, pair, "ended", source)


REMATCHED = "The pair has ended and both people are back in the pool. Run `/mentoring match` to find new partners."


def pause_pair(db: Database, concern_id: int, lead_id: str) -> LeadConcernView:
    """Pause the pair: its booked sessions and pending prompts stop; both people told neutrally."""
    with db.session() as session:
        concern = _for_lead(session, concern_id, lead_id, lock=True)
        _require_not_closed(concern)
        pair = _pair_for_action(session, concern)
        if pair.status != "active":
            raise NotAllowed("concerns.cannot_pause", status=pair.status)
        _acknowledge_if_open(session, concern, lead_id)
        pause_pair_now(session, pair, lead_id)
        _record(session, concern, "paused_pair", lead_id)
        session.flush()
        return _lead_view(session, concern, "The pair is paused and both people have been told, neutrally.")


def rematch_pair(db: Database, concern_id: int, lead_id: str) -> LeadConcernView:
    """End the pair and put both people back in the pool for a new match (as a decline does)."""
    with db.session() as session:
        concern = _for_lead(session, concern_id, lead_id, lock=True)
        _require_not_closed(concern)
        pair = _pair_for_action(session, concern)
        if pair.status not in {"active", "paused"}:
            raise NotAllowed("concerns.already_ended", status=pair.status)
        _acknowledge_if_open(session, concern, lead_id)
        end_pair_for_rematch(session, pair, str(concern.id))
        _record(session, concern, "rematched_pair", lead_id)
        session.flush()
        return _lead_view(session, concern, REMATCHED)


def add_note(db: Database, concern_id: int, lead_id: str, note: str) -> LeadConcernView:
    """A lead's note on the concern, kept (encrypted) in the audit trail, for leads only."""
    text = _clean(note)
    if not text:
        raise FieldErrors.on("note", "concerns.note_required")
    if len(text) > NOTE_MAX:
        raise FieldErrors.on("note", "concerns.note_too_long", max=NOTE_MAX)
    with db.session() as session:
        concern = _for_lead(session, concern_id, lead_id, lock=True)
        _acknowledge_if_open(session, concern, lead_id)
        _record(session, concern, "note_added", lead_id, text)
        session.flush()
        return _lead_view(session, concern, "Your note is saved in the audit trail.")


def close(
    db: Database, concern_id: int, lead_id: str, outcome_note: str, reporter_message: str
) -> LeadConcernView:
    """Close with an outcome note (for the leads only) and a message to the reporter (for them only).

    The reporter gets the message privately, with a button to say it isn't resolved (for
    :data:`REOPEN_WINDOW`). The message is kept, encrypted, in the audit trail; the payload of its
    outbox row names the audit entry, never the words. For an anonymous concern the app delivers it
    and the lead never learns to whom.
    """
    text, message = _clean(outcome_note), _clean(reporter_message)
    errors: dict[str, Problem] = {}
    if not text:
        errors["outcome_note"] = Problem("concerns.outcome_note_required")
    elif len(text) > NOTE_MAX:
        errors["outcome_note"] = Problem("concerns.outcome_note_too_long", max=NOTE_MAX)
    if not message:
        errors["reporter_message"] = Problem("concerns.reporter_message_required")
    elif len(message) > MESSAGE_MAX:
        errors["reporter_message"] = Problem("concerns.reporter_message_too_long", max=MESSAGE_MAX)
    if errors:
        raise FieldErrors(errors)
    with db.session() as session:
        concern = _for_lead(session, concern_id, lead_id, lock=True)
        _require_not_closed(concern)
        _acknowledge_if_open(session, concern, lead_id)
        concern.status = "closed"
        concern.closed_at = now()
        concern.closed_by = lead_id
        concern.outcome_note = text
        _record(session, concern, "closed", lead_id)
        told = ConcernEvent(
            concern_id=concern.id, at=now(), actor_user_id=lead_id, action="reporter_told", note=message
        )
        session.add(told)
        session.flush()
        _tell_reporter(session, concern, "closed", event_id=told.id)
        session.flush()
        return _lead_view(session, concern, "Closed. The reporter has been sent your message, never your outcome note.")


@dataclass(frozen=True)
class Reopening:
    """What happened when a reporter said "This isn't resolved"."""

    outcome: str  # reopened | already_open | too_late
    concern_id: int
    programme_id: int
    programme_name: str
    closed_at: datetime | None = None


def reopen(db: Database, concern_id: int, reporter_id: str, *, admins: Collection[str] = ()) -> Reopening:
    """The reporter says their closed concern isn't resolved: within :data:`REOPEN_WINDOW` of its
    closing it is open again (audited), the leads are told and chased afresh; later, it stays closed
    and they are offered a new concern. Nobody but the reporter can reopen it (:class:`NotFound`)."""
    with db.session() as session:
        concern = session.get(Concern, concern_id, with_for_update=True)
        if concern is None or concern.reporter_user_id != reporter_id:
            raise NotFound("concerns.not_visible")
        programme = session.get(Programme, concern.programme_id)
        name = programme.name if programme else ""
        if concern.status != "closed":
            return Reopening("already_open", concern.id, concern.programme_id, name)
        closed_at = as_utc(concern.closed_at or concern.created_at)
        if programme is None or now() - closed_at > REOPEN_WINDOW or programme.status != "active":
            return Reopening("too_late", concern.id, concern.programme_id, name, closed_at)
        concern.status = "open"
        concern.acknowledged_at = concern.acknowledged_by = None
        concern.closed_at = concern.closed_by = None
        # An anonymous reporter stays anonymous in the audit trail, as when they raised it.
        _record(session, concern, "reopened", None if concern.anonymous else reporter_id)
        session.flush()
        # An earlier round's chasers still waiting (the dispatcher was down) would chase twice.
        others = (RECEIPT_KIND, ALERT_KIND, CHANNEL_REFUSED_KIND, REPORTER_UPDATE_KIND, PAIR_NOTICE_KIND, REOPENED_KIND)
        outbox.cancel(session, topic=f"concern:{concern.id}", reason="the concern was reopened", keep_kinds=others)
        tag = _round_tag(session, concern)
        for lead_id in _first_line(programme):
            outbox.enqueue(
                session,
                kind=REOPENED_KIND,
                key=f"concern:{concern.id}{tag}:reopened:{lead_id}",
                recipient_user_id=lead_id,
                programme_id=programme.id,
                topic=f"concern:{concern.id}",
                payload={"concern_id": concern.id},
            )
        _enqueue_chasers(session, concern, programme, admins, now(), tag)
        return Reopening("reopened", concern.id, programme.id, name, closed_at)


def reporter_message(session: Session, event_id: int, concern_id: int) -> str | None:
    """The lead's closing message to the reporter (for the reporter's update, rendered at send time)."""
    event = session.get(ConcernEvent, event_id)
    if event is None or event.concern_id != concern_id or event.action != "reporter_told":
        return None
    return event.note


def record_delivery(session: Session, concern_id: int, action: str) -> None:
    """The dispatcher sent a chaser or an escalation: add it to the audit trail."""
    concern = session.get(Concern, concern_id)
    if concern is not None:
        _record(session, concern, action, None)

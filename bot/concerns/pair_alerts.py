"""Lead actions on a pair alert: every alert the lead gets about a pair can be acted on from itself.

An alert about a pair (at risk, "did you meet?" answers that disagree; later declined or lapsed
matches and long pauses) is an outbox row per recipient (a lead's DM, or the leads' channel). Its
message carries the same buttons, built by :func:`bot.concerns.pair_alert_blocks.pair_alert_message`
from :func:`state_for_row`:

- "Check in with <mentor>" / "Check in with <mentee>": the lead writes a short private message,
  which the app delivers to that person's DM, from the programme lead; the partner never sees it.
- "Pause the pair", "Rematch": the same as the concern's lead actions (:mod:`bot.concerns.service`).
- "Mark handled".

Each button's value is the id of the outbox row that posted it (``<id>`` or ``<id>:<role>``);
the row says which programme, pair and alert it is about, so a click is checked against the
programme's leads (anyone else, or a forged id, gets ``pair_alerts.not_visible``). What was done is an
:class:`~bot.models.AlertAction` row, and every posted copy of the alert (each row's ``slack_ts``
and ``channel_id``, recorded by the dispatcher) is returned for the caller to update in Slack.

To attach these actions to a new kind of pair alert: enqueue it with ``pair_id`` set and a key
ending in ``:<recipient>`` (or ``payload["alert"]`` naming the alert), render its message with
``pair_alert_message(text, state_for_row(session, row))``, and add a base-text function for the
kind to the handlers' ``PAIR_ALERT_TEXTS`` so an updated copy says the same thing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import outbox, submissions
from bot.clock import as_utc, now
from bot.concerns.service import REMATCHED, end_pair_for_rematch, pause_pair_now
from bot.db import Database
from bot.errors import FieldErrors, NotAllowed, NotFound, Problem
from bot.models import AlertAction, Enrolment, MatchOffer, OutboxMessage, Pair, Programme
from bot.programmes import pauses
from bot.programmes.access import is_lead

CHECK_IN_KIND = "pair_alert_check_in"
CHECK_IN_MAX = 2000
ROLES = ("mentor", "mentee")
PAUSED = "The pair is paused and both people have been told, neutrally."

# How a pair alert's base text is rendered again for an updated copy, by outbox kind.
AlertText = Callable[[Session, OutboxMessage], str | None]


@dataclass(frozen=True)
class AlertPerson:
    user_id: str
    name: str
    role: str


@dataclass(frozen=True)
class DoneAction:
    action: str  # check_in | paused | resumed | rematched | next_proposal | handled
    actor_user_id: str
    at: datetime
    addressee_user_id: str | None = None


@dataclass(frozen=True)
class PairAlertState:
    """What an alert's message shows: its pair, what has been done about it, and what can still be."""

    alert_id: int  # the outbox row that posted this copy (the buttons' value)
    programme_name: str
    pair_status: str  # the pair's status; for a match that never became a pair, "offer_<status>"
    mentor: AlertPerson
    mentee: AlertPerson
    done: tuple[DoneAction, ...] = ()
    offer_id: int | None = None  # a declined or lapsed match: no pair, and the mentee never knew

    @property
    def is_offer(self) -> bool:
        return self.offer_id is not None

    @property
    def paused_here(self) -> bool:
        """Paused by a lead from this alert and not resumed from it since (so it may be resumed here)."""
        state = None
        for done in self.done:
            if done.action in ("paused", "resumed"):
                state = done.action
        return state == "paused" and self.pair_status == "paused"

    @property
    def handled_by(self) -> str | None:
        return next((d.actor_user_id for d in self.done if d.action == "handled"), None)

    def person(self, role: str) -> AlertPerson:
        return self.mentor if role == "mentor" else self.mentee

    def partner(self, role: str) -> AlertPerson:
        return self.mentee if role == "mentor" else self.mentor


@dataclass(frozen=True)
class PostedCopy:
    """One posted copy of an alert, to update in Slack: where it is and what it now says."""

    channel: str
    ts: str
    text: str
    state: PairAlertState


@dataclass
class AlertOutcome:
    message: str  # for the lead who acted
    copies: list[PostedCopy] = field(default_factory=list)
    addressee: AlertPerson | None = None
    # The visibility promise (an id in content/promises.yml) the lead's note ends with: this service
    # has no content, so the blocks module adds its words (pair_alert_blocks.outcome_note).
    promise: str | None = None


@dataclass(frozen=True)
class CheckInTarget:
    alert_id: int
    role: str
    person: AlertPerson
    partner: AlertPerson
    programme_name: str
    about_offer: bool = False  # a match that never went ahead: the mentee never knew of it


def alert_key(row: OutboxMessage) -> str:
    """The alert a row is a copy of: every recipient's row of one alert shares it."""
    named = (row.payload or {}).get("alert")
    return str(named) if named else row.key.rsplit(":", 1)[0]


def _person(session: Session, programme_id: int, user_id: str, role: str) -> AlertPerson:
    name = session.scalar(
        select(Enrolment.real_name).where(Enrolment.programme_id == programme_id, Enrolment.user_id == user_id)
    )
    return AlertPerson(user_id, name or "", role)


def _done(session: Session, key: str) -> tuple[DoneAction, ...]:
    rows = session.scalars(select(AlertAction).where(AlertAction.alert == key).order_by(AlertAction.id)).all()
    return tuple(DoneAction(r.action, r.actor_user_id, as_utc(r.at), r.addressee_user_id) for r in rows)


def _offer_of(session: Session, row: OutboxMessage) -> MatchOffer | None:
    offer_id = (row.payload or {}).get("offer_id")
    if row.pair_id is not None or not offer_id:
        return None
    offer = session.get(MatchOffer, int(offer_id))
    if offer is None or offer.programme_id != row.programme_id or offer.status not in ("declined", "lapsed"):
        return None
    return offer


def state_for_row(session: Session, row: OutboxMessage) -> PairAlertState | None:
    """The state a copy of a pair alert shows (None when its pair is gone): for renderers too."""
    offer = _offer_of(session, row)
    if offer is not None:
        programme = session.get(Programme, offer.programme_id)
        return PairAlertState(
            alert_id=row.id,
            programme_name=programme.name if programme else "",
            pair_status=f"offer_{offer.status}",
            mentor=_person(session, offer.programme_id, offer.mentor_user_id, "mentor"),
            mentee=_person(session, offer.programme_id, offer.mentee_user_id, "mentee"),
            done=_done(session, alert_key(row)),
            offer_id=offer.id,
        )
    pair = session.get(Pair, row.pair_id) if row.pair_id is not None else None
    if pair is None:
        return None
    programme = session.get(Programme, pair.programme_id)
    return PairAlertState(
        alert_id=row.id,
        programme_name=programme.name if programme else "",
        pair_status=pair.status,
        mentor=_person(session, pair.programme_id, pair.mentor_user_id, "mentor"),
        mentee=_person(session, pair.programme_id, pair.mentee_user_id, "mentee"),
        done=_done(session, alert_key(row)),
    )


@dataclass
class _Subject:
    """What an alert is about: a pair, or a match offer that never became one."""

    programme_id: int
    mentor_user_id: str
    mentee_user_id: str
    pair: Pair | None = None
    offer: MatchOffer | None = None

    def user_of(self, role: str) -> str:
        return self.mentor_user_id if role == "mentor" else self.mentee_user_id


def _alert_for_lead(
    session: Session, alert_id: int, lead_id: str, texts: Mapping[str, AlertText], *, lock: bool = False
) -> tuple[OutboxMessage, _Subject]:
    """The alert row and what it is about, if ``lead_id`` leads its programme; the same answer otherwise."""
    row = session.get(OutboxMessage, alert_id)
    if row is None or row.kind not in texts or row.status != "sent" or row.programme_id is None:
        raise NotFound("pair_alerts.not_visible")
    if not is_lead(session, row.programme_id, lead_id):
        raise NotFound("pair_alerts.not_visible")
    offer = _offer_of(session, row)
    if offer is not None:
        return row, _Subject(offer.programme_id, offer.mentor_user_id, offer.mentee_user_id, offer=offer)
    if row.pair_id is None:
        raise NotFound("pair_alerts.not_visible")
    pair = session.get(Pair, row.pair_id, with_for_update=lock)
    if pair is None or pair.programme_id != row.programme_id:
        raise NotFound("pair_alerts.not_visible")
    return row, _Subject(pair.programme_id, pair.mentor_user_id, pair.mentee_user_id, pair=pair)


def _pair_of(subject: _Subject) -> Pair:
    """Pause, resume and rematch need a pair: a match that never became one has none to act on."""
    if subject.pair is None:
        raise NotAllowed("pair_alerts.no_pair")
    return subject.pair


def _record(
    session: Session, row: OutboxMessage, subject: _Subject, action: str, actor: str, **extra: str
) -> AlertAction:
    done = AlertAction(
        programme_id=subject.programme_id,
        pair_id=subject.pair.id if subject.pair is not None else None,
        offer_id=subject.offer.id if subject.offer is not None else None,
        alert=alert_key(row),
        alert_kind=row.kind,
        action=action,
        actor_user_id=actor,
        at=now(),
        **extra,
    )
    session.add(done)
    session.flush()
    return done


def _copies(session: Session, row: OutboxMessage, texts: Mapping[str, AlertText]) -> list[PostedCopy]:
    """Every posted copy of the alert (each lead's DM, the leads' channel), as it should read now."""
    key = alert_key(row)
    rows = session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.kind == row.kind,
            OutboxMessage.pair_id.is_(None) if row.pair_id is None else OutboxMessage.pair_id == row.pair_id,
            OutboxMessage.key.startswith(key + ":", autoescape=True),
            OutboxMessage.status == "sent",
            OutboxMessage.slack_ts.isnot(None),
            OutboxMessage.channel_id.isnot(None),
        )
    ).all()
    copies = []
    for copy in rows:
        text, state = texts[copy.kind](session, copy), state_for_row(session, copy)
        if text is not None and state is not None:
            copies.append(PostedCopy(str(copy.channel_id), str(copy.slack_ts), text, state))
    return copies


def _role(raw: str) -> str:
    if raw not in ROLES:
        raise NotFound("pair_alerts.not_visible")
    return raw


def check_in_target(
    db: Database, alert_id: int, lead_id: str, role: str, texts: Mapping[str, AlertText]
) -> CheckInTarget:
    """Whom a check-in from this alert goes to (for the lead's form)."""
    with db.session() as session:
        row, _subject = _alert_for_lead(session, alert_id, lead_id, texts)
        state = state_for_row(session, row)
        assert state is not None
        role = _role(role)
        return CheckInTarget(
            alert_id, role, state.person(role), state.partner(role), state.programme_name, state.is_offer
        )


def check_in(
    db: Database,
    alert_id: int,
    lead_id: str,
    role: str,
    message: str,
    texts: Mapping[str, AlertText],
    *,
    submission: str | None = None,
) -> AlertOutcome:
    """Send the lead's private message to one person of the pair (never to the partner).

    The words are kept encrypted on the :class:`AlertAction`; the outbox row names it, nothing
    more. A replayed submission (``submission``) finds the first one and sends nothing again.
    """
    text = message.strip()
    if not text:
        raise FieldErrors({"message": Problem("pair_alerts.message_required")})
    if len(text) > CHECK_IN_MAX:
        raise FieldErrors({"message": Problem("pair_alerts.message_too_long", max=CHECK_IN_MAX)})
    with db.session() as session:
        row, subject = _alert_for_lead(session, alert_id, lead_id, texts)
        role = _role(role)
        addressee = subject.user_of(role)
        person = _person(session, subject.programme_id, addressee, role)
        if submissions.earlier_result(session, submission) is None:
            done = _record(session, row, subject, "check_in", lead_id, addressee_user_id=addressee, message=text)
            submissions.remember(session, submission, "alert_check_in", done.id)
            outbox.enqueue(
                session,
                kind=CHECK_IN_KIND,
                key=f"alert-action:{done.id}:check-in",
                recipient_user_id=addressee,
                programme_id=subject.programme_id,
                payload={"alert_action_id": done.id},
            )
        return AlertOutcome(
            f"Your message is on its way to <@{addressee}>'s DM, from you as the programme lead.",
            _copies(session, row, texts),
            person,
            promise="offer-check-in-sent" if subject.offer is not None else "check-in-sent",
        )


def pause(db: Database, alert_id: int, lead_id: str, texts: Mapping[str, AlertText]) -> AlertOutcome:
    """Pause the pair from the alert, as the concern's "Pause the pair" does."""
    with db.session() as session:
        row, subject = _alert_for_lead(session, alert_id, lead_id, texts, lock=True)
        pair = _pair_of(subject)
        _record(session, row, subject, "paused", lead_id)
        pause_pair_now(session, pair, lead_id)
        session.flush()
        return AlertOutcome(PAUSED, _copies(session, row, texts))


def resume(db: Database, alert_id: int, lead_id: str, texts: Mapping[str, AlertText]) -> AlertOutcome:
    """Resume a pair a lead paused (a person's own break stays theirs to end)."""
    with db.session() as session:
        row, subject = _alert_for_lead(session, alert_id, lead_id, texts, lock=True)
        pair = _pair_of(subject)
        message = pauses.resume_pair_by_lead(session, pair, lead_id)
        _record(session, row, subject, "resumed", lead_id)
        session.flush()
        return AlertOutcome(message, _copies(session, row, texts))


def rematch(db: Database, alert_id: int, lead_id: str, texts: Mapping[str, AlertText]) -> AlertOutcome:
    """End the pair and put both back in the pool, as the concern's "Rematch" does."""
    with db.session() as session:
        row, subject = _alert_for_lead(session, alert_id, lead_id, texts, lock=True)
        pair = _pair_of(subject)
        done = _record(session, row, subject, "rematched", lead_id)
        end_pair_for_rematch(session, pair, f"alert-action{done.id}")
        session.flush()
        return AlertOutcome(REMATCHED, _copies(session, row, texts))


def next_proposal(db: Database, alert_id: int, lead_id: str, texts: Mapping[str, AlertText]) -> AlertOutcome:
    """A match that did not go ahead: the lead opens the next proposal (recorded; the caller opens it)."""
    with db.session() as session:
        row, subject = _alert_for_lead(session, alert_id, lead_id, texts, lock=True)
        _record(session, row, subject, "next_proposal", lead_id)
        return AlertOutcome("", _copies(session, row, texts))


def alert_programme(db: Database, alert_id: int) -> int:
    with db.session() as session:
        row = session.get(OutboxMessage, alert_id)
        return int(row.programme_id or 0) if row is not None else 0


def mark_handled(db: Database, alert_id: int, lead_id: str, texts: Mapping[str, AlertText]) -> AlertOutcome:
    """Nothing more is needed: recorded once, however often it is pressed."""
    with db.session() as session:
        row, subject = _alert_for_lead(session, alert_id, lead_id, texts, lock=True)
        earlier = session.scalar(
            select(AlertAction).where(AlertAction.alert == alert_key(row), AlertAction.action == "handled").limit(1)
        )
        if earlier is not None:
            raise NotAllowed("pair_alerts.already_handled", lead=f"<@{earlier.actor_user_id}>")
        _record(session, row, subject, "handled", lead_id)
        return AlertOutcome("Marked handled.", _copies(session, row, texts), promise="alert-handled")


@dataclass(frozen=True)
class CheckInMessage:
    lead_id: str
    programme_name: str
    message: str
    has_partner: bool = True  # False after a match that did not go ahead: there is no partner to mention


def check_in_message(session: Session, action_id: int, recipient: str | None) -> CheckInMessage | None:
    """A check-in's words, for its addressee only (rendered at send time)."""
    done = session.get(AlertAction, action_id)
    if done is None or done.action != "check_in" or done.message is None or done.addressee_user_id != recipient:
        return None
    programme = session.get(Programme, done.programme_id)
    return CheckInMessage(
        done.actor_user_id, programme.name if programme else "", done.message, has_partner=done.pair_id is not None
    )

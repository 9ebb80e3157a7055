"""Concern messages sent through the outbox, rendered from the database at send time.

Alerts and chasers say that there is a concern, never what it says; the reporter's messages never
carry a lead's notes; the pair's notices are the same neutral words for both people.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from bot.clock import as_utc
from bot.concerns import pair_alerts
from bot.concerns import service as concerns
from bot.concerns.blocks import (
    alert_message,
    channel_refused_message,
    chase_message,
    pair_notice_message,
    receipt_message,
    reopened_message,
    reporter_update_message,
)
from bot.concerns.pair_alert_blocks import check_in_delivery
from bot.content import Content
from bot.models import Concern, OutboxMessage, Pair, Programme
from bot.outbox import Kind, Rendered, Skip
from bot.programmes.access import is_lead


def _concern(session: Session, row: OutboxMessage) -> Concern | None:
    return session.get(Concern, int(row.payload.get("concern_id") or 0))


def render_receipt(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    concern = _concern(session, row)
    if concern is None:
        return Skip("the concern no longer exists")
    programme = session.get(Programme, concern.programme_id)
    if programme is None:
        return Skip("the programme no longer exists")
    text, blocks = receipt_message(
        content, programme.name, concern.urgency, programme.support_resources or "", concern.anonymous
    )
    return Rendered(text=text, blocks=blocks, user_id=concern.reporter_user_id)


def render_alert(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    summary = concerns.summary(session, int(row.payload.get("concern_id") or 0))
    if summary is None:
        return Skip("the concern no longer exists")
    if summary.status == "closed":
        return Skip("the concern is already closed")
    text, blocks = alert_message(summary)
    if row.payload.get("channel"):
        programme = session.get(Programme, summary.programme_id)
        # Only ever the channel the programme names now, checked as private to its leads when raised.
        if programme is None or programme.alerts_channel_id != row.channel_id:
            return Skip("the leads' channel has changed since the concern was raised")
        return Rendered(text=text, blocks=blocks, channel=row.channel_id)
    if row.recipient_user_id is None or not is_lead(session, summary.programme_id, row.recipient_user_id):
        return Skip("the recipient is no longer a lead of this programme")
    return Rendered(text=text, blocks=blocks, user_id=row.recipient_user_id)


def render_channel_refused(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    summary = concerns.summary(session, int(row.payload.get("concern_id") or 0))
    if summary is None:
        return Skip("the concern no longer exists")
    text, blocks = channel_refused_message(content, summary, str(row.payload.get("channel_id") or ""))
    return Rendered(text=text, blocks=blocks, user_id=row.recipient_user_id)


def render_chase(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    summary = concerns.summary(session, int(row.payload.get("concern_id") or 0))
    if summary is None:
        return Skip("the concern no longer exists")
    if summary.status != "open":
        return Skip(f"the concern is {summary.status}")
    stage = str(row.payload.get("stage") or "chase")
    recipient = row.recipient_user_id or ""
    can_open = is_lead(session, summary.programme_id, recipient)
    if stage == "chase" and not can_open:
        return Skip("the recipient is no longer a lead of this programme")
    text, blocks = chase_message(summary, stage, can_open)
    return Rendered(text=text, blocks=blocks, user_id=recipient)


def chase_sent(session: Session, row: OutboxMessage, slack_ts: str | None) -> None:
    action = "escalated" if row.payload.get("stage") == "escalate" else "chased"
    concerns.record_delivery(session, int(row.payload.get("concern_id") or 0), action)


def render_reporter_update(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    concern = _concern(session, row)
    if concern is None:
        return Skip("the concern no longer exists")
    programme = session.get(Programme, concern.programme_id)
    what = str(row.payload.get("what") or "")
    lead_id = row.payload.get("lead_id")
    closing, closed_at = None, None
    if what == "closed" and row.payload.get("event_id"):
        closing = concerns.reporter_message(session, int(row.payload["event_id"]), concern.id)
        if concern.status == "closed" and concern.closed_at is not None:
            closed_at = as_utc(concern.closed_at)
    text, blocks = reporter_update_message(
        content,
        what,
        programme.name if programme else "your programme",
        lead_id,
        concern_id=concern.id,
        closing_message=closing,
        closed_at=closed_at,
    )
    return Rendered(text=text, blocks=blocks, user_id=concern.reporter_user_id)


def render_reopened(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    summary = concerns.summary(session, int(row.payload.get("concern_id") or 0))
    if summary is None:
        return Skip("the concern no longer exists")
    if summary.status == "closed":
        return Skip("the concern was closed again")
    if row.recipient_user_id is None or not is_lead(session, summary.programme_id, row.recipient_user_id):
        return Skip("the recipient is no longer a lead of this programme")
    text, blocks = reopened_message(summary)
    return Rendered(text=text, blocks=blocks, user_id=row.recipient_user_id)


def render_pair_notice(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    pair = session.get(Pair, int(row.payload.get("pair_id") or 0))
    if pair is None:
        return Skip("the pair no longer exists")
    programme = session.get(Programme, pair.programme_id)
    text, blocks = pair_notice_message(content, str(row.payload.get("what")), programme.name if programme else "")
    return Rendered(text=text, blocks=blocks, user_id=row.recipient_user_id)


def render_check_in(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    """A lead's private check-in, from a pair alert, to its addressee only."""
    message = pair_alerts.check_in_message(session, int(row.payload.get("alert_action_id") or 0), row.recipient_user_id)
    if message is None:
        return Skip("the check-in no longer exists")
    text, blocks = check_in_delivery(content, message)
    return Rendered(text=text, blocks=blocks, user_id=row.recipient_user_id)


# Every timed message this feature sends: its kind, how it renders, its overdue policy.
KINDS: dict[str, Kind] = {
    concerns.RECEIPT_KIND: Kind(render_receipt),
    concerns.ALERT_KIND: Kind(render_alert),
    concerns.CHANNEL_REFUSED_KIND: Kind(render_channel_refused, skip_if_later_than=timedelta(days=2)),
    concerns.CHASE_KIND: Kind(render_chase, on_sent=chase_sent),
    concerns.REPORTER_UPDATE_KIND: Kind(render_reporter_update),
    concerns.PAIR_NOTICE_KIND: Kind(render_pair_notice),
    concerns.REOPENED_KIND: Kind(render_reopened),
    pair_alerts.CHECK_IN_KIND: Kind(render_check_in),
}

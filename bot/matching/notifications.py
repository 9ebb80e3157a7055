"""Mentor-first consent's timed messages, rendered from the database when they are sent.

The offer and its one reminder go to the mentor alone, and only while the offer is open; the
deadline check lapses an unanswered offer (so the mentee never hears of it) and alerts the leads;
the matched notice goes to each person only once the mentor has said yes and the pair is active.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.clock import now
from bot.concerns import pair_alerts
from bot.concerns.pair_alert_blocks import pair_alert_message
from bot.content import Content
from bot.journey import service as journey
from bot.matching import blocks, consent
from bot.matching.blocks import match_offer_message, matched_notice
from bot.models import OutboxMessage
from bot.outbox import Kind, Rendered, Skip
from bot.programmes.access import is_lead


def _open_offer(session: Session, row: OutboxMessage) -> consent.OfferView | Skip:
    view = consent.offer_view(session, int(row.payload.get("offer_id") or 0))
    if view is None:
        return Skip("the offer no longer exists")
    if view.status != "pending":
        return Skip(f"the offer was {view.status}")
    if now() >= view.deadline:
        return Skip("the time to answer has passed")
    return view


def render_offer(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    view = _open_offer(session, row)
    if isinstance(view, Skip):
        return view
    text, blocks = match_offer_message(content, view)
    return Rendered(text=text, blocks=blocks, user_id=view.mentor.user_id)


def render_offer_reminder(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    view = _open_offer(session, row)
    if isinstance(view, Skip):
        return view
    text, blocks = match_offer_message(content, view, reminder=True)
    return Rendered(text=text, blocks=blocks, user_id=view.mentor.user_id)


def render_offer_deadline(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    """Checks state at the deadline: an offer still open lapses here. Nothing is posted by this row."""
    if consent.lapse_if_unanswered(session, int(row.payload.get("offer_id") or 0)):
        return Skip("no answer by the deadline: lapsed, and the leads alerted")
    return Skip("the mentor had already answered")


def not_going_ahead_text(session: Session, row: OutboxMessage) -> str | None:
    """The alert's words (None when the offer is gone): at send time and for updated copies."""
    view = consent.offer_view(session, int(row.payload.get("offer_id") or 0))
    return blocks.not_going_ahead_text(view) if view is not None else None


def render_not_going_ahead(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    """To each lead (or the leads' channel): with the lead's actions (check in, next proposal, handled)."""
    view = consent.offer_view(session, int(row.payload.get("offer_id") or 0))
    if view is None:
        return Skip("the offer no longer exists")
    if row.channel_id is None and (
        row.recipient_user_id is None or not is_lead(session, view.mentor.programme_id, row.recipient_user_id)
    ):
        return Skip("the recipient is no longer a lead of this programme")
    state = pair_alerts.state_for_row(session, row)
    if state is None:
        text, body = blocks.not_going_ahead_message(content, view)
        return Rendered(text=text, blocks=body, user_id=row.recipient_user_id)
    text = blocks.not_going_ahead_text(view)
    target = {"channel": row.channel_id} if row.channel_id else {"user_id": row.recipient_user_id}
    return Rendered(text=text, blocks=pair_alert_message(content, text, state), **target)


def render_match_confirmed(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    people = journey.load_pair(session, int(row.payload.get("pair_id") or 0))
    if people is None:
        return Skip("the pair no longer exists")
    if people.pair.status != "active":
        return Skip(f"the pair is {people.pair.status}")
    user_id = row.recipient_user_id or ""
    if user_id not in people.user_ids:
        return Skip("the recipient is no longer in this pair")
    text, blocks = matched_notice(
        content, people.programme, people.person(people.role_of(user_id)), people.partner_of(user_id), people.pair_id
    )
    return Rendered(text=text, blocks=blocks, user_id=user_id)


# An offer and its reminder check the deadline themselves; the deadline check always runs, however late.
KINDS: dict[str, Kind] = {
    consent.OFFER: Kind(render_offer),
    consent.OFFER_REMINDER: Kind(render_offer_reminder),
    consent.OFFER_DEADLINE: Kind(render_offer_deadline),
    consent.NOT_GOING_AHEAD: Kind(render_not_going_ahead),
    consent.MATCH_CONFIRMED: Kind(render_match_confirmed),
}

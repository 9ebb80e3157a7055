"""Mentor-first consent's timed messages, rendered from the database when they are sent.

The offer and its one reminder go to the mentor alone, and only while the offer is open; the
deadline check lapses an unanswered offer (so the mentee never hears of it) and alerts the leads;
the matched notice goes to each person only once the mentor has said yes and the pair is active.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.clock import now
from bot.content import Content
from bot.journey import service as journey
from bot.matching import consent
from bot.matching.blocks import match_offer_message, matched_notice, not_going_ahead_message
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
    text, blocks = match_offer_message(view)
    return Rendered(text=text, blocks=blocks, user_id=view.mentor.user_id)


def render_offer_reminder(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    view = _open_offer(session, row)
    if isinstance(view, Skip):
        return view
    text, blocks = match_offer_message(view, reminder=True)
    return Rendered(text=text, blocks=blocks, user_id=view.mentor.user_id)


def render_offer_deadline(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    """Checks state at the deadline: an offer still open lapses here. Nothing is posted by this row."""
    if consent.lapse_if_unanswered(session, int(row.payload.get("offer_id") or 0)):
        return Skip("no answer by the deadline: lapsed, and the leads alerted")
    return Skip("the mentor had already answered")


def render_not_going_ahead(session: Session, row: OutboxMessage, content: Content) -> Rendered | Skip:
    view = consent.offer_view(session, int(row.payload.get("offer_id") or 0))
    if view is None:
        return Skip("the offer no longer exists")
    if row.recipient_user_id is None or not is_lead(session, view.mentor.programme_id, row.recipient_user_id):
        return Skip("the recipient is no longer a lead of this programme")
    text, blocks = not_going_ahead_message(view)
    return Rendered(text=text, blocks=blocks, user_id=row.recipient_user_id)


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
        people.programme, people.person(people.role_of(user_id)), people.partner_of(user_id), people.pair_id
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

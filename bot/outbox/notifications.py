"""The outbox's own timed message: telling the leads that a message could not be delivered."""

from __future__ import annotations

from typing import Any

from bot.blockkit import escape, mention
from bot.models import OutboxMessage
from bot.outbox import Kind, Rendered, Skip

DELIVERY_FAILED = "delivery_failed"


SLACK_ERRORS = {
    "user_disabled": "their Slack account is deactivated",
    "account_inactive": "their Slack account is inactive",
    "channel_not_found": "the conversation no longer exists",
    "is_archived": "the conversation is archived",
    "not_in_channel": "I am no longer in the conversation",
    "cannot_dm_bot": "the recipient is a bot",
    "service_unavailable": "Slack kept answering that it was unavailable",
}


def _reason(error: object) -> str:
    """Slack's error code in words (a lead never reads ``user_disabled``), or nothing if unknown."""
    words = SLACK_ERRORS.get(str(error))
    return f" ({words})" if words else ""


def render_delivery_failed(session: Any, row: OutboxMessage, content: Any) -> Rendered | Skip:
    payload = row.payload
    who = payload["who"]
    person = mention(str(who)) if str(who).startswith(("U", "W")) else escape(who)
    text = (
        f"I couldn't deliver messages to {person} in *{escape(payload['programme'])}*{_reason(payload['error'])}: "
        "their account may be deactivated or the conversation gone. Later messages to them will fail too; "
        "you may want to check in with them another way, or pause their pair."
    )
    return Rendered(text=text, user_id=row.recipient_user_id)


KINDS: dict[str, Kind] = {DELIVERY_FAILED: Kind(render_delivery_failed)}

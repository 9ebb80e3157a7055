"""The outbox's own timed message: telling the leads that a message could not be delivered, and why.

The reason is the one Slack gave (or the way the dispatcher gave up), in words from
``content/messages.yml`` (``delivery_failure_reasons``): each says what the lead can do about it.
"""

from __future__ import annotations

from typing import Any

from bot.blockkit import channel_mention, escape, mention
from bot.models import OutboxMessage, Pair
from bot.outbox import Kind, Rendered, Skip

DELIVERY_FAILED = "delivery_failed"

# Slack's error code (or the dispatcher's own words for giving up) -> the reason shown to the lead.
REASONS: dict[str, str] = {
    "not_in_channel": "not_in_channel",
    "channel_not_found": "channel_not_found",
    "is_archived": "is_archived",
    "account_inactive": "account_inactive",
    "user_disabled": "account_inactive",
    "user_not_found": "user_not_found",
    "users_not_found": "user_not_found",
    "cannot_dm_bot": "cannot_dm_bot",
    "missing_scope": "missing_scope",
    "not_allowed_token_type": "missing_scope",
    "restricted_action": "restricted_action",
    "user_not_in_channel": "restricted_action",
    "invalid_blocks": "message_refused",
    "msg_too_long": "message_refused",
    "no_text": "message_refused",
    "ratelimited": "rate_limited",
    "internal_error": "slack_unavailable",
    "service_unavailable": "slack_unavailable",
    "fatal_error": "slack_unavailable",
    "request_timeout": "slack_unavailable",
}


def failure_reason(error: str) -> str:
    """Which reason (a field of ``delivery_failure_reasons``) an error code or a give-up note is."""
    if "connection:" in error:  # "gave up after 12 attempts: connection: URLError"
        return "unreachable"
    if "render error" in error:
        return "render_error"
    code = error.rsplit(": ", 1)[-1].strip()  # "gave up after 12 attempts: http 503" -> "http 503"
    if code.startswith("http 5"):
        return "slack_unavailable"
    return REASONS.get(code, "unknown")


def _who(session: Any, payload: dict[str, Any]) -> str:
    who = str(payload["who"])
    if who.startswith(("U", "W")):
        return mention(who)
    if who.startswith(("C", "G", "D")):
        return channel_mention(who)
    pair = session.get(Pair, payload.get("pair_id")) if payload.get("pair_id") is not None else None
    if pair is not None:
        return f"{mention(pair.mentor_user_id)} and {mention(pair.mentee_user_id)}"
    return escape(who)


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
    error = str(payload.get("error") or "")
    reason_name = str(payload.get("reason") or failure_reason(error))
    reasons = content.messages.delivery_failure_reasons
    template = getattr(reasons, reason_name, reasons.unknown)
    reason = template.format(error=escape(error), needed=escape(payload.get("needed") or "a scope"))
    text = content.message(
        "delivery_failed", who=_who(session, payload), programme=escape(payload["programme"]), reason=reason
    )
    return Rendered(text=text, user_id=row.recipient_user_id)


KINDS: dict[str, Kind] = {DELIVERY_FAILED: Kind(render_delivery_failed)}

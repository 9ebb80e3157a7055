"""Every alert addressed to the leads' private channel reaches the leads, even when the channel fails.

A programme may send its leads' alerts (session alerts, pair alerts, concern alerts, anything a
feature addresses to ``Programme.alerts_channel_id``) to a private channel. When Slack refuses a
post there for good (the app was never invited or was removed: ``channel_not_found`` /
``not_in_channel``; the channel was archived), the dispatcher calls :func:`fall_back_to_dms`:

- the same alert is enqueued to each lead's DM, as the same kind with the same payload, keyed as
  that lead's copy of the alert (``<alert>:<lead>``), so buttons and "what was done" work on it
  and a lead who already had a DM copy (concern alerts always go by DM too) gets no second one;
- each lead is told once, in plain words, why the channel failed and how to fix it (never the
  misleading "their account may be deactivated").

Plain data in, plain results out; nothing here talks to Slack.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot import outbox
from bot.db import Database
from bot.models import OutboxMessage, Programme
from bot.programmes.leads_channel import UNUSABLE_ERRORS

CHANNEL_FAILED = "leads_channel_failed"  # to each lead: the channel could not be used, and why
CHANNEL_SUFFIX = ":channel"


def dm_key(row: OutboxMessage, lead_id: str) -> str:
    """A lead's own copy of the alert the channel row carried (the same alert key, then the lead)."""
    base = row.key[: -len(CHANNEL_SUFFIX)] if row.key.endswith(CHANNEL_SUFFIX) else row.key
    return f"{base}:{lead_id}"


def is_leads_channel_row(session: Session, row: OutboxMessage) -> Programme | None:
    """The programme whose leads' channel this row was addressed to, or None."""
    if not row.channel_id or row.programme_id is None:
        return None
    programme = session.get(Programme, row.programme_id)
    if programme is None or programme.alerts_channel_id != row.channel_id:
        return None
    return programme


def fall_back_to_dms(db: Database, row: OutboxMessage, slack_error: str) -> bool:
    """The channel refused ``row`` for good: send it to each lead's DM instead, and say why once.

    Returns True when the row was a leads' channel alert (so the caller tells nobody else)."""
    if slack_error not in UNUSABLE_ERRORS:
        return False
    with db.session() as session:
        programme = is_leads_channel_row(session, row)
        if programme is None:
            return False
        payload = {k: v for k, v in (row.payload or {}).items() if k != "channel"}
        payload["via_dm_because"] = slack_error
        kind = row.kind  # the same kind as the channel's copy: already registered
        for lead in programme.leads:
            outbox.enqueue(
                session,
                kind=kind,
                key=dm_key(row, lead.user_id),
                recipient_user_id=lead.user_id,
                programme_id=programme.id,
                pair_id=row.pair_id,
                topic=row.topic,
                payload=payload,
            )
            outbox.enqueue(
                session,
                kind=CHANNEL_FAILED,
                key=f"{CHANNEL_FAILED}:{programme.id}:{row.channel_id}:{slack_error}:{lead.user_id}",
                recipient_user_id=lead.user_id,
                programme_id=programme.id,
                payload={"channel_id": row.channel_id, "error": slack_error},
            )
        return True

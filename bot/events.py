"""At-least-once delivery of Slack events: remember each event_id so a retry has no second effect."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from bot.clock import now
from bot.db import Database
from bot.models import ProcessedEvent

KEEP_EVENT_IDS_FOR = timedelta(days=2)  # Slack stops retrying within about an hour


def first_delivery(db: Database, event_id: str) -> bool:
    """True the first time an event_id is seen; False for every redelivery."""
    try:
        with db.session() as session:
            session.add(ProcessedEvent(event_id=event_id, received_at=now()))
    except IntegrityError:
        return False
    return True


def forget_old_events(db: Database) -> int:
    with db.session() as session:
        result = session.execute(delete(ProcessedEvent).where(ProcessedEvent.received_at < now() - KEEP_EVENT_IDS_FOR))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

"""Every submission that creates something happens once.

Slack may deliver a form twice (a double click, a replay inside its 5-minute window, or a person
pressing Submit again after Slack gave up waiting on a slow database). The handler names the
submitted view (:func:`view_key`); the service, in the same transaction as the record it creates,
looks the key up (:func:`earlier_result`) and, if it is new, writes it (:func:`remember`). Two
deliveries racing each other meet at the key's primary key: one commits, the other rolls back
and finds the first one's record.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from bot.clock import now
from bot.db import Database
from bot.models import Submission

KEEP_FOR = timedelta(days=7)  # far beyond any retry Slack or a person makes


def view_key(view: Mapping[str, Any]) -> str | None:
    """The key of a submitted modal: its callback and the view id Slack gave it (stable across retries)."""
    view_id, callback = view.get("id"), view.get("callback_id")
    return f"{callback}:{view_id}"[:200] if view_id and callback else None


def earlier_result(session: Session, key: str | None) -> Submission | None:
    return session.get(Submission, key) if key else None


def remember(session: Session, key: str | None, kind: str, result_id: int | None) -> None:
    """Record that ``key`` made ``result_id``; flushed now, so a racing twin fails here, in its own transaction."""
    if key:
        session.add(Submission(key=key, kind=kind, result_id=result_id, created_at=now()))
        session.flush()


def forget_old_submissions(db: Database) -> int:
    with db.session() as session:
        result = session.execute(delete(Submission).where(Submission.created_at < now() - KEEP_FOR))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

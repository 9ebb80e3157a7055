"""The outbox: every timed message is a row; a dispatcher claims due rows and sends each once.

Services call :func:`enqueue` inside their own unit of work, so a message is scheduled in the
same transaction as the change that causes it (and :func:`cancel` likewise). What a row says is
rendered when it is sent, by its ``kind`` (each feature's ``notifications`` module): a renderer reads the
database as it is *then* and returns a :class:`Rendered` message or a :class:`Skip` with the
reason (the session was cancelled, the pair is paused, the reminder is now pointless).

Claiming is safe with several dispatchers at once: on PostgreSQL ``SELECT ... FOR UPDATE SKIP
LOCKED`` plus a lease; on SQLite one atomic ``UPDATE ... RETURNING`` (SQLite serialises writers).
A dispatcher that dies mid-batch leaves leased rows; when the lease expires they are claimed again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, case, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.clock import as_utc, now
from bot.content import Content
from bot.db import Database
from bot.models import OutboxMessage
from bot.outbox import timing

LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 12  # with backoff capped at 10 minutes: about an hour of a Slack outage


@dataclass(frozen=True)
class Rendered:
    """A message ready to send: to a person's DM (``user_id``) or into a conversation (``channel``)."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    user_id: str | None = None
    channel: str | None = None
    group_user_ids: tuple[str, ...] = ()  # open (or reuse) a group DM with these people
    file: OutboxFile | None = None
    pin: bool = False


@dataclass(frozen=True)
class OutboxFile:
    filename: str
    content: bytes
    title: str


@dataclass(frozen=True)
class Skip:
    """Nothing to send any more; recorded with the reason."""

    reason: str


Renderer = Callable[[Session, OutboxMessage, Content], Rendered | Skip]


@dataclass(frozen=True)
class Kind:
    render: Renderer
    # After downtime: a row this late is skipped and recorded instead of sent (None: always send).
    skip_if_later_than: timedelta | None = None
    # Called (in the dispatcher's unit of work) once a row of this kind is sent: e.g. record it.
    on_sent: Callable[[Session, OutboxMessage, str | None], None] | None = None


Kinds = Mapping[str, Kind]
"""Every kind the app sends, by name: built once at start from an explicit list (:mod:`bot.registry`)."""


def enqueue(
    session: Session,
    *,
    kind: str,
    key: str,
    send_at: datetime | None = None,
    payload: dict[str, Any] | None = None,
    recipient_user_id: str | None = None,
    channel_id: str | None = None,
    programme_id: int | None = None,
    pair_id: int | None = None,
    topic: str | None = None,
    about: datetime | None = None,
    any_hour: bool = False,
) -> bool:
    """Schedule a message once: a second call with the same ``key`` does nothing. True if new.

    The row is delivered no earlier than ``send_at`` and inside its people's working hours
    (:mod:`bot.outbox.timing`): ``about`` is the time of the event the message is about (a session
    reminder may fall outside working hours when its session does), ``any_hour`` marks an answer to
    something the recipient has just done. A held row records when it was first due
    (``payload["held_from"]``).

    The kind is not looked up here: which kinds exist is decided at start (:mod:`bot.registry`),
    and a test holds every ``enqueue`` call in the code against that list."""
    due = as_utc(send_at or now())
    deliver = timing.deliver_at(
        session,
        due,
        programme_id=programme_id,
        recipient_user_id=recipient_user_id,
        channel_id=channel_id,
        pair_id=pair_id,
        about=about,
        any_hour=any_hour,
    )
    payload = dict(payload or {})
    if deliver != due:
        payload["held_from"] = as_utc(due).isoformat()
    values = {
        "key": key,
        "kind": kind,
        "payload": payload,
        "recipient_user_id": recipient_user_id,
        "channel_id": channel_id,
        "programme_id": programme_id,
        "pair_id": pair_id,
        "topic": topic,
        "send_at": deliver,
        "status": "pending",
        "attempts": 0,
        "created_at": now(),
    }
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(OutboxMessage)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(OutboxMessage.id)
    )
    return session.execute(statement).scalar() is not None


def cancel(
    session: Session,
    *,
    topic: str | None = None,
    pair_id: int | None = None,
    reason: str = "cancelled",
    keep_kinds: Iterable[str] = (),
) -> int:
    """Cancel pending rows of a topic (e.g. a session) or a pair, in the caller's transaction.

    ``keep_kinds``: leave rows of these kinds alone (e.g. a prompt the caller moves instead)."""
    conditions = [OutboxMessage.status == "pending"]
    keep = list(keep_kinds)
    if keep:
        conditions.append(OutboxMessage.kind.not_in(keep))
    if topic is not None:
        conditions.append(OutboxMessage.topic == topic)
    if pair_id is not None:
        conditions.append(OutboxMessage.pair_id == pair_id)
    if topic is None and pair_id is None:
        raise ValueError("say what to cancel: a topic or a pair")
    result = session.execute(
        update(OutboxMessage).where(*conditions).values(status="cancelled", last_error=reason[:500])
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _due_condition(at: datetime) -> Any:
    return or_(
        and_(OutboxMessage.status == "pending", OutboxMessage.send_at <= at),
        and_(OutboxMessage.status == "sending", OutboxMessage.lease_until < at),
    )


LEASE_EXPIRED = "lease expired"  # a row taken over from a worker that died or stalled mid-send


def _taken_over() -> Any:
    """A row still "sending" when claimed was taken over: whether it was posted is unclear."""
    return case((OutboxMessage.status == "sending", LEASE_EXPIRED), else_=OutboxMessage.last_error)


def claim_due(db: Database, worker: str, limit: int = 100, lease: timedelta = LEASE) -> list[OutboxMessage]:
    """Claim up to ``limit`` due rows for this worker; no other worker can claim them until the lease ends."""
    at = now()
    lease_until = at + lease
    with db.session() as session:
        if db.is_postgresql:
            ids = list(
                session.scalars(
                    select(OutboxMessage.id)
                    .where(_due_condition(at))
                    .order_by(OutboxMessage.send_at, OutboxMessage.id)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
            )
            if not ids:
                return []
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids))
                .values(
                    status="sending", lease_until=lease_until, leased_by=worker, attempts=OutboxMessage.attempts + 1,
                    last_error=_taken_over(),
                )
            )
        else:
            candidates = (
                select(OutboxMessage.id)
                .where(_due_condition(at))
                .order_by(OutboxMessage.send_at, OutboxMessage.id)
                .limit(limit)
                .scalar_subquery()
            )
            ids = list(
                session.scalars(
                    update(OutboxMessage)
                    .where(OutboxMessage.id.in_(candidates), _due_condition(at))
                    .values(
                        status="sending",
                        lease_until=lease_until,
                        leased_by=worker,
                        attempts=OutboxMessage.attempts + 1,
                        last_error=_taken_over(),
                    )
                    .returning(OutboxMessage.id)
                )
            )
            if not ids:
                return []
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.send_at))
        return list(rows)


def _finish(db: Database, row_id: int, worker: str, **values: Any) -> bool:
    """Update a row this worker still holds (its lease may have been taken over after a stall)."""
    with db.session() as session:
        result = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row_id, OutboxMessage.leased_by == worker, OutboxMessage.status == "sending")
            .values(lease_until=None, **values)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def mark_sent(
    db: Database,
    row: OutboxMessage,
    worker: str,
    slack_ts: str | None,
    *,
    channel_id: str | None = None,
    on_sent: Callable[[Session, OutboxMessage, str | None], None] | None = None,
) -> None:
    """Record the send; ``channel_id`` (where it went, e.g. a group DM just opened) is kept on the row
    so the kind's ``on_sent`` can record it too."""
    values: dict[str, Any] = {"status": "sent", "sent_at": now(), "slack_ts": slack_ts, "lease_until": None}
    if channel_id:
        values["channel_id"] = row.channel_id = channel_id
    with db.session() as session:
        result = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row.id, OutboxMessage.leased_by == worker, OutboxMessage.status == "sending")
            .values(last_error=None, **values)
        )
        if result.rowcount and on_sent is not None:  # type: ignore[attr-defined]
            on_sent(session, row, slack_ts)


def mark_skipped(db: Database, row: OutboxMessage, worker: str, reason: str) -> None:
    _finish(db, row.id, worker, status="skipped", last_error=reason[:500])


def mark_failed(db: Database, row: OutboxMessage, worker: str, error: str) -> bool:
    return _finish(db, row.id, worker, status="failed", last_error=error[:500])


def retry_later(
    db: Database,
    row: OutboxMessage,
    worker: str,
    when: datetime,
    error: str,
    *,
    count: bool = True,
    rate_limited: bool = False,
) -> None:
    """Put a row back for later (rate limit, server error, pacing); ``count=False`` refunds the attempt,
    ``rate_limited`` counts a rate limit instead (a row Slack keeps refusing so ends, see the dispatcher)."""
    values: dict[str, Any] = {"status": "pending", "send_at": when, "last_error": error[:500], "leased_by": None}
    if not count:
        values["attempts"] = max(row.attempts - 1, 0)
    if rate_limited:
        values["rate_limited"] = OutboxMessage.rate_limited + 1
    _finish(db, row.id, worker, **values)


def retry_many(db: Database, worker: str, rows: Iterable[tuple[OutboxMessage, datetime]], error: str) -> None:
    """Put many rows back at their own times in one statement, refunding the attempt (pacing)."""
    table = cast(Table, OutboxMessage.__table__)
    statement = (
        update(table)
        .where(table.c.id == bindparam("row_id"), table.c.leased_by == worker, table.c.status == "sending")
        .values(
            status="pending",
            send_at=bindparam("when"),
            attempts=bindparam("refunded"),
            last_error=error[:500],
            leased_by=None,
            lease_until=None,
        )
    )
    params = [{"row_id": row.id, "when": when, "refunded": max(row.attempts - 1, 0)} for row, when in rows]
    if params:
        with db.session() as session:
            session.execute(statement, params)


def note_posted(db: Database, row: OutboxMessage, worker: str, slack_ts: str) -> None:
    """The message is posted (its file or pin may still fail): a retry must not post it again."""
    row.slack_ts = slack_ts
    with db.session() as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row.id, OutboxMessage.leased_by == worker, OutboxMessage.status == "sending")
            .values(slack_ts=slack_ts)
        )


def backoff(attempts: int) -> timedelta:
    """5 s, 10 s, 20 s ... capped at 10 minutes."""
    return timedelta(seconds=min(5 * 2 ** max(attempts - 1, 0), 600))


def counts_by_status(db: Database) -> dict[str, int]:
    with db.session() as session:
        rows = session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all()
        return {status: int(count) for status, count in rows}

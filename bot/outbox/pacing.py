"""Pacing to Slack's posting limit: which claimed rows may be posted now, and when the others may.

Slack allows about one message per second per conversation, with short bursts. Each conversation
has a token bucket: one post per ``interval``, at most ``burst`` at once after a quiet spell. A row
that must wait goes back to the outbox at the time a token will be there for it and keeps its turn
(``last_error == "paced"``): when it comes due it goes before rows that never had one, and a new
row takes the first turn nobody holds yet (``reserved_until``), so it does not jump the queue.

Two implementations of the same rule:

- :class:`SharedPacing` (the default) keeps every bucket in the database (``conversation_pacing``),
  read and written in one short transaction per pass with the conversations' rows locked (``SELECT
  … FOR UPDATE`` in key order on PostgreSQL; SQLite serialises writers). So any number of dispatcher
  processes together never post faster than the limit: a token one worker took is gone for all.
- :class:`LocalPacing` keeps the buckets in the process: the old behaviour, kept as the baseline
  the dispatch benchmark compares against (two workers then post up to twice as fast as allowed).

Time is the app's clock (:func:`bot.clock.now`), so tests move it with freezegun; processes on
several hosts need their clocks in step (NTP), as they already do for ``send_at`` and leases.
Only tokens actually available *now* are spent: a row is never posted on a reservation alone, so a
late pass (a slow tick, a stalled worker) cannot bunch posts up beyond the burst.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.clock import as_utc, now
from bot.db import Database
from bot.models import ConversationPacing, OutboxMessage

log = logging.getLogger(__name__)

PACED = "paced"
PACING_BURST = 2  # posts a conversation may take at once after a pause (Slack tolerates short bursts)
FORGET_AFTER = timedelta(minutes=10)  # an idle bucket this old is full again: its row can go

Later = list[tuple[OutboxMessage, datetime]]


@dataclass
class Bucket:
    tokens: float
    at: float  # when ``tokens`` was counted (epoch seconds on the app's clock)
    reserved: float  # the first turn no waiting row holds yet (epoch seconds)


def full_bucket(at: float, burst: int = PACING_BURST) -> Bucket:
    return Bucket(float(burst), at, at)


def schedule(
    items: Sequence[OutboxMessage], bucket: Bucket, clock: float, interval: float, burst: int = PACING_BURST
) -> tuple[list[OutboxMessage], Later, Bucket]:
    """One conversation's rows: those that may go now, the others with their times, the new bucket."""
    ordered = sorted(items, key=lambda r: (r.last_error != PACED, as_utc(r.send_at), r.id))
    tokens = min(float(burst), bucket.tokens + max(clock - bucket.at, 0.0) / interval)
    reserved = max(bucket.reserved, clock)
    send: list[OutboxMessage] = []
    later: Later = []
    waiting = 0
    for row in ordered:
        if tokens >= 1.0:
            send.append(row)
            tokens -= 1.0
            continue
        waiting += 1
        ready = clock + (waiting - tokens) * interval  # when a token is there for it
        if row.last_error == PACED and as_utc(row.send_at).timestamp() <= clock:
            start = ready  # its turn came: next in line
        else:
            start = max(reserved, ready)  # a new row: the first turn nobody holds yet
            reserved = start + interval
        later.append((row, datetime.fromtimestamp(start, UTC)))
    return send, later, Bucket(tokens, clock, reserved)


class Pacing(Protocol):
    interval: float

    def pace(self, groups: dict[str, list[OutboxMessage]]) -> tuple[list[OutboxMessage], Later]: ...


class LocalPacing:
    """Buckets in this process only (the old behaviour; the benchmark's baseline)."""

    def __init__(self, interval: float, burst: int = PACING_BURST) -> None:
        self.interval, self.burst = interval, burst
        self._buckets: dict[str, Bucket] = {}

    def pace(self, groups: dict[str, list[OutboxMessage]]) -> tuple[list[OutboxMessage], Later]:
        clock = now().timestamp()
        send: list[OutboxMessage] = []
        later: Later = []
        for target, items in groups.items():
            bucket = self._buckets.get(target) or full_bucket(clock, self.burst)
            go, wait, self._buckets[target] = schedule(items, bucket, clock, self.interval, self.burst)
            send += go
            later += wait
        if len(self._buckets) > 10_000:  # forget conversations that are idle again
            horizon = clock - FORGET_AFTER.total_seconds()
            self._buckets = {k: b for k, b in self._buckets.items() if b.at > horizon or b.reserved > clock}
        return send, later


def digest(target: str) -> str:
    """The table's key for a conversation: no Slack id is stored."""
    return hashlib.sha256(target.encode()).hexdigest()


class SharedPacing:
    """Buckets in the database, shared by every dispatcher process."""

    def __init__(self, db: Database, interval: float, burst: int = PACING_BURST) -> None:
        self.db, self.interval, self.burst = db, interval, burst
        self._passes = 0

    def pace(self, groups: dict[str, list[OutboxMessage]]) -> tuple[list[OutboxMessage], Later]:
        at = now()
        clock = at.timestamp()
        keys = {target: digest(target) for target in groups}
        send: list[OutboxMessage] = []
        later: Later = []
        ordered = sorted(keys.values())  # every process locks in the same order: no deadlock
        with self.db.session() as session:
            insert = pg_insert if self.db.is_postgresql else sqlite_insert
            session.execute(
                insert(ConversationPacing)
                .values([{"key": k, "tokens": float(self.burst), "refilled_at": at, "reserved_until": at}
                         for k in ordered])
                .on_conflict_do_nothing(index_elements=["key"])
            )
            query = (
                select(ConversationPacing)
                .where(ConversationPacing.key.in_(ordered))
                .order_by(ConversationPacing.key)
            )
            if self.db.is_postgresql:
                query = query.with_for_update()
            stored = {row.key: row for row in session.scalars(query)}
            for target, items in groups.items():
                row = stored[keys[target]]
                bucket = Bucket(row.tokens, as_utc(row.refilled_at).timestamp(), as_utc(row.reserved_until).timestamp())
                go, wait, new = schedule(items, bucket, clock, self.interval, self.burst)
                send += go
                later += wait
                row.tokens = new.tokens
                row.refilled_at = datetime.fromtimestamp(new.at, UTC)
                row.reserved_until = datetime.fromtimestamp(new.reserved, UTC)
        self._passes += 1
        if self._passes % 100 == 1:
            self.forget_idle()
        return send, later

    def forget_idle(self) -> int:
        """Delete buckets idle long enough to be full again (a missing row is a full bucket)."""
        at = now()
        with self.db.session() as session:
            result = session.execute(
                delete(ConversationPacing).where(
                    ConversationPacing.refilled_at < at - FORGET_AFTER, ConversationPacing.reserved_until < at
                )
            )
            return int(result.rowcount or 0)  # type: ignore[attr-defined]


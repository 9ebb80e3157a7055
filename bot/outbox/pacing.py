"""Pacing to Slack's posting limit: which claimed rows may be posted now, and when the others may.

Slack allows about one message per second per conversation, with short bursts. Each conversation
has a token bucket: one post per ``interval``, at most ``burst`` at once after a quiet spell. A row
that must wait goes back to the outbox at the time a token will be there for it and keeps its turn
(``last_error == "paced"``): when it comes due it goes before rows that never had one, and a new
row takes the first turn nobody holds yet (``reserved_until``), so it does not jump the queue.

Two implementations of the same rule:

- :class:`SharedPacing` (the default) keeps every bucket in the database (``conversation_pacing``),
  planned once per pass, and each token spent by one conditional ``UPDATE`` right before its post.
  So any number of dispatcher processes together never post faster than the limit: a token one
  worker took is gone for all.
- :class:`LocalPacing` keeps the buckets in the process: the old behaviour, kept as the baseline
  the dispatch benchmark compares against (two workers then post up to twice as fast as allowed).

Time is the app's clock (:func:`bot.clock.now`), so tests move it with freezegun; processes on
several hosts need their clocks in step (NTP), as they already do for ``send_at`` and leases.
A bucket counted more than ``FORGET_AFTER`` ahead of the clock (the clock was set back that far: a
story replayed on a simulated clock, or a host whose wrong clock was corrected) starts afresh, full
at the current time, rather than holding its conversation until the clock catches up; a worker
whose clock merely lags (seconds) still cannot mint tokens.
Only tokens actually available *now* are spent: a row is never posted on a reservation alone, so a
late pass (a slow tick, a stalled worker) cannot bunch posts up beyond the burst.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol, cast

from sqlalchemy import Table, bindparam, case, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

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
    if bucket.at > clock + FORGET_AFTER.total_seconds():
        bucket = full_bucket(clock, burst)
    clock = max(clock, bucket.at)  # never move a bucket's time back (that would mint tokens)
    tokens = min(float(burst), bucket.tokens + (clock - bucket.at) / interval)
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

    def take(self, target: str) -> bool:
        """Spend this conversation's token right before posting; False if there is none now."""
        ...


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

    def take(self, target: str) -> bool:
        return True  # spent when planned


def digest(target: str) -> str:
    """The table's key for a conversation: no Slack id is stored."""
    return hashlib.sha256(target.encode()).hexdigest()


class SharedPacing:
    """Buckets in the database, shared by every dispatcher process.

    Two steps, so the token is spent as close to the post as possible (the time between deciding and
    posting varies with load, and a post that waited while another worker's did not would bunch up):

    1. :meth:`pace`, once per pass, reads the pass's conversations, picks the rows a token is there
       for and gives the others their times (writing only the queue's tail, ``reserved_until``,
       and never back), without holding locks;
    2. :meth:`take`, on the sending thread right before ``chat.postMessage``, spends the token in one
       conditional ``UPDATE`` (refill and spend at once). If another worker took it first, the row
       goes back, keeping its turn. So the posts themselves, not the plans, keep to the bucket.
    """

    def __init__(self, db: Database, interval: float, burst: int = PACING_BURST) -> None:
        self.db, self.interval, self.burst = db, interval, burst
        self._passes = 0

    def pace(self, groups: dict[str, list[OutboxMessage]]) -> tuple[list[OutboxMessage], Later]:
        keys = {target: digest(target) for target in groups}
        send: list[OutboxMessage] = []
        later: Later = []
        ordered = sorted(keys.values())  # every process writes in the same order: no deadlock
        tails: list[dict[str, object]] = []
        with self.db.session() as session:
            insert = pg_insert if self.db.is_postgresql else sqlite_insert
            start = now().timestamp()
            session.execute(
                insert(ConversationPacing)
                .values([{"key": k, "tokens": float(self.burst), "refilled_at": start, "reserved_until": start}
                         for k in ordered])
                .on_conflict_do_nothing(index_elements=["key"])
            )
            # No lock: the plan spends nothing (take() does, post by post); it only moves the
            # queue's tail, and never back (another worker's plan may have moved it further).
            stored = {
                row.key: (row.tokens, row.refilled_at, row.reserved_until)
                for row in session.execute(
                    select(ConversationPacing.key, ConversationPacing.tokens, ConversationPacing.refilled_at,
                           ConversationPacing.reserved_until).where(ConversationPacing.key.in_(ordered))
                )
            }
            clock = now().timestamp()
            for target, items in groups.items():
                go, wait, new = schedule(items, Bucket(*stored[keys[target]]), clock, self.interval, self.burst)
                send += go
                later += wait
                tails.append({"row_key": keys[target], "tail": new.reserved})
            tails.sort(key=lambda t: str(t["row_key"]))
            table = cast(Table, ConversationPacing.__table__)
            stale = table.c.refilled_at > clock + FORGET_AFTER.total_seconds()  # counted far ahead: afresh
            session.execute(
                update(table)
                .where(table.c.key == bindparam("row_key"))
                .values(
                    reserved_until=case(
                        (stale, bindparam("tail")),
                        (table.c.reserved_until < bindparam("tail"), bindparam("tail")),
                        else_=table.c.reserved_until,
                    ),
                    tokens=case((stale, float(self.burst)), else_=table.c.tokens),
                    refilled_at=case((stale, clock), else_=table.c.refilled_at),
                ),
                tails,
            )
        self._passes += 1
        if self._passes % 100 == 1:
            self.forget_idle()
        return send, later

    def take(self, target: str) -> bool:
        clock = now().timestamp()
        table = ConversationPacing
        refilled = table.tokens + (clock - table.refilled_at) / self.interval
        stale = table.refilled_at > clock + FORGET_AFTER.total_seconds()  # counted far ahead: afresh
        available = case((stale, float(self.burst)), (table.refilled_at > clock, table.tokens),
                         (refilled > self.burst, float(self.burst)), else_=refilled)
        try:
            with self.db.session() as session:
                result = session.execute(
                    update(table)
                    .where(table.key == digest(target), available >= 1.0)
                    .values(
                        tokens=available - 1.0,
                        refilled_at=case((stale, clock), (table.refilled_at > clock, table.refilled_at),
                                         else_=clock),
                    )
                    .execution_options(synchronize_session=False)
                )
                return bool(result.rowcount)  # type: ignore[attr-defined]
        except SQLAlchemyError as error:  # a lock wait ran out: not now, the row goes back in line
            log.warning("Could not take a pacing token: %s", type(error).__name__)
            return False

    def forget_idle(self) -> int:
        """Delete buckets idle long enough to be full again (a missing row is a full bucket)."""
        clock = now().timestamp()
        with self.db.session() as session:
            result = session.execute(
                delete(ConversationPacing).where(
                    ConversationPacing.refilled_at < clock - FORGET_AFTER.total_seconds(),
                    ConversationPacing.reserved_until < clock,
                )
            )
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

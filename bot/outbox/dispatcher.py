"""The dispatcher: claims due outbox rows and sends them through the Slack gateway.

- Each conversation gets at most one message per ``per_conversation_interval`` seconds (Slack's
  posting limit), counted for every dispatcher process together (bot/outbox/pacing.py keeps the
  buckets in the database); other rows for it wait their turn without blocking other conversations.
- A 429 puts the row back for ``Retry-After`` seconds; a 5xx or a dropped connection puts it back
  with exponential backoff; neither blocks other rows (this client does not sleep on 429s).
- A permanent error (deactivated user, channel gone, missing scope) marks the row failed and tells the
  programme's leads once per person, with the real reason (bot/outbox/notifications.py); an alert the
  leads' private channel refuses goes to each lead's DM instead (:mod:`bot.programmes.leads_alerts`).
- The post's ts is recorded before anything else can fail; with the opt-in history check
  (``DISPATCH_HISTORY_CHECK``) a retry after an unclear end also looks for its own message first.
- A row far past its time after downtime follows its kind's stated policy (``skip_if_later_than``).
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal
from urllib.error import URLError

from slack_sdk.errors import SlackApiError
from sqlalchemy import func, or_, select
from sqlalchemy.exc import SQLAlchemyError

from bot import outbox
from bot.clock import as_utc, now
from bot.models import OutboxMessage, Programme
from bot.outbox import Kinds, Rendered, Skip
from bot.outbox.notifications import DELIVERY_FAILED, failure_reason
from bot.outbox.pacing import PACED, PACING_BURST, LocalPacing, Pacing, SharedPacing
from bot.programmes.leads_alerts import fall_back_to_dms
from bot.slack_gateway import SlackGateway, error_code

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

# Errors that will not go away by retrying: the person or the conversation is gone.
PERMANENT_ERRORS = frozenset(
    {
        "user_not_found",
        "users_not_found",
        "user_disabled",
        "account_inactive",
        "cannot_dm_bot",
        "channel_not_found",
        "is_archived",
        "not_in_channel",
        "user_not_in_channel",
        "restricted_action",
        "invalid_blocks",
        "msg_too_long",
        "no_text",
        "missing_scope",  # the app was installed without a scope it needs: retrying will not add it
        "not_allowed_token_type",
    }
)
# Errors that mean the history check can never work here (so the dispatcher posts without it).
NO_HISTORY_ACCESS = frozenset({"missing_scope", "not_allowed_token_type", "not_in_channel", "channel_not_found"})
METADATA_EVENT = "mentoring_outbox"  # marks the app's own posts, so a retry can find them
# The scopes an operator adds to the manifest to opt in to the history check (DISPATCH_HISTORY_CHECK):
# the bot may then read the DMs, group DMs and private channels it posts in. channels:history only
# if it posts in public channels (the close-out thanks).
HISTORY_SCOPES = ("im:history", "mpim:history", "groups:history", "channels:history")
UNCLEAR = "unclear: "  # the row's note when the history lookup itself failed: look again next time
RATE_LIMITED = "ratelimited"  # the row's note after a 429: it goes again after Retry-After
CONNECTION = "connection: "  # the row's note after a dropped connection or a time-out: posted or not?
MAX_RATE_LIMITED = 30  # 429s for one row (they use no attempt): past this it fails and the leads hear why
__all__ = ["HISTORY_SCOPES", "PACED", "PACING_BURST", "Dispatcher"]


def unclear(row: OutboxMessage) -> bool:
    """Did the row's last attempt end without knowing whether Slack posted it? A crash or a stalled
    worker (its lease was taken over), a dropped connection or time-out, or a failed lookup. After a
    clear answer (a 5xx, a 429, pacing) Slack did not post it, so there is nothing to look for."""
    return (row.last_error or "").startswith((outbox.LEASE_EXPIRED, CONNECTION, UNCLEAR))


@dataclass
class Prepared:
    row: OutboxMessage
    message: Rendered
    target: str  # a stable key for the conversation, for pacing


class Dispatcher:
    def __init__(
        self,
        runtime: Runtime,
        *,
        worker_id: str | None = None,
        batch: int = 200,
        per_conversation_interval: float = 1.0,
        threads: int = 8,
        gateway: SlackGateway | None = None,
        lease: timedelta = outbox.LEASE,
        kinds: Kinds | None = None,
        pacing: Literal["shared", "process"] = "shared",
        pacing_burst: int = PACING_BURST,
        history_check: bool | None = None,
    ) -> None:
        self.runtime = runtime
        self.kinds = runtime.kinds if kinds is None else kinds
        self.worker_id = worker_id or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.batch = batch
        self.lease = lease
        self.interval = per_conversation_interval
        # A gateway of its own that does not sleep on 429s or retry a dropped connection (which would
        # post twice when Slack processed the request but the answer was lost): rate-limited rows are
        # put back, and a retry checks the conversation for the row's metadata before posting again.
        self.slack = gateway or runtime.gateway.for_dispatch()
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="dispatch")
        # Pacing shared by every dispatcher process (the database), or this process's own (the old
        # behaviour, the benchmark's baseline); none when the interval is 0 (tests of other things).
        self.pacing: Pacing | None = None
        if per_conversation_interval:
            self.pacing = (
                SharedPacing(runtime.db, per_conversation_interval, pacing_burst)
                if pacing == "shared"
                else LocalPacing(per_conversation_interval, pacing_burst)
            )
        # Opt-in (DISPATCH_HISTORY_CHECK): before re-posting after an unclear end, read the
        # conversation for this row's metadata. Needs the history scopes (HISTORY_SCOPES).
        self.history_check = runtime.settings.dispatch_history_check if history_check is None else history_check

    # ------------------------------------------------------------------ one pass

    def run_once(self) -> int:
        """Claim one batch of due rows and send what may be sent now; returns how many were sent.

        Pacing is decided before rendering, from the row itself, so a row that must wait its turn
        costs one bulk update, not a render: a large backlog for a few conversations stays cheap.
        """
        rows = outbox.claim_due(self.runtime.db, self.worker_id, self.batch, self.lease)
        if not rows:
            return 0
        now_rows, later = self._pace(rows)
        if later:  # one statement for all of them, not one transaction each
            outbox.retry_many(self.runtime.db, self.worker_id, later, PACED)
        # Conversations in parallel, each one's rows in order: an introduction and a nudge due in the
        # same pass must not arrive the wrong way round.
        in_order: dict[str, list[OutboxMessage]] = defaultdict(list)
        for row in sorted(now_rows, key=lambda r: (as_utc(r.send_at), r.id)):
            in_order[self.pacing_key(row)].append(row)
        return sum(self._pool.map(self._send_each, in_order.values()))

    def _send_each(self, rows: list[OutboxMessage]) -> int:
        return sum(self._prepare_and_send(row) for row in rows)

    def _prepare_and_send(self, row: OutboxMessage) -> int:
        """Render (reading the database as it is now) and send, on a pool thread."""
        prepared = self._prepare(row)
        return self._send(prepared) if prepared is not None else 0

    @staticmethod
    def pacing_key(row: OutboxMessage) -> str:
        """The conversation a row goes to, as far as the row says (before rendering)."""
        if row.channel_id:
            return f"channel:{row.channel_id}"
        if row.recipient_user_id:
            return f"dm:{row.recipient_user_id}"
        return f"pair:{row.pair_id}" if row.pair_id is not None else f"row:{row.id}"

    def _pace(self, rows: list[OutboxMessage]) -> tuple[list[OutboxMessage], list[tuple[OutboxMessage, Any]]]:
        """Which rows may go now, and when the others may, per conversation (bot/outbox/pacing.py)."""
        if self.pacing is None:
            return rows, []
        groups: dict[str, list[OutboxMessage]] = defaultdict(list)
        for row in rows:
            groups[self.pacing_key(row)].append(row)
        try:
            return self.pacing.pace(groups)
        except SQLAlchemyError as error:  # a lock wait ran out: try these rows again shortly
            log.warning("Could not pace %s rows: %s", len(rows), type(error).__name__)
            return [], [(row, now() + timedelta(seconds=self.interval)) for row in rows]

    def run_until_idle(self, max_passes: int = 1000) -> int:
        """Keep dispatching until nothing is due now (tests and the demo)."""
        total = 0
        for _ in range(max_passes):
            sent = self.run_once()
            total += sent
            if sent == 0 and not self._anything_due():
                break
        return total

    def next_held_turn(self, within: timedelta) -> datetime | None:
        """When the next row put back only to keep to Slack's limits (paced, or answered 429) may go,
        if that is within ``within``; rows held for anything else (a time, a backoff) are not counted.
        For the local Slack and the demo, which wait for these turns on a simulated clock."""
        with self.runtime.db.session() as session:
            at = session.scalar(
                select(func.min(OutboxMessage.send_at)).where(
                    OutboxMessage.status == "pending",
                    or_(OutboxMessage.last_error == PACED, OutboxMessage.last_error.endswith(RATE_LIMITED)),
                    OutboxMessage.send_at <= now() + within,
                )
            )
        return as_utc(at) if at is not None else None

    def _anything_due(self) -> bool:
        with self.runtime.db.session() as session:
            due = session.scalar(
                select(OutboxMessage.id)
                .where(OutboxMessage.status == "pending", OutboxMessage.send_at <= now())
                .limit(1)
            )
            return due is not None

    # ------------------------------------------------------------------ per row

    def _prepare(self, row: OutboxMessage) -> Prepared | None:
        db, worker = self.runtime.db, self.worker_id
        kind = self.kinds.get(row.kind)
        if kind is None:
            outbox.mark_failed(db, row, worker, f"no outbox kind {row.kind!r} is registered")
            return None
        late = now() - as_utc(row.send_at)
        if kind.skip_if_later_than is not None and late > kind.skip_if_later_than:
            outbox.mark_skipped(db, row, worker, f"overdue by {late} after downtime: no longer useful")
            return None
        try:
            with db.session() as session:
                result = kind.render(session, row, self.runtime.content)
        except Exception as error:
            log.exception("Could not render outbox row %s (%s)", row.id, row.kind)
            self._retry(row, f"render error: {type(error).__name__}")
            return None
        if isinstance(result, Skip):
            outbox.mark_skipped(db, row, worker, result.reason)
            return None
        target = result.channel or (
            f"dm:{result.user_id or row.recipient_user_id}"
            if (result.user_id or row.recipient_user_id)
            else "group:" + ",".join(sorted(result.group_user_ids))
        )
        return Prepared(row, result, target)

    def _send(self, item: Prepared) -> int:
        row, message = item.row, item.message
        kind = self.kinds[row.kind]
        try:
            channel = self._channel_for(row, message)
            ts = row.slack_ts or ""  # posted on an earlier attempt whose file, pin or record failed
            if not ts and row.attempts > 1 and self.history_check and unclear(row):
                # A retry after an unclear end (a crash, a dropped connection): was it posted already?
                try:
                    ts = self._already_posted(channel, row.key)
                except SlackApiError as error:  # still unclear: retried, and it looks again then
                    self._handle_slack_error(row, error, unclear=True)
                    return 0
                if ts:
                    outbox.note_posted(self.runtime.db, row, self.worker_id, ts)
            if not ts:
                if self.pacing is not None and not self.pacing.take(self.pacing_key(row)):
                    # Another worker spent this conversation's token since the plan: back in line.
                    outbox.retry_later(
                        self.runtime.db, row, self.worker_id, now() + timedelta(seconds=self.interval), PACED,
                        count=False,
                    )
                    return 0
                ts = self.slack.post_message(
                    channel,
                    message.text,
                    message.blocks,
                    metadata={"event_type": METADATA_EVENT, "event_payload": {"key": row.key}},
                )
                if message.file is not None or message.pin or kind.on_sent is not None:
                    # The ts first, before anything else can fail (an upload, a pin, the kind's own
                    # record): a retry then finishes the row without posting it again, history or not.
                    outbox.note_posted(self.runtime.db, row, self.worker_id, ts)
            if message.file is not None:
                self.slack.upload_file(channel, message.file.filename, message.file.content, message.file.title)
            if message.pin and ts:
                self._pin(channel, ts)
        except SlackApiError as error:
            self._handle_slack_error(row, error)
            return 0
        except (URLError, OSError, TimeoutError) as error:
            self._retry(row, f"{CONNECTION}{type(error).__name__}")
            return 0
        outbox.mark_sent(self.runtime.db, row, self.worker_id, ts or None, channel_id=channel, on_sent=kind.on_sent)
        return 1

    def _pin(self, channel: str, ts: str) -> None:
        """Pin the message; pinned already (an earlier attempt whose answer was lost) counts as done."""
        try:
            self.slack.pin(channel, ts)
        except SlackApiError as error:
            if error_code(error) != "already_pinned":
                raise

    def _already_posted(self, channel: str, key: str) -> str:
        """The ts of a message this row already posted (found by its metadata), or ""."""
        try:
            return self.slack.find_message_with_metadata(channel, METADATA_EVENT, key)
        except SlackApiError as error:
            code = error_code(error)
            if code not in NO_HISTORY_ACCESS:
                raise  # rate limits and server errors: the row is retried, and checks again then
            # Without history access (a scope not granted, a channel we cannot read) post anyway:
            # a rare duplicate after a crash is better than a message never delivered.
            log.warning("Could not check %s for an earlier post: %s", channel, code)
            return ""

    def _channel_for(self, row: OutboxMessage, message: Rendered) -> str:
        if message.channel:
            return message.channel
        user = message.user_id or row.recipient_user_id
        if user:
            return self.slack.open_dm(user)  # the gateway opens each conversation once
        people = tuple(sorted(message.group_user_ids))
        if not people:
            raise SlackApiError("no recipient", {"ok": False, "error": "channel_not_found"})
        return self.slack.open_group_dm(people)

    def _handle_slack_error(self, row: OutboxMessage, error: SlackApiError, *, unclear: bool = False) -> None:
        """``unclear``: the error came from the history lookup, so whether the row was posted is still
        unknown; the note it is put back with says so, and the next attempt looks again."""
        response: Any = error.response
        code = str(response.get("error") or "") if response is not None else ""
        status = getattr(response, "status_code", 200) if response is not None else 200
        mark = UNCLEAR if unclear else ""
        if status == 429 or code == "ratelimited":
            if row.rate_limited + 1 >= MAX_RATE_LIMITED:
                if outbox.mark_failed(
                    self.runtime.db, row, self.worker_id, f"rate limited {row.rate_limited + 1} times: ratelimited"
                ):
                    self._tell_leads_of_failure(row, "ratelimited")
                return
            retry_after = int((getattr(response, "headers", {}) or {}).get("Retry-After", 1) or 1)
            outbox.retry_later(
                self.runtime.db, row, self.worker_id, now() + timedelta(seconds=retry_after), mark + RATE_LIMITED,
                count=False, rate_limited=True,
            )
        elif code in PERMANENT_ERRORS:
            # An alert the leads' channel refused goes to each lead's DM instead, with the real reason.
            if outbox.mark_failed(self.runtime.db, row, self.worker_id, code) and not fall_back_to_dms(
                self.runtime.db, row, code
            ):
                needed = str(response.get("needed") or "") if response is not None else ""
                self._tell_leads_of_failure(row, code, needed=needed)
        else:
            self._retry(row, mark + (code or f"http {status}"))

    def _retry(self, row: OutboxMessage, error: str) -> None:
        if row.attempts >= outbox.MAX_ATTEMPTS:
            if outbox.mark_failed(
                self.runtime.db, row, self.worker_id, f"gave up after {row.attempts} attempts: {error}"
            ):
                self._tell_leads_of_failure(row, error)
            return
        outbox.retry_later(self.runtime.db, row, self.worker_id, now() + outbox.backoff(row.attempts), error)

    def _tell_leads_of_failure(self, row: OutboxMessage, error: str, *, needed: str = "") -> None:
        """Once per person (or conversation) and programme: the leads learn who cannot be reached, and why."""
        if row.kind == DELIVERY_FAILED or row.programme_id is None:
            log.warning("Outbox row %s (%s) failed permanently: %s", row.id, row.kind, error)
            return
        who = row.recipient_user_id or (row.channel_id or f"pair {row.pair_id}")
        with self.runtime.db.session() as session:
            programme = session.get(Programme, row.programme_id)
            if programme is None:
                return
            for lead in programme.leads:
                outbox.enqueue(
                    session,
                    kind=DELIVERY_FAILED,
                    key=f"{DELIVERY_FAILED}:{row.programme_id}:{who}:{lead.user_id}",
                    recipient_user_id=lead.user_id,
                    programme_id=row.programme_id,
                    payload={
                        "who": who,
                        "pair_id": row.pair_id,
                        "error": error[:200],
                        "reason": failure_reason(error),
                        "needed": needed[:200],
                        "kind": row.kind,
                        "programme": programme.name,
                    },
                )

    def close(self) -> None:
        self._pool.shutdown(wait=True)
